"""Every `lifeos` command, given hostile arguments, answers in words: never "unexpected <Exception>".

The commands are found by walking the real parser (a command added later is covered without editing
this file). Each runs in-process against one real profile, first with hostile text in every
positional argument (undecodable bytes as the shell delivers them, terminal escapes, a path out of
the profile, a number past any integer), then with hostile values in every option that takes one.
Commands that change the machine outside the profile (installing a scheduler entry) or wait on the
network are skipped by name, and said here.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from app import cli, cli_text
from engine.api import Engine

pytestmark = pytest.mark.slow

SKIPPED = {
    "init": "creates the profile (done once here)",
    "passwd": "prompts for a new passphrase",
    "heartbeat install": "writes a cron or systemd entry on this machine",
    "heartbeat uninstall": "edits this machine's scheduler",
    "eval chat": "runs a whole evaluation (minutes)",
    "eval retrieval": "runs a whole evaluation (minutes)",
    "import apple-notes": "connects to an IMAP server",
    "sync setup": "registers with a sync server",
    "sync join": "contacts a sync server",
    "sync pair": "waits for a second device",
    "sync now": "contacts a sync server",
}
HOSTILE_TEXT = "\udcff\udcfe \x1b[31m;rm -rf ~\x07 ../../../etc/passwd " + "9" * 40
HOSTILE_VALUES = ["-1e400", "nan", "9" * 40, "\udcff\x1b]0;x\x07"]


def commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield prefix, parser
        return
    for name, sub in subparsers[0].choices.items():
        yield from commands(sub, (*prefix, name))


ALL = [(words, p) for words, p in commands(cli.build_parser()) if " ".join(words) not in SKIPPED]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("hostile-cli") / "p"
    with Engine.create(path, PASSPHRASE, use_embedder=False) as engine:
        engine.notes.add("A note so that lists and searches have something to show")
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with suppress(SystemExit):  # argparse's own usage errors (exit 2) are words too
        cli.main(argv)
    captured = capsys.readouterr()
    return captured.out + captured.err


@pytest.fixture(autouse=True)
def profile_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIFEOS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("LIFEOS_NEW_PASSPHRASE", PASSPHRASE)
    monkeypatch.chdir(tmp_path)  # anything a command writes by default lands here
    monkeypatch.setattr(cli_text, "guard_streams", lambda: None)  # pytest owns stdout here


@pytest.mark.parametrize(("words", "parser"), ALL, ids=[" ".join(w) for w, _ in ALL])
def test_hostile_arguments_get_an_answer_in_words(
    words: tuple[str, ...], parser: argparse.ArgumentParser, home: str, capsys: pytest.CaptureFixture[str]
) -> None:
    positionals = [a for a in parser._actions if not a.option_strings and a.nargs != 0]
    options = [a for a in parser._actions if a.option_strings and a.nargs != 0 and a.dest != "help"]
    texts = [HOSTILE_TEXT for _ in positionals]
    attempts = [["--home", home, *words, *texts]]
    for option in options:
        if option.choices:  # a wrong choice is argparse's to refuse
            continue
        for value in HOSTILE_VALUES:
            attempts.append(["--home", home, *words, *texts, option.option_strings[-1], value])
    for argv in attempts:
        output = run(argv, capsys)
        assert "unexpected" not in output, (argv, output)
        assert "Traceback" not in output, (argv, output)
