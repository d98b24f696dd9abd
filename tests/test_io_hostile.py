"""Hostile and broken inputs, built here: each is refused with a message naming the file, nothing is
written outside the profile, and the profile is exactly as it was (compared table by table through
an export's JSON dump)."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import ImportRejected
from engine.types import Limits
from testkit.notes_sources import keep_note, write_vault
from tests.conftest import PASSPHRASE


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = Engine.create(tmp_path / "profile", PASSPHRASE, use_embedder=False)
    eng.notes.add("Already here before any import.")
    yield eng
    eng.close()


def tables(engine: Engine, out: Path) -> dict[str, bytes]:
    """Every row of every table, through an export (the file is removed again)."""
    engine.io.export(out)
    try:
        with zipfile.ZipFile(out) as zf:
            return {n: zf.read(n) for n in zf.namelist() if n.startswith("data/")}
    finally:
        out.unlink()


def refused(engine: Engine, tmp_path: Path, run: Callable[[], object], match: str) -> None:
    before = tables(engine, tmp_path / "before.zip")
    outside = set(os.listdir(tmp_path))
    with pytest.raises(ImportRejected, match=match):
        run()
    assert set(os.listdir(tmp_path)) == outside  # nothing written beside the input either
    assert tables(engine, tmp_path / "after.zip") == before


def takeout(path: Path, members: dict[str, bytes | str], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def good_note() -> str:
    import random

    return json.dumps(keep_note(1, random.Random(1)))


@pytest.mark.parametrize(
    ("member", "match"),
    [
        ("../../evil.json", r"\.\./\.\./evil\.json: climbs out of the archive"),
        ("Takeout/Keep/../../../evil.json", r"evil\.json: climbs out"),
        ("/etc/cron.d/evil.json", r"/etc/cron\.d/evil\.json: has an absolute path"),
        ("C:/Windows/evil.json", r"C:/Windows/evil\.json: has an absolute path"),
    ],
)
def test_zip_slip_and_absolute_paths(engine: Engine, tmp_path: Path, member: str, match: str) -> None:
    zip_path = takeout(tmp_path / "t.zip", {"Takeout/Keep/ok.json": good_note(), member: good_note()})
    refused(engine, tmp_path, lambda: engine.io.import_keep(zip_path), match)
    assert not (tmp_path.parent / "evil.json").exists()


def test_symlinks_in_an_archive_and_in_a_vault(engine: Engine, tmp_path: Path) -> None:
    zip_path = takeout(
        tmp_path / "t.zip", {"Takeout/Keep/ok.json": good_note()}, symlink="Takeout/Keep/link.json"
    )
    refused(engine, tmp_path, lambda: engine.io.import_keep(zip_path), r"link\.json: is a symbolic link")
    vault = write_vault(tmp_path / "vault")
    (vault / "Inbox" / "passwords.md").symlink_to("/etc/passwd")
    refused(
        engine, tmp_path, lambda: engine.io.import_obsidian(vault), r"Inbox/passwords\.md: is a symbolic link"
    )


def test_zip_bombs_by_ratio_and_by_total_size(engine: Engine, tmp_path: Path) -> None:
    bomb = takeout(
        tmp_path / "bomb.zip",
        {"Takeout/Keep/ok.json": good_note(), "Takeout/Keep/zeros.json": b"\0" * (20 << 20)},
    )
    assert bomb.stat().st_size < 100_000
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_keep(bomb),
        r"zeros\.json: unpacks .* times larger .* zip bomb",
    )
    many = takeout(tmp_path / "many.zip", {f"Takeout/Keep/{i}.json": os.urandom(600_000) for i in range(4)})
    small = Limits(max_total_bytes=2 << 20, max_file_bytes=1 << 20)
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_keep(many, limits=small),
        r"many\.zip: unpacks to more than 2 MiB in total",
    )


def test_huge_files_and_too_many_files(engine: Engine, tmp_path: Path) -> None:
    vault = write_vault(tmp_path / "vault")
    (vault / "Inbox" / "huge.md").write_text("word " * 1_000_000, encoding="utf-8")  # 5 MB of text
    refused(
        engine, tmp_path, lambda: engine.io.import_obsidian(vault), r"Inbox/huge\.md: is over the 4 MiB limit"
    )
    (vault / "Inbox" / "huge.md").unlink()
    few = Limits(max_files=30)
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_obsidian(vault, limits=few),
        r"vault: holds more than 30 files",
    )


def test_malformed_front_matter_json_and_html(engine: Engine, tmp_path: Path) -> None:
    vault = write_vault(tmp_path / "vault")
    bad = vault / "Inbox" / "bad yaml.md"
    bad.write_text("---\ntags: [unclosed\ntitle: x\n---\nbody\n", encoding="utf-8")
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_obsidian(vault),
        r"bad yaml\.md: has front matter that is not valid YAML \(line",
    )
    bad.write_text("---\ntags: [a]\nbody without an end\n", encoding="utf-8")
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_obsidian(vault),
        r"bad yaml\.md: opens front matter .* never closes",
    )
    bad.write_text("---\n- just\n- a list\n---\nbody\n", encoding="utf-8")
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_obsidian(vault),
        r"bad yaml\.md: has front matter that is not",
    )
    broken = takeout(
        tmp_path / "json.zip",
        {"Takeout/Keep/ok.json": good_note(), "Takeout/Keep/broken.json": '{"title": "x", "textContent": '},
    )
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_keep(broken),
        r"broken\.json: is not valid JSON \(line 1, column",
    )
    wrong = json.loads(good_note()) | {"textContent": {"not": "text"}}
    typed = takeout(tmp_path / "typed.zip", {"Takeout/Keep/typed.json": json.dumps(wrong)})
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_keep(typed),
        r"typed\.json: has a 'textContent' that is not text",
    )
    html = takeout(
        tmp_path / "html.zip",
        {"Takeout/Keep/empty.html": '<div class="note"><div class="title"></div></div>'},
    )
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_keep(html),
        r"empty\.html: has Keep's note markup but no title",
    )


def test_wrong_encodings(engine: Engine, tmp_path: Path) -> None:
    vault = write_vault(tmp_path / "vault")
    (vault / "Inbox" / "latin1.md").write_bytes("Café au lait, crème brûlée".encode("latin-1"))
    refused(
        engine,
        tmp_path,
        lambda: engine.io.import_obsidian(vault),
        r"Inbox/latin1\.md: is not UTF-8 text \(byte 0xe9",
    )
    (vault / "Inbox" / "latin1.md").write_bytes(b"\x00\x01binary\x00")
    refused(engine, tmp_path, lambda: engine.io.import_obsidian(vault), r"latin1\.md: holds NUL bytes")
    (vault / "Inbox" / "latin1.md").write_bytes("Café in UTF-16, with its mark".encode("utf-16"))
    report = engine.io.import_obsidian(vault)  # a byte-order mark says what it is: accepted
    assert report.added > 0 and engine.notes.search("UTF-16")


def test_a_file_that_is_not_a_zip(engine: Engine, tmp_path: Path) -> None:
    fake = tmp_path / "takeout.zip"
    fake.write_bytes(b"PK\x03\x04 this is not really a zip")
    refused(
        engine, tmp_path, lambda: engine.io.import_keep(fake), r"takeout\.zip: is not a readable ZIP archive"
    )
