"""The memory commands of the `lifeos` CLI, end to end in subprocesses on a real profile."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli


def test_capture_para_fact_recall(tmp_path: Path) -> None:
    home = str(tmp_path / "p")
    assert run_cli("--home", home, "init").returncode == 0
    cap = run_cli(
        "--home", home, "capture", "Long run Sunday for #marathon-2026 with @Sarah on 2026-03-01", "--json"
    )
    assert cap.returncode == 0, cap.stderr
    captured = json.loads(cap.stdout)
    assert captured["placement"]["place"] == "projects"
    assert {m["entity_name"] for m in captured["mentions"] if m["entity_name"]} == {"Marathon 2026", "Sarah"}
    assert "2026-03-01" in captured["dates"]

    listed = json.loads(run_cli("--home", home, "para", "list", "--json").stdout)
    assert sorted((e["type"], e["name"]) for e in listed) == [
        ("person", "Sarah"),
        ("project", "Marathon 2026"),
    ]
    assert run_cli("--home", home, "para", "add", "area", "Health").returncode == 0
    assert "area      Health" in run_cli("--home", home, "para", "list", "--type", "area").stdout

    first = json.loads(
        run_cli("--home", home, "fact", "add", "marathon-2026", "I'm training for Berlin", "--json").stdout
    )
    changed = run_cli(
        "--home", home, "fact", "supersede", first["fact"]["id"], "Running Valencia in December"
    )
    assert changed.returncode == 0 and "replaces: I'm training for Berlin" in changed.stdout

    shown = json.loads(run_cli("--home", home, "para", "show", "marathon-2026", "--json").stdout)
    assert shown["active"][0]["fact"]["content"] == "Running Valencia in December"
    assert [f["content"] for f in shown["history"]] == ["I'm training for Berlin"]
    assert "Valencia" in shown["summary_md"]
    text = run_cli("--home", home, "para", "show", "marathon-2026").stdout
    assert "## Superseded (kept)" in text and "I'm training for Berlin" in text

    hits = json.loads(run_cli("--home", home, "recall", "Valencia", "--json").stdout)
    assert hits[0]["text"] == "Running Valencia in December" and hits[0]["tier"] == "hot"
    past = json.loads(run_cli("--home", home, "recall", "Valencia", "--as-of", "2020-01-01", "--json").stdout)
    assert past == []

    assert run_cli("--home", home, "para", "archive", "marathon-2026").returncode == 0
    assert json.loads(run_cli("--home", home, "para", "list", "--type", "archive", "--json").stdout)[0][
        "name"
    ] == ("Marathon 2026")


def test_memory_command_errors(tmp_path: Path) -> None:
    home = str(tmp_path / "p")
    run_cli("--home", home, "init")
    for args, code, words in [
        (("para", "show", "nobody"), 4, "nothing called 'nobody'"),
        (("fact", "supersede", "no-such-id", "x"), 4, "no fact with id"),
        (("fact", "add", "nobody", "x"), 4, "nothing called"),
        (("recall", "  "), 2, "needs a question"),
        (("recall", "x", "--as-of", "yesterday"), 2, "not a date"),
        (("para", "add", "project", "  "), 2, "a name is needed"),
    ]:
        result = run_cli("--home", home, *args)
        assert result.returncode == code, (args, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr
