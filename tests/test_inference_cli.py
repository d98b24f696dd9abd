"""`lifeos models`, `lifeos ner` and `lifeos transcribe` as a person runs them: no passphrase needed."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

pytestmark = pytest.mark.slow


def test_models_lists_every_role_without_loading(tmp_path):
    result = run_cli("--home", str(tmp_path / "home"), "models", "--json", passphrase=None)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    serving = {r["role"]: r["name"] for r in data["models"] if r["default"]}
    assert serving == {
        "embedder": "minilm-l6-v2-int8",
        "reranker": "maxsim-minilm-l6-v2-int8",
        "ner": "spacy-en-core-web-sm",
        "asr": "whisper-tiny-en",
    }
    assert not any(r["loaded"] for r in data["models"])
    assert data["budget"]["budget_bytes"] == 300 * 1024 * 1024
    text = run_cli("--home", str(tmp_path / "home"), "models", passphrase=None)
    assert text.returncode == 0 and "minilm-l6-v2-int8@" in text.stdout


def test_ner_prints_types_and_resolved_dates(tmp_path):
    result = run_cli(
        "--home", str(tmp_path), "ner", "I met Sarah from Acme, call her next Tuesday about #marathon",
        "--today", "2026-02-26", "--json", passphrase=None,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = {(e["text"], e["type"]) for e in json.loads(result.stdout)}
    assert {("Sarah", "person"), ("Acme", "organization"), ("next Tuesday", "date")} <= found
    plain = run_cli(
        "--home", str(tmp_path), "ner", "Lunch tomorrow", "--today", "2026-02-26", passphrase=None
    )
    assert "date         tomorrow  → 2026-02-27  (dates)" in plain.stdout


def test_ner_rejects_a_bad_today_as_usage(tmp_path):
    result = run_cli("--home", str(tmp_path), "ner", "x", "--today", "soon", passphrase=None)
    assert result.returncode == 2 and "not a date" in result.stderr


def test_transcribe_unreadable_audio_exits_4_with_one_line(tmp_path):
    bad = tmp_path / "memo.ogg"
    bad.write_bytes(b"nope" * 100)
    result = run_cli("--home", str(tmp_path), "transcribe", str(bad), passphrase=None)
    assert result.returncode == 4
    assert result.stderr.strip().count("\n") == 0
    assert "cannot read audio from memo.ogg" in result.stderr
