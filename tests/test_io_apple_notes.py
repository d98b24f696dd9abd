"""Apple Notes over IMAP, against a real IMAP server on loopback (Dovecot, see testkit/imap_server.py).

The server is the one part of iCloud that can run here: a real IMAP4rev1 server speaking the same
protocol iCloud does, with notes stored the way iCloud stores them (one message per note in
"Notes" and its subfolders, X-Universally-Unique-Identifier, HTML bodies).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import ImportRejected
from engine.types import ImapAccount, Limits
from testkit import imap_server
from testkit.imap_server import ImapServer
from testkit.notes_sources import apple_note
from tests.conftest import PASSPHRASE

if not imap_server.available():
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{imap_server.PACKAGE} is missing (build/ensure-system-packages.sh installs it)", pytrace=False
        )
    pytest.skip(
        f"needs Debian's {imap_server.PACKAGE} (a real IMAP server on loopback)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def server() -> Iterator[ImapServer]:
    with imap_server.dovecot() as running:
        running.append(
            "Notes",
            apple_note(
                "Groceries",
                "<div>oat milk</div><div>rye bread</div>",
                datetime(2024, 2, 1, 8, 0, tzinfo=UTC),
                "A-1",
            ),
        )
        running.append(
            "Notes/Work",
            apple_note(
                "Quarterly plan",
                "<ul><li>hire a designer</li><li>ship the app</li></ul>",
                datetime(2024, 3, 5, 17, 30, tzinfo=UTC),
                "A-2",
            ),
        )
        running.append(
            "Notes/Projects/Website",
            apple_note(
                "Website ideas",
                "<div>dark mode and a <b>pricing</b> page</div>",
                datetime(2024, 4, 9, 12, 0, tzinfo=UTC),
                "A-3",
            ),
        )
        yield running


def account(server: ImapServer, **changes: object) -> ImapAccount:
    values: dict[str, object] = {"port": server.port, "tls": False} | changes
    password = str(values.pop("password", server.password))
    return ImapAccount(server.host, server.user, password, **values)  # type: ignore[arg-type]


def test_apple_notes_with_their_dates_and_folders(server: ImapServer, tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine:
        preview = engine.io.preview_apple_notes(account(server))
        assert preview.notes == 3 and preview.mapping == {"Projects/Website": "project", "Work": "none"}
        report = engine.io.import_apple_notes(account(server), {"Work": "area"})
        assert report.added == 3 and report.entities_created == 2
        plan = engine.notes.search("designer")[0].note
        assert plan.title == "Quarterly plan" and plan.created_at.startswith("2024-03-05T17:30")
        assert "- hire a designer" in plan.body and "- ship the app" in plan.body
        assert {(e.type, e.name) for e in engine.memory.list_entities()} == {
            ("area", "Work"),
            ("project", "Website"),
        }
        again = engine.io.import_apple_notes(account(server))
        assert (again.added, again.unchanged) == (0, 3)
    client = server.client()  # read-only: the notes are exactly as they were on the server
    client.select('"Notes"', readonly=True)
    assert client.search(None, "ALL")[1][0].split() == [b"1"]
    client.logout()


def test_wrong_password_and_oversized_note_are_named(server: ImapServer, tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine:
        with pytest.raises(
            ImportRejected, match=rf"127\.0\.0\.1:{server.port}: refused the login for me@icloud\.test"
        ):
            engine.io.import_apple_notes(account(server, password="wrong"))
        tiny = Limits(max_text_bytes=200)
        with pytest.raises(ImportRejected, match=r"message 1: is .* over the 200 bytes limit per note"):
            engine.io.import_apple_notes(account(server), limits=tiny)
        with pytest.raises(ImportRejected, match=r"has no 'Archive' folder"):
            engine.io.import_apple_notes(account(server, folder="Archive"))
        assert engine.notes.count() == 0
