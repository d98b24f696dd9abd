"""`lifeos coach build --check`: the studio's content check for scripted builds, in a real subprocess."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from test_studio_pdfs import PROSE, write_book

TOML = """id = "calm"
name = "Calm"
version = "1.0"
domain = "Health"
persona = "mentor"

[[sources]]
title = "Calm"
author = "Dana"
licence = "{licence}"
files = ["calm.pdf"]
"""


def _folder(root: Path, *, planted: bool, licence: str = "CC BY 4.0") -> Path:
    (root / "knowledge").mkdir(parents=True)
    (root / "coach.toml").write_text(TOML.format(licence=licence), encoding="utf-8")
    write_book(root / "knowledge" / "calm.pdf", PROSE["calm"], extra_pages=("planted",) if planted else ())
    return root


def test_check_lists_planted_personal_data_and_exits_non_zero_without_building(tmp_path: Path) -> None:
    src = _folder(tmp_path / "src", planted=True)
    out = tmp_path / "calm.coach"
    home = str(tmp_path / "profile")
    assert run_cli("--home", home, "init").returncode == 0
    result = run_cli("--home", home, "coach", "build", str(src), "--check", "-o", str(out))
    assert result.returncode == 4, result.stderr
    assert "an email address: 'maria.lopez@example.com'" in result.stdout
    assert "a phone number: '+1 415-555-0132'" in result.stdout
    assert "calm.pdf [calm-3]" in result.stdout
    assert not out.exists()


def test_check_passes_a_clean_licensed_folder_and_the_signed_build_follows(tmp_path: Path) -> None:
    src = _folder(tmp_path / "src", planted=False)
    home = str(tmp_path / "profile")
    key = tmp_path / "key.json"
    assert run_cli("--home", home, "init").returncode == 0
    assert run_cli("coach", "keygen", "--name", "Dana", "--out", str(key), passphrase=None).returncode == 0
    out = tmp_path / "calm.coach"
    result = run_cli(
        "--home", home, "coach", "build", str(src), "--check", "--sign", str(key), "-o", str(out)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing personal found" in result.stdout
    shown = run_cli("--home", home, "coach", "install", str(out))
    assert shown.returncode == 0, shown.stderr
    listed = run_cli("--home", home, "coach", "list")
    assert "signed by Dana" in listed.stdout


def test_check_refuses_a_source_without_a_licence(tmp_path: Path) -> None:
    src = _folder(tmp_path / "src", planted=False, licence="")
    home = str(tmp_path / "profile")
    assert run_cli("--home", home, "init").returncode == 0
    result = run_cli("--home", home, "coach", "build", str(src), "--check")
    assert result.returncode == 4
    assert "source 'Calm': no licence given" in result.stdout
