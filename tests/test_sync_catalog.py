"""The sync server also serves the coach catalog and its packs: `coach install <id>` works against it,
and a pack download resumes with a Range request (lifeos-server --catalog DIR)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx

from engine.api import browse_catalog
from testkit.sync_devices import new_device
from testkit.sync_server import sync_server

BUNDLED = Path(__file__).resolve().parents[1] / "assets" / "coaches" / "dist"


def _catalog_dir(root: Path) -> Path:
    root.mkdir()
    shutil.copy(BUNDLED / "stoic.coach", root / "stoic.coach")
    entry = next(e for e in browse_catalog() if e.id == "stoic")
    raw = {
        **entry.__dict__,
        "languages": list(entry.languages),
        "tags": list(entry.tags),
        "url": "stoic.coach",
    }
    (root / "catalog.json").write_text(json.dumps({"schema": 1, "coaches": [raw]}))
    return root


def test_coach_install_by_id_from_the_sync_server_and_ranged_downloads(tmp_path: Path) -> None:
    catalog = _catalog_dir(tmp_path / "www")
    size = (catalog / "stoic.coach").stat().st_size
    with sync_server(tmp_path / "server", catalog_dir=catalog) as server:
        base = f"{server.url}/v1/catalog"
        listed = httpx.get(f"{base}/catalog.json").json()
        assert [c["id"] for c in listed["coaches"]] == ["stoic"]
        tail = httpx.get(f"{base}/stoic.coach", headers={"range": f"bytes={size - 100}-"})
        assert tail.status_code == 206 and tail.content == (catalog / "stoic.coach").read_bytes()[-100:]
        device = new_device(tmp_path / "p")
        try:
            report = device.coaches.install("stoic", catalog=f"{base}/catalog.json")
            assert report.action == "installed" and report.coach_id == "stoic"
            assert [c.id for c in device.coaches.list()] == ["stoic"]
        finally:
            device.close()
