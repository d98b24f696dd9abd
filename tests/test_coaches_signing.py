"""Who published a coach: signed packs, a pinned publisher key, and impostors refused.

An unsigned pack could take over an installed coach's id ("Updated stoic 9.0 (was 1.0)" installed an
impostor). Now the installed coach keeps its publisher's key; another key, or no signature, needs the
coachee's explicit acceptance. Real keys, real packs built from a tiny creator folder, the real CLI.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from conftest import PASSPHRASE, run_cli

from engine.api import Engine, create_publisher_key
from engine.coaches import builder
from engine.errors import PackError, PackTampered
from engine.types import open_pack


def creator_folder(root: Path, version: str) -> Path:
    (root / "knowledge").mkdir(parents=True, exist_ok=True)
    (root / "coach.toml").write_text(
        f'id = "calm"\nname = "Calm Coach"\nversion = "{version}"\ndomain = "Wisdom"\n'
        '[[sources]]\ntitle = "Calm notes"\nauthor = "LifeOS Coach"\norigin = "written for the tests"\n'
        'licence = "CC0"\nfiles = ["calm.md"]\n'
    )
    (root / "knowledge" / "calm.md").write_text(
        "# Calm\n\n## Breathing\n\nBreathe out longer than you breathe in: the body reads it as safety.\n\n"
        "## Pausing\n\nA pause of three breaths before answering keeps a reply from becoming a reaction.\n"
    )
    return root


def build(tmp_path: Path, version: str, key: Path | None, name: str) -> Path:
    report = builder.build(
        creator_folder(tmp_path / f"src-{name}", version), tmp_path / f"{name}.coach", sign=key
    )
    assert report.out is not None
    return report.out


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for who in ("calm-press", "impostor"):
        path = tmp_path / f"{who}.key"
        create_publisher_key(path, who.replace("-", " ").title())
        out[who] = path
    return out


def test_a_key_file_is_private_and_never_overwritten(keys: dict[str, Path]) -> None:
    if os.name == "posix":
        assert stat.S_IMODE(keys["calm-press"].stat().st_mode) == 0o600
    with pytest.raises(PackError, match="never overwritten"):
        create_publisher_key(keys["calm-press"], "Someone Else")


def test_a_signed_pack_verifies_and_any_change_to_its_manifest_is_refused(
    keys: dict[str, Path], tmp_path: Path
) -> None:
    signed = build(tmp_path, "1.0", keys["calm-press"], "signed")
    pack = open_pack(signed)
    assert pack.signed and pack.manifest.publisher is not None
    assert pack.manifest.publisher.name == "Calm Press"
    with zipfile.ZipFile(signed) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    manifest["description"] = "Now with a different description"
    files["manifest.json"] = json.dumps(manifest).encode()
    edited = tmp_path / "edited.coach"
    with zipfile.ZipFile(edited, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(PackTampered, match=r"manifest\.sig does not verify"):
        open_pack(edited)
    del files["manifest.sig"]
    stripped = tmp_path / "stripped.coach"
    with zipfile.ZipFile(stripped, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(PackTampered, match=r"manifest\.sig is missing"):
        open_pack(stripped)


def test_another_publisher_cannot_take_over_an_installed_coach(keys: dict[str, Path], tmp_path: Path) -> None:
    genuine = build(tmp_path, "1.0", keys["calm-press"], "genuine")
    impostor = build(tmp_path, "9.0", keys["impostor"], "impostor")
    unsigned = build(tmp_path, "9.1", None, "unsigned")
    genuine_update = build(tmp_path, "1.1", keys["calm-press"], "genuine-update")
    with Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install(genuine)
        for pack, why in ((impostor, "by Impostor, another key"), (unsigned, "unsigned")):
            with pytest.raises(PackError, match=why):
                engine.coaches.install(pack)
            assert engine.coaches.get("calm").version == "1.0"
        assert engine.coaches.install(genuine_update).action == "updated"
        report = engine.coaches.install(impostor, accept_publisher=True)  # the coachee chose to
        assert report.version == "9.0" and engine.coaches.get("calm").manifest.publisher.name == "Impostor"


def test_the_cli_marks_unsigned_coaches_and_asks_before_a_new_publisher(
    keys: dict[str, Path], tmp_path: Path
) -> None:
    home = str(tmp_path / "p")
    assert run_cli("--home", home, "init").returncode == 0
    unsigned = build(tmp_path, "1.0", None, "own")
    signed = build(tmp_path, "2.0", keys["calm-press"], "published")
    assert run_cli("--home", home, "coach", "install", str(unsigned)).returncode == 0
    assert "(unsigned)" in run_cli("--home", home, "coach", "list").stdout
    assert run_cli("--home", home, "coach", "install", str(signed)).returncode == 0  # gains a publisher
    listed = run_cli("--home", home, "coach", "list").stdout
    assert "(signed by Calm Press)" in listed
    other = build(tmp_path, "3.0", keys["impostor"], "other")
    refused = run_cli("--home", home, "coach", "install", str(other))
    assert refused.returncode == 4 and "--accept-new-publisher" in refused.stderr
    accepted = run_cli("--home", home, "coach", "install", str(other), "--accept-new-publisher")
    assert accepted.returncode == 0, accepted.stderr


def test_keygen_from_the_cli(tmp_path: Path) -> None:
    made = run_cli("coach", "keygen", "--name", "Calm Press", "--out", str(tmp_path / "k.key"))
    assert made.returncode == 0, made.stderr
    public = made.stdout.split("Public key: ")[1].split()[0]
    assert len(base64.b64decode(public)) == 32


def test_a_catalog_that_names_a_publisher_key_accepts_only_that_key(
    keys: dict[str, Path], tmp_path: Path
) -> None:
    from engine.coaches.catalog import file_sha256

    impostor = build(tmp_path, "1.0", keys["impostor"], "impostor")
    expected = open_pack(build(tmp_path, "1.0", keys["calm-press"], "expected")).manifest.publisher
    assert expected is not None
    entry = {
        "id": "calm", "name": "Calm Coach", "version": "1.0", "domain": "Wisdom",
        "size": impostor.stat().st_size, "sha256": file_sha256(impostor), "url": impostor.name,
        "publisher_key": expected.key,
    }  # fmt: skip
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"schema": 1, "coaches": [entry]}))
    with Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine:
        with pytest.raises(PackError, match="not signed by the publisher key the catalog names"):
            engine.coaches.install("calm", catalog=catalog)
        assert engine.coaches.list() == []
