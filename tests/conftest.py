"""Shared fixtures: real encrypted profiles in tmp_path, and the real `lifeos` CLI in a subprocess.

Layering: tests reach the engine through `engine.api`, as the app and the CLI do. The one exception
is a unit test of a single engine module's own rules (markup, dates, ONNX graph surgery, chunking,
fusion, metrics, the grounded composer, migrations on a raw connection, a pack's file layout): it
imports that module, because what it checks is not part of the facade.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from engine.api import Engine

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PASSPHRASE = "correct horse battery staple"
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, one per test module (starting it is the slow part); each test opens its
    own context and page in it, so no test sees another's cookies, cache or page."""
    from playwright.sync_api import sync_playwright

    from testkit.browser import CHROMIUM_ARGS, require_chromium

    executable = require_chromium()
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def engine(home: Path) -> Iterator[Engine]:
    eng = Engine.create(home, PASSPHRASE)
    try:
        yield eng
    finally:
        eng.close()


def run_cli(
    *args: str,
    passphrase: str | None = PASSPHRASE,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `lifeos ARGS` as a separate process, as a person or a script would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LIFEOS_")}
    if passphrase is not None:
        full_env["LIFEOS_PASSPHRASE"] = passphrase
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=REPO,
        env=full_env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory`, by relative path, with its bytes."""
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }
