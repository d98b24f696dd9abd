"""`lifeos export`, `lifeos restore` and `lifeos import` as a person runs them (real processes)."""

from __future__ import annotations

import json
from pathlib import Path

from testkit.notes_sources import VaultSpec, write_takeout, write_vault
from tests.conftest import run_cli


def test_import_export_restore_from_the_command_line(tmp_path: Path) -> None:
    home, vault = tmp_path / "home", write_vault(tmp_path / "vault", VaultSpec(notes=6, daily=2))
    assert run_cli("--home", str(home), "init").returncode == 0
    dry = run_cli(
        "--home", str(home), "import", "obsidian", str(vault), "--dry-run", "--map", "Inbox=resource"
    )
    assert dry.returncode == 0, dry.stderr
    assert "Inbox" in dry.stdout and "resource" in dry.stdout and "new 12" in dry.stdout
    done = run_cli("--home", str(home), "import", "obsidian", str(vault), "--no-learn", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 12
    keep = run_cli(
        "--home", str(home), "import", "keep", str(write_takeout(tmp_path / "t.zip", notes=4)), "--no-learn"
    )
    assert keep.returncode == 0 and "Imported 5 notes" in keep.stdout, keep.stderr
    out = tmp_path / "export.zip"
    exported = run_cli("--home", str(home), "export", "--out", str(out), "--encrypt")
    assert exported.returncode == 0 and "AES-256" in exported.stdout, exported.stderr
    again = run_cli("--home", str(home), "export", "--out", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr
    restored = run_cli("restore", str(out), "--home", str(tmp_path / "new"), "--no-index", "--json")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["notes"] == 16  # the archived Keep note is kept, not counted as active
    found = run_cli("--home", str(tmp_path / "new"), "search", "designer")
    assert found.returncode == 0 and "Sarah" in found.stdout


def test_cli_names_the_bad_file(tmp_path: Path) -> None:
    home, vault = tmp_path / "home", write_vault(tmp_path / "vault", VaultSpec(notes=2, daily=1))
    (vault / "Inbox" / "bad.md").write_bytes(b"caf\xe9")
    assert run_cli("--home", str(home), "init").returncode == 0
    result = run_cli("--home", str(home), "import", "obsidian", str(vault))
    assert result.returncode == 4
    assert "Inbox/bad.md: is not UTF-8 text" in result.stderr
