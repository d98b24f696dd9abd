"""A damaged profile is reported as damaged, never silently replaced, and never a wall of log lines.

Each case is one a person meets after a bad disk, a sync tool that truncated a file, or an edited key
file: the CLI answers in one line with exit 4 ("damaged"), the files are left as they were for a
restore, and `doctor` names what it found. Real profiles and the real CLI in a subprocess.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PASSPHRASE, run_cli

from engine.api import Engine
from engine.errors import DataError
from engine.types import NewNote

PAGE = 4096


def make_profile(home: Path, notes: int = 20) -> None:
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.notes.add_many(NewNote(f"note {i} about the long run") for i in range(notes))


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_truncated_database_is_refused_not_recreated(home: Path) -> None:
    make_profile(home)
    db = home / "lifeos.db"
    for suffix in ("-wal", "-shm"):
        (home / f"lifeos.db{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"")
    for args in (("note", "list"), ("note", "add", "a new note"), ("doctor",)):
        result = run_cli("--home", str(home), *args)
        assert result.returncode == 4, (args, result.stdout, result.stderr)
        assert "empty (0 bytes)" in one_line(result.stderr)
        assert db.stat().st_size == 0, "a fresh database was created under the old key"
    with pytest.raises(DataError, match="damaged"):
        Engine.open(home, PASSPHRASE)


def test_missing_database_is_refused(home: Path) -> None:
    make_profile(home, notes=1)
    for name in ("lifeos.db", "lifeos.db-wal", "lifeos.db-shm"):
        (home / name).unlink(missing_ok=True)
    result = run_cli("--home", str(home), "note", "list")
    assert result.returncode == 4 and "lifeos.db is missing" in one_line(result.stderr)
    assert not (home / "lifeos.db").exists()


def test_a_foreign_empty_database_is_refused(home: Path, tmp_path: Path) -> None:
    """A database file swapped for a fresh one made under the same key (as if re-created) holds no
    LifeOS schema: refused, not migrated into an empty profile."""
    make_profile(home, notes=1)
    import sqlcipher3  # a raw SQLCipher file, the way a broken tool would leave one

    from engine.store import profile

    key = profile.unlock_key(profile.ProfilePaths(home), PASSPHRASE)
    for name in ("lifeos.db", "lifeos.db-wal", "lifeos.db-shm"):
        (home / name).unlink(missing_ok=True)
    conn = sqlcipher3.connect(str(home / "lifeos.db"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    with pytest.raises(DataError, match="holds no LifeOS data"):
        Engine.open(home, PASSPHRASE)


def test_flipped_byte_in_a_page_is_reported_by_doctor_in_plain_words(home: Path) -> None:
    make_profile(home, notes=200)
    db = home / "lifeos.db"
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        engine.doctor()  # checkpoints nothing by itself; close() below leaves the WAL folded in
    pages = db.stat().st_size // PAGE
    assert pages > 10
    target = pages // 2
    with db.open("r+b") as f:
        f.seek(target * PAGE + 200)
        byte = f.read(1)
        f.seek(target * PAGE + 200)
        f.write(bytes([byte[0] ^ 0x01]))

    doctor = run_cli("--home", str(home), "doctor", "--json")
    assert doctor.returncode == 4, doctor.stderr
    assert doctor.stderr.strip() == "", "SQLCipher's own log lines leaked onto stderr"
    report = json.loads(doctor.stdout)
    assert report["ok"] is False
    assert f"page {target + 1}" in report["database"]["integrity"]
    assert "damaged tables:" in report["database"]["integrity"]

    # Any command that reads the damaged page says so in one line, never "unexpected".
    for args in (("note", "list", "--limit", "1000"), ("search", "long run")):
        result = run_cli("--home", str(home), *args)
        if result.returncode != 0:
            line = one_line(result.stderr)
            assert result.returncode == 4 and "damaged" in line and "unexpected" not in line


def _flip_b64(field: Callable[[dict], tuple[dict, str]]) -> Callable[[dict], None]:
    def damage(doc: dict) -> None:
        holder, key = field(doc)
        raw = bytearray(base64.b64decode(holder[key]))
        raw[len(raw) // 2] ^= 0x04
        holder[key] = base64.b64encode(bytes(raw)).decode()

    return damage


@pytest.mark.parametrize(
    "damage",
    [
        _flip_b64(lambda d: (d["wrap"], "ciphertext")),
        _flip_b64(lambda d: (d["wrap"], "nonce")),
        _flip_b64(lambda d: (d["kdf"], "salt")),
        lambda d: d["kdf"].update(time_cost=2),
    ],
    ids=["ciphertext", "nonce", "salt", "lowered-cost"],
)
def test_damaged_key_file_is_damage_not_a_wrong_passphrase(home: Path, damage) -> None:
    make_profile(home, notes=1)
    keyfile = home / "lifeos.key.json"
    doc = json.loads(keyfile.read_text())
    damage(doc)
    keyfile.write_text(json.dumps(doc))
    result = run_cli("--home", str(home), "note", "list")
    assert result.returncode == 4, result.stderr
    assert "key file is damaged" in one_line(result.stderr)


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_cost", 10**6), ("memory_kib", 2**40), ("parallelism", 2**20), ("time_cost", "lots")],
)
def test_key_file_asking_for_absurd_cost_is_refused_before_hashing(home: Path, field: str, value) -> None:
    make_profile(home, notes=1)
    keyfile = home / "lifeos.key.json"
    doc = json.loads(keyfile.read_text())
    doc["kdf"][field] = value
    del doc["sha256"]  # as an attacker would, so the bounds themselves are what refuses it
    keyfile.write_text(json.dumps(doc))
    started = time.monotonic()
    result = run_cli("--home", str(home), "note", "list")
    assert result.returncode == 4, result.stderr
    assert "key file" in one_line(result.stderr) and "unexpected" not in result.stderr
    assert time.monotonic() - started < 30


def test_key_file_written_before_checksums_still_unlocks(home: Path) -> None:
    make_profile(home, notes=1)
    keyfile = home / "lifeos.key.json"
    doc = json.loads(keyfile.read_text())
    del doc["sha256"]
    keyfile.write_text(json.dumps(doc))
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        assert engine.notes.count() == 1


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_every_file_of_the_profile_is_private(home: Path) -> None:
    make_profile(home, notes=5)
    assert run_cli("--home", str(home), "note", "add", "one more").returncode == 0
    assert run_cli("--home", str(home), "doctor").returncode == 0
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_an_old_profile_readable_by_others_is_tightened_on_open(home: Path) -> None:
    make_profile(home, notes=1)
    os.chmod(home / "lifeos.db", 0o644)
    with Engine.open(home, PASSPHRASE, use_embedder=False):
        pass
    assert stat.S_IMODE((home / "lifeos.db").stat().st_mode) == 0o600
