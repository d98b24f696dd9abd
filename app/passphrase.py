"""Getting a passphrase from a person or a script, never from a command-line argument.

`LIFEOS_PASSPHRASE` (and `LIFEOS_NEW_PASSPHRASE` for `passwd`) serve scripts and tests, as
`RESTIC_PASSWORD` does for restic; otherwise the terminal is asked, without echo. A command line
argument would leak into shell history and the process list, so there is none.
"""

from __future__ import annotations

import getpass
import os
import sys

from engine.errors import UsageError

ENV_PASSPHRASE = "LIFEOS_PASSPHRASE"
ENV_NEW_PASSPHRASE = "LIFEOS_NEW_PASSPHRASE"


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def ask(prompt: str = "Passphrase: ", env: str = ENV_PASSPHRASE) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not _interactive():
        raise UsageError(f"no passphrase: set {env} or run in a terminal")
    return getpass.getpass(prompt)


def ask_new(env: str = ENV_PASSPHRASE, label: str = "New passphrase") -> str:
    """A new passphrase: from `env`, or typed twice so that a typo cannot lock the coachee out."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not _interactive():
        raise UsageError(f"no passphrase: set {env} or run in a terminal")
    first = getpass.getpass(f"{label}: ")
    second = getpass.getpass(f"{label} (again): ")
    if first != second:
        raise UsageError("the two passphrases differ; nothing was changed")
    return first
