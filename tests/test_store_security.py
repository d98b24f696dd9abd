"""The store keeps the coachee's words unreadable on disk and survives bad input unharmed."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import PASSPHRASE, run_cli, snapshot

from engine.api import Engine
from engine.errors import DataError, ProfileExists, ProfileNotFound, WeakPassphrase, WrongPassphrase
from engine.types import LATEST_VERSION

SECRET = "zebra-quokka-7731-unique-secret"


def _assert_secret_nowhere(home: Path) -> None:
    files = snapshot(home)
    assert files, "profile has no files"
    for name, data in files.items():
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert SECRET.encode(encoding) not in data, f"secret found in {name} ({encoding})"


def test_secret_never_on_disk_open_or_closed(home: Path) -> None:
    engine = Engine.create(home, PASSPHRASE)
    for i in range(50):
        engine.notes.add(f"note {i}: my bank PIN hint is {SECRET}", title=f"{SECRET} title {i}")
    engine.notes.add("a second kind", kind="capture")
    assert (home / "lifeos.db-wal").exists(), "expected a WAL while the profile is open"
    _assert_secret_nowhere(home)  # while open: DB, WAL and SHM
    assert len(engine.notes.search(SECRET, limit=100)) == 50
    engine.close()
    _assert_secret_nowhere(home)  # after checkpoint on close


def test_stdlib_sqlite_cannot_read_db(engine: Engine, home: Path) -> None:
    engine.notes.add(SECRET)
    engine.close()
    plain = sqlite3.connect(home / "lifeos.db")
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT * FROM sqlite_master").fetchall()
    plain.close()


def test_wrong_passphrase_cli_exit_3_and_files_untouched(home: Path) -> None:
    with Engine.create(home, PASSPHRASE) as engine:
        engine.notes.add(SECRET)
    before = snapshot(home)
    mtimes = {p: p.stat().st_mtime_ns for p in home.rglob("*")}
    result = run_cli("--home", str(home), "note", "list", passphrase="not the passphrase")
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [f"lifeos: wrong passphrase for the profile in {home}"]
    assert "Traceback" not in result.stderr
    assert snapshot(home) == before
    assert {p: p.stat().st_mtime_ns for p in home.rglob("*")} == mtimes
    with pytest.raises(WrongPassphrase):
        Engine.open(home, "still not the passphrase")
    assert snapshot(home) == before


def test_passwd_rewraps_without_rewriting_db(home: Path) -> None:
    with Engine.create(home, PASSPHRASE) as engine:
        ids = [engine.notes.add(f"entry {i} {SECRET}").id for i in range(20)]
    db = home / "lifeos.db"
    db_bytes, db_stat = db.read_bytes(), db.stat()
    result = run_cli("--home", str(home), "passwd", env={"LIFEOS_NEW_PASSPHRASE": "a brand new passphrase"})
    assert result.returncode == 0, result.stderr
    assert db.read_bytes() == db_bytes
    assert (db.stat().st_ino, db.stat().st_mtime_ns) == (db_stat.st_ino, db_stat.st_mtime_ns)
    assert run_cli("--home", str(home), "note", "list").returncode == 3
    listed = run_cli("--home", str(home), "note", "list", "--json", passphrase="a brand new passphrase")
    assert listed.returncode == 0, listed.stderr
    assert sorted(n["id"] for n in json.loads(listed.stdout)) == sorted(ids)
    _assert_secret_nowhere(home)


def test_passwd_with_wrong_old_passphrase_changes_nothing(home: Path) -> None:
    Engine.create(home, PASSPHRASE).close()
    before = snapshot(home)
    result = run_cli(
        "--home", str(home), "passwd", passphrase="wrong one!", env={"LIFEOS_NEW_PASSPHRASE": "x" * 12}
    )
    assert result.returncode == 3
    assert snapshot(home) == before


def test_new_passphrase_too_short_is_refused(engine: Engine) -> None:
    with pytest.raises(WeakPassphrase):
        engine.change_passphrase(PASSPHRASE, "short")
    with pytest.raises(WeakPassphrase):
        Engine.create(engine.paths.home.parent / "other", "short")


def test_reopen_does_not_rerun_migrations(home: Path) -> None:
    with Engine.create(home, PASSPHRASE) as engine:
        assert engine.applied_migrations == list(range(1, LATEST_VERSION + 1))
    for _ in range(2):
        with Engine.open(home, PASSPHRASE) as engine:
            assert engine.applied_migrations == []
            assert engine.doctor()["database"]["schema_version"] == LATEST_VERSION


def test_create_never_overwrites(engine: Engine, home: Path) -> None:
    engine.notes.add(SECRET)
    engine.close()
    with pytest.raises(ProfileExists):
        Engine.create(home, "another passphrase")
    with Engine.open(home, PASSPHRASE) as again:
        assert again.notes.count() == 1


def test_missing_profile(tmp_path: Path) -> None:
    with pytest.raises(ProfileNotFound):
        Engine.open(tmp_path / "nowhere", PASSPHRASE)
    result = run_cli("--home", str(tmp_path / "nowhere"), "note", "list")
    assert result.returncode == 4
    assert "no profile in" in result.stderr and "lifeos" in result.stderr and "init" in result.stderr


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "{ not json",
        lambda text: text.replace('"format": "lifeos-keyfile"', '"format": "something-else"'),
        lambda text: text.replace('"version": 1', '"version": 99'),
        lambda text: text.replace('"memory_kib": 65536', '"memory_kib": 1024'),
    ],
    ids=["not-json", "wrong-format", "future-version", "weakened-kdf"],
)
def test_damaged_keyfile_is_a_clear_data_error(home: Path, damage) -> None:
    Engine.create(home, PASSPHRASE).close()
    keyfile = home / "lifeos.key.json"
    keyfile.write_text(damage(keyfile.read_text()))
    with pytest.raises(DataError):
        Engine.open(home, PASSPHRASE)
    result = run_cli("--home", str(home), "note", "list")
    assert result.returncode == 4
    assert len(result.stderr.strip().splitlines()) == 1 and "key file" in result.stderr


def test_tampered_kdf_header_does_not_unlock(home: Path) -> None:
    """The KDF parameters are authenticated twice: the file's checksum reports a changed header as
    damage, and one edited together with a dropped checksum still fails the GCM tag."""
    Engine.create(home, PASSPHRASE).close()
    keyfile = home / "lifeos.key.json"
    doc = json.loads(keyfile.read_text())
    doc["kdf"]["time_cost"] = 4
    keyfile.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="checksum"):
        Engine.open(home, PASSPHRASE)
    del doc["sha256"]
    keyfile.write_text(json.dumps(doc))
    with pytest.raises(WrongPassphrase):
        Engine.open(home, PASSPHRASE)


def test_two_profiles_never_see_each_other(tmp_path: Path) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    with Engine.create(alice, PASSPHRASE) as a, Engine.create(bob, PASSPHRASE) as b:
        a.notes.add("alice private plan")
        b.notes.add("bob private plan")
        assert [h.note.body for h in a.notes.search("private plan")] == ["alice private plan"]
        assert [h.note.body for h in b.notes.search("private plan")] == ["bob private plan"]
    # Same passphrase, different random database keys: one profile's key cannot open the other's DB.
    (alice / "lifeos.db").rename(tmp_path / "alice.db")
    (bob / "lifeos.db").rename(alice / "lifeos.db")
    for suffix in ("-wal", "-shm"):
        (bob / f"lifeos.db{suffix}").unlink(missing_ok=True)
    with pytest.raises(DataError):
        Engine.open(alice, PASSPHRASE)


def test_keyfile_is_private(engine: Engine, home: Path) -> None:
    if os.name == "posix":
        assert (home / "lifeos.key.json").stat().st_mode & 0o077 == 0
    assert engine.doctor()["keyfile"]["private"] is True
