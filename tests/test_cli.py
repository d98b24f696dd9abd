"""The `lifeos` CLI as a person or a script uses it: JSON output, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import REPO, run_cli

from app.cli import build_parser


def test_cli_tour(tmp_path: Path) -> None:
    home = str(tmp_path / "p")
    init = run_cli("--home", home, "init")
    assert init.returncode == 0, init.stderr
    assert "Created an encrypted profile" in init.stdout

    add = run_cli("--home", home, "note", "add", "Long run on Sunday with Sarah", "--title", "Training")
    assert add.returncode == 0, add.stderr
    note_id = add.stdout.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", note_id)
    run_cli("--home", home, "note", "add", "Idea: a budget for the trip", "--kind", "capture")
    piped = run_cli("--home", home, "note", "add", "-", stdin="from stdin\nsecond line")
    assert piped.returncode == 0

    listed = json.loads(run_cli("--home", home, "note", "list", "--json").stdout)
    assert [n["title"] for n in listed] == ["from stdin", "Idea: a budget for the trip", "Training"]
    assert (
        json.loads(run_cli("--home", home, "note", "list", "--kind", "capture", "--json").stdout)[0]["kind"]
        == "capture"
    )

    shown = json.loads(run_cli("--home", home, "note", "show", note_id, "--json").stdout)
    assert shown["body"] == "Long run on Sunday with Sarah" and shown["id"] == note_id
    assert "Long run on Sunday" in run_cli("--home", home, "note", "show", note_id).stdout

    hits = json.loads(run_cli("--home", home, "search", "sarah", "--json").stdout)
    assert [h["note"]["id"] for h in hits] == [note_id]
    assert "Nothing found" in run_cli("--home", home, "search", "zzzz").stdout

    doctor = run_cli("--home", home, "doctor", "--json")
    assert doctor.returncode == 0, doctor.stderr
    report = json.loads(doctor.stdout)
    assert report["ok"] and report["database"]["fts5"] and report["database"]["vec0"]
    assert report["database"]["encrypted"] and report["database"]["integrity"] == "ok"
    assert report["counts"]["notes"] == 3
    assert "Integrity   ok" in run_cli("--home", home, "doctor").stdout


def test_exit_codes_and_one_line_errors(tmp_path: Path) -> None:
    home = str(tmp_path / "p")
    assert run_cli("--home", home, "init").returncode == 0
    cases = [
        (run_cli("--home", home, "init"), 2, "already exists"),
        (run_cli("--home", home, "note", "list", passphrase=None), 2, "LIFEOS_PASSPHRASE"),
        (run_cli("--home", home, "note", "add", "   "), 2, "needs some text"),
        (run_cli("--home", home, "note", "list", passphrase="wrong passphrase"), 3, "wrong passphrase"),
        (run_cli("--home", home, "note", "show", "no-such-id"), 4, "no note with id"),
        (run_cli("--home", str(tmp_path / "none"), "doctor"), 4, "no profile"),
        (run_cli("--home", str(tmp_path / "q"), "init", passphrase="short"), 2, "at least 8"),
    ]
    for result, code, words in cases:
        assert result.returncode == code, (result.args, result.stderr)
        assert words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    usage = run_cli("--home", home, "note", "list", "--limit", "0")
    assert usage.returncode == 2 and "between 1 and" in usage.stderr
    assert not (tmp_path / "q").exists() or not any((tmp_path / "q").glob("lifeos.*"))


def _commands(parser, prefix: str = "") -> list[str]:
    names: list[str] = []
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                full = f"{prefix}{name}"
                children = _commands(sub, full + " ")
                names.extend(children or [full])
    return names


def test_readme_documents_every_command() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [
        c
        for c in _commands(build_parser())
        if not re.search(rf"lifeos(?: --home \S+)? {re.escape(c)}\b", readme)
    ]
    assert missing == [], f"README does not document: {missing}"
