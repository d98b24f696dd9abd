"""Publishing from the studio to the coach catalog the sync server serves, and a coachee's device
installing the coach by id from that server over loopback, then its next version over it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from test_studio_pdfs import three_books

from engine.api import Engine, errors
from testkit.sync_devices import new_device
from testkit.sync_server import sync_server


def _ready_draft(creator: Engine, books: Path) -> str:
    draft = creator.studio.create("Calm Focus", domain="Health")
    creator.studio.add_path(draft.id, books)
    for found in creator.studio.check(draft.id).personal:
        creator.studio.redact(found.chunk.id)
    for source in creator.studio.sources(draft.id):
        creator.studio.set_source(source.id, licence="CC BY 4.0", author="Dana")
    return draft.id


def test_a_published_coach_installs_by_id_from_the_sync_server_and_updates_in_place(tmp_path: Path) -> None:
    www = tmp_path / "www"
    www.mkdir()
    creator = new_device(tmp_path / "creator")
    coachee = new_device(tmp_path / "coachee")
    try:
        three_books(tmp_path / "books")
        draft_id = _ready_draft(creator, tmp_path / "books")
        with pytest.raises(errors.UsageError, match="signed"):
            creator.studio.publish(draft_id, www)
        publisher = creator.studio.create_key("Dana Creator")
        first = creator.studio.publish(draft_id, www)
        assert first.name == "calm-focus-0.1.0.coach"
        with pytest.raises(errors.UsageError, match="published already"):
            creator.studio.publish(draft_id, www)
        with sync_server(tmp_path / "server", catalog_dir=www) as server:
            catalog = f"{server.url}/v1/catalog/catalog.json"
            [entry] = httpx.get(catalog).json()["coaches"]
            assert (entry["id"], entry["version"], entry["publisher_key"]) == (
                "calm-focus",
                "0.1.0",
                publisher.key,
            )
            installed = coachee.coaches.install("calm-focus", catalog=catalog)
            assert (installed.action, installed.version) == ("installed", "0.1.0")
            coachee.chat.send("calm-focus", "I lie awake and worry")
            creator.studio.bump(draft_id, "patch", "Clearer sleep advice")
            creator.studio.publish(draft_id, www)
            [entry] = httpx.get(catalog).json()["coaches"]
            assert entry["version"] == "0.1.1"
            updated = coachee.coaches.install("calm-focus", catalog=catalog)
        assert (updated.action, updated.previous_version) == ("updated", "0.1.0")
        coach = coachee.coaches.get("calm-focus")
        assert coach.manifest.publisher == publisher
        assert len(coachee.chat.conversation("calm-focus")) == 2
    finally:
        creator.close()
        coachee.close()
