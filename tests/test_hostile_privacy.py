"""Nothing leaves the profile: the CLI, models loaded and used, writes no file outside `--home`.

ONNX Runtime's telemetry wrote a device id and an event queue under ~/.cache/Microsoft/ and a `.ses`
file in the temp folder on its first import; the engine now switches it off before the library loads.
Every command here runs with a throwaway HOME and TMPDIR that must stay empty.
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli


def test_commands_write_nothing_outside_the_profile(tmp_path: Path) -> None:
    fake_home, fake_tmp = tmp_path / "user-home", tmp_path / "tmp"
    fake_home.mkdir()
    fake_tmp.mkdir()
    env = {"HOME": str(fake_home), "TMPDIR": str(fake_tmp), "XDG_CACHE_HOME": "", "XDG_CONFIG_HOME": ""}
    home = str(tmp_path / "profile")
    commands = [
        ("init",),
        ("note", "add", "Tempo run with Sarah in Berlin on Thursday"),
        ("capture", "Call Sarah about the marathon-2026 plan"),
        ("search", "tempo"),
        ("recall", "what did I plan with Sarah"),
        ("coach", "install", "stoic"),
        ("chat", "stoic", "I keep worrying about the race"),
        ("doctor",),
    ]
    for args in commands:
        result = run_cli("--home", home, *args, env=env)
        assert result.returncode == 0, (args, result.stderr)
    leaked = sorted(str(p.relative_to(tmp_path)) for p in [*fake_home.rglob("*"), *fake_tmp.rglob("*")])
    assert leaked == [], f"files written outside the profile: {leaked}"
