"""The catalog: browse and filter, install by id from a server over a real loopback socket, resume a
truncated download, refuse a download whose checksum differs, and the bundled demo coaches."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from engine.api import Engine, browse_catalog
from engine.coaches import catalog as catalog_mod
from engine.coaches.part import BUNDLED, BUNDLED_CATALOG
from engine.errors import PackError, PackTampered
from engine.types import Models
from testkit.coaches import FileServer
from tests.conftest import PASSPHRASE, run_cli

pytestmark = pytest.mark.slow
STOIC_PACK = BUNDLED / "dist" / "stoic.coach"


@pytest.fixture(scope="module")
def models():
    m = Models()
    yield m
    m.close()


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A server folder: the Stoic pack and a catalog that points at it by a relative URL."""
    root = tmp_path / "www"
    root.mkdir()
    shutil.copy(STOIC_PACK, root / "stoic.coach")
    entry = next(e for e in catalog_mod.load_catalog(BUNDLED_CATALOG) if e.id == "stoic")
    raw = {
        **entry.__dict__,
        "languages": list(entry.languages),
        "tags": list(entry.tags),
        "url": "stoic.coach",
    }
    (root / "catalog.json").write_text(json.dumps({"schema": 1, "coaches": [raw]}))
    return root


def test_bundled_catalog_lists_the_demo_coaches_by_domain_and_language():
    entries = catalog_mod.load_catalog(BUNDLED_CATALOG)
    assert {(e.id, e.domain) for e in entries} == {
        ("stoic", "Wisdom"),
        ("health", "Health"),
        ("wealth", "Wealth"),
        ("dyno", "Health"),
    }
    assert all(e.size == Path(e.url).stat().st_size and len(e.sha256) == 64 for e in entries)
    assert sorted(e.id for e in catalog_mod.browse(entries, domain="health")) == ["dyno", "health"]
    assert [e.id for e in catalog_mod.browse(entries, language="en", text="debt")] == ["wealth"]
    assert catalog_mod.browse(entries, language="fr") == []
    listed = run_cli("coach", "list", "--catalog", "--domain", "Wisdom", "--json", passphrase=None)
    assert listed.returncode == 0 and [e["id"] for e in json.loads(listed.stdout)] == ["stoic"]


def test_a_truncated_download_resumes_over_loopback(served: Path, tmp_path: Path, models: Models):
    server = FileServer(served, cut=1, cut_at=400_000)
    seen: list[tuple[str, int, int]] = []
    with server.serve() as base, Engine.create(tmp_path / "p", PASSPHRASE, models=models) as engine:
        report = engine.coaches.install(
            "stoic", catalog=f"{base}/catalog.json", progress=lambda *a: seen.append(a)
        )
        assert (report.action, report.passages, report.embedded) == ("installed", 1043, False)
    assert server.ranges == [None, None, "bytes=400000-"]  # catalog, pack (cut), then only the rest
    downloads = [d for s, d, _ in seen if s == "download"]
    assert (
        downloads[-1] == STOIC_PACK.stat().st_size
        and max(t for s, _, t in seen if s == "download") == downloads[-1]
    )


def test_a_download_cut_repeatedly_keeps_its_part_and_resumes_on_the_next_try(served: Path, tmp_path: Path):
    dest = tmp_path / "dl" / "stoic.coach"
    size = STOIC_PACK.stat().st_size
    sha = catalog_mod.file_sha256(STOIC_PACK)
    server = FileServer(served, cut=3, cut_at=100_000)
    with server.serve() as base:
        with pytest.raises(PackError, match="run the install again to resume"):
            catalog_mod.download(f"{base}/stoic.coach", dest, sha256=sha, size=size, attempts=3, pause=0)
        assert dest.with_name("stoic.coach.part").stat().st_size == 300_000 and not dest.exists()
        catalog_mod.download(f"{base}/stoic.coach", dest, sha256=sha, size=size, pause=0)
    assert server.ranges[-1] == "bytes=300000-" and dest.read_bytes() == STOIC_PACK.read_bytes()


def test_a_download_that_differs_from_the_catalog_is_refused_naming_the_file(served: Path, tmp_path: Path):
    data = bytearray((served / "stoic.coach").read_bytes())
    data[len(data) // 2] ^= 0x01
    (served / "stoic.coach").write_bytes(bytes(data))
    with (
        FileServer(served).serve() as base,
        Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine,
    ):
        version = re.escape(next(e.version for e in browse_catalog() if e.id == "stoic"))
        with pytest.raises(
            PackTampered, match=rf"stoic-{version}\.coach does not match the catalog's checksum"
        ):
            engine.coaches.install("stoic", catalog=f"{base}/catalog.json")
        assert engine.coaches.list() == []


def test_first_start_installs_the_bundled_coaches_once(tmp_path: Path, models: Models):
    with Engine.create(tmp_path / "p", PASSPHRASE, models=models) as engine:
        first = engine.coaches.install_bundled()
        assert sorted((r.coach_id, r.action, r.embedded) for r in first) == [
            ("dyno", "installed", False),
            ("health", "installed", False),
            ("stoic", "installed", False),
            ("wealth", "installed", False),
        ]
        assert {r.action for r in engine.coaches.install_bundled()} == {"unchanged"}
        health = engine.chat.send("health", "I drink coffee late and then can't fall asleep")
        assert "sleep-3" in [c.ref for c in health.citations] and health.text.endswith("?")
        wealth = engine.chat.send("wealth", "I have three credit cards and no idea which debt to pay first")
        assert any(c.ref.startswith("debt-and-saving") for c in wealth.citations)
        sources = engine.coaches.get("wealth").manifest.sources
        assert "Written for LifeOS Coach" in sources[0].origin and sources[0].licence == "CC0-1.0"


def test_preview_three_free_messages_then_install_keeps_the_conversation(tmp_path: Path, models):
    from engine.errors import UsageError

    with Engine.create(tmp_path / "p", PASSPHRASE, models=models) as engine:
        engine.coaches.preview("stoic")
        assert engine.coaches.list() == [] and [c.id for c in engine.coaches.list(include_previews=True)] == [
            "stoic"
        ]
        for left in (3, 2, 1):
            assert engine.coaches.preview_messages_left("stoic") == left
            assert engine.chat.send("stoic", "How do I stop worrying about what others think?").text
        assert engine.coaches.preview_messages_left("stoic") == 0
        with pytest.raises(UsageError, match="install the coach"):
            engine.chat.send("stoic", "One more?")
        engine.coaches.install("stoic")
        assert [c.id for c in engine.coaches.list()] == ["stoic"] and engine.coaches.preview_messages_left(
            "stoic"
        ) is None
        assert len(engine.chat.conversation("stoic")) == 6  # the preview turns stay
        assert engine.chat.send("stoic", "Thank you. What should I read first?").text
        with pytest.raises(UsageError):
            engine.coaches.preview("stoic")  # already installed

        engine.coaches.preview("health")
        engine.coaches.end_preview("health")
        assert [c.id for c in engine.coaches.list(include_previews=True)] == ["stoic"]
