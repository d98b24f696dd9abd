"""A coach creator's private signing key leaves the profile only inside an encrypted export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyzipper

from engine.api import Engine

PASSPHRASE = "lanterns over the harbour"


def _meta_lines(archive: Path, password: str | None = None) -> str:
    with pyzipper.AESZipFile(archive) as zf:
        if password:
            zf.setpassword(password.encode())
        name = next(n for n in zf.namelist() if n.endswith("meta.jsonl"))
        return zf.read(name).decode()


def test_a_plain_export_leaves_the_signing_key_out_and_an_encrypted_one_keeps_it(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "profile", PASSPHRASE, use_embedder=False) as engine:
        engine.studio.create_key("Harbour Coaching")
        engine.io.export(tmp_path / "plain.zip")
        engine.io.export(tmp_path / "sealed.zip", password=PASSPHRASE)
    assert zipfile.is_zipfile(tmp_path / "plain.zip")
    assert "studio.publisher_key" not in _meta_lines(tmp_path / "plain.zip")
    assert "studio.publisher_key" in _meta_lines(tmp_path / "sealed.zip", PASSPHRASE)

    with Engine.restore(
        tmp_path / "plain.zip", tmp_path / "from plain", PASSPHRASE, use_embedder=False
    ) as restored:
        assert restored.studio.publisher() is None
    with Engine.restore(
        tmp_path / "sealed.zip", tmp_path / "from sealed", PASSPHRASE, use_embedder=False
    ) as restored:
        found = restored.studio.publisher()
        assert found is not None and found.name == "Harbour Coaching"
