"""Export and restore: a profile with every kind of data goes out as one ZIP and comes back equal.

Equality is checked on everything at once, table by table: the restored profile is exported again
and every data file (every row of every table, as JSON Lines) must be byte-identical to the first
export's. The parts a person would look at (fact history, links, attachments, settings, search)
are then checked through the engine too, so a dump that is equal but unusable would still fail.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import ImportRejected, ProfileExists, WrongPassphrase
from engine.types import Setting
from testkit.notes_sources import PNG
from tests.conftest import PASSPHRASE

THEME = Setting("settings.test_theme", "light")


def seed(engine: Engine) -> dict[str, str]:
    engine.coaches.install("health")
    engine.notes.add("Morning pages: slept badly, coffee too late.", kind="daily")
    capture = engine.memory.capture(
        "Call @priya about the #marathon plan on Friday. I prefer runs before 7am."
    )
    engine.memory.create_entity("project", "Kitchen Renovation", deadline="2027-03-01", aliases=("Kitchen",))
    engine.memory.create_entity("area", "Health")
    engine.memory.link_entities("Kitchen Renovation", "Health")
    first = engine.memory.add_fact("The budget for the kitchen is 8000 euros", "Kitchen Renovation")
    second = engine.memory.supersede_fact(first.fact.id, "The budget for the kitchen is 9500 euros")
    attachment = engine.memory.attach(capture.note.id, "sketch.png", PNG)
    engine.settings.set(THEME, "dark")
    engine.heartbeat.set_active_hours("7-9,19-22")
    engine.chat.send("health", "How do I start running again after a break?")
    return {"fact": second.fact.id, "note": capture.note.id, "attachment": attachment}


def data_files(path: Path, password: str | None = None) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        if password:
            zf.setpassword(password.encode())
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("data/")} if not password else {}


def test_restore_gives_back_every_row(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "a", PASSPHRASE, use_embedder=False) as engine:
        ids = seed(engine)
        report = engine.io.export(tmp_path / "a.zip")
    assert (
        report.tables["notes"] >= 3 and report.tables["messages"] >= 2 and report.tables["attachments"] == 1
    )
    with Engine.restore(tmp_path / "a.zip", tmp_path / "b", PASSPHRASE, use_embedder=False) as restored:
        restored.io.export(tmp_path / "b.zip")
        history = [f.content for f in restored.memory.fact_history(ids["fact"])]
        assert history == [
            "The budget for the kitchen is 8000 euros",
            "The budget for the kitchen is 9500 euros",
        ]
        assert [e.name for e in restored.memory.path_between("Kitchen", "Health")] == [
            "Kitchen Renovation",
            "Health",
        ]
        assert restored.memory.entity("Kitchen").deadline == "2027-03-01"
        assert restored.settings.get(THEME) == "dark"
        assert [(w.start, w.end) for w in restored.heartbeat.checkin_hours()] == [(7, 9), (19, 22)]
        assert [h.note.id for h in restored.notes.search("coffee")]  # the FTS index was rebuilt
        assert restored.chat.conversation("health", 10)[0].content.startswith("How do I start running")
    first, second = data_files(tmp_path / "a.zip"), data_files(tmp_path / "b.zip")
    assert first.keys() == second.keys() and "data/attachments.jsonl" in first
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []
    attachment = json.loads(first["data/attachments.jsonl"].splitlines()[0])
    assert attachment["id"] == ids["attachment"] and attachment["note_id"] == ids["note"]


def test_the_export_is_an_obsidian_vault(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "a", PASSPHRASE, use_embedder=False) as engine:
        seed(engine)
        engine.io.export(tmp_path / "a.zip")
        day = engine.notes.list(limit=1)[0].day
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        names = set(zf.namelist())
        kitchen = zf.read("vault/Projects/Kitchen Renovation.md").decode()
        daily = zf.read(f"vault/Daily/{day}.md").decode()
        manifest = json.loads(zf.read("manifest.json"))
    assert kitchen.startswith("---\n") and "deadline: '2027-03-01'" in kitchen and "- Kitchen" in kitchen
    assert (
        "~~The budget for the kitchen is 8000 euros~~" in kitchen
        and "→ The budget for the kitchen is 9500" in kitchen
    )
    assert "[[Health]]" in kitchen
    assert "[[priya]]" in daily.lower() and "![[" in daily  # mentions link; the sketch is embedded
    assert any(n.startswith("vault/Attachments/") and n.endswith("sketch.png") for n in names)
    assert any(n.startswith("vault/Chats/") for n in names)
    assert manifest["schema_version"] >= 7 and "import_sources" in manifest["tables"]


def test_an_encrypted_export_needs_the_passphrase(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "a", PASSPHRASE, use_embedder=False) as engine:
        engine.notes.add("A secret plan about the surprise party")
        report = engine.io.export(tmp_path / "a.zip", password=PASSPHRASE)
    assert report.encrypted and "AES-256" in report.scheme
    raw = (tmp_path / "a.zip").read_bytes()
    assert b"surprise party" not in raw
    with zipfile.ZipFile(tmp_path / "a.zip") as zf, pytest.raises((RuntimeError, NotImplementedError)):
        zf.read("data/notes.jsonl")  # the stdlib cannot read AES members at all
    with pytest.raises(WrongPassphrase):
        Engine.restore(tmp_path / "a.zip", tmp_path / "b", PASSPHRASE, password="not the passphrase")
    assert not (tmp_path / "b").exists()
    with Engine.restore(tmp_path / "a.zip", tmp_path / "b", PASSPHRASE, use_embedder=False) as restored:
        assert [h.note.title for h in restored.notes.search("surprise")] == [
            "A secret plan about the surprise party"
        ]


def test_a_damaged_export_is_refused_and_leaves_no_profile(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "a", PASSPHRASE, use_embedder=False) as engine:
        engine.notes.add("one note")
        engine.io.export(tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "a.zip") as src, zipfile.ZipFile(tmp_path / "bad.zip", "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data.replace(b"one note", b"two note") if name == "data/notes.jsonl" else data)
    with pytest.raises(ImportRejected, match=r"data/notes\.jsonl.*checksum"):
        Engine.restore(tmp_path / "bad.zip", tmp_path / "b", PASSPHRASE)
    assert not (tmp_path / "b").exists()
    with pytest.raises(ProfileExists):
        Engine.restore(tmp_path / "a.zip", tmp_path / "a", PASSPHRASE)


def test_an_export_carries_no_device_secrets_and_a_restore_is_a_new_device(tmp_path: Path) -> None:
    """The sync account's key ring, this device's private signing key, its id and its clock stay on
    the device: an unencrypted export would show them, and a restore would clone the device."""
    from testkit.sync_server import sync_server

    home = tmp_path / "p"
    with (
        sync_server(tmp_path / "server") as server,
        Engine.create(home, PASSPHRASE, use_embedder=False) as engine,
    ):
        engine.notes.add("Tempo run on Thursday")
        engine.sync.setup(server.url)
        engine.sync.now()
        original_device = engine.sync.status().device_id
        export = engine.io.export(tmp_path / "export.zip").path
    with zipfile.ZipFile(export) as archive:
        meta = [json.loads(line) for line in archive.read("data/meta.jsonl").decode().splitlines() if line]
    keys = {row["key"] for row in meta}
    assert not any(k.startswith("sync.") for k in keys) and not keys & {"device_id", "hlc.last"}
    with Engine.restore(export, tmp_path / "restored", PASSPHRASE) as restored:
        assert [n.body for n in restored.notes.list()] == ["Tempo run on Thursday"]
        status = restored.sync.status()
        assert not status.configured and status.device_id and status.device_id != original_device
