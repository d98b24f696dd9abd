"""The Training screen in headless Chromium, at phone and laptop size: load and ACWR with its zone,
the goal confidence with its reasons, the four charts, and an import typed into the path field."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    UI_TIMEOUT_MS,
    Screenshots,
    block_external_requests,
    button,
    enter_text,
    open_app,
    require_chromium,
    serve_app,
    shoot_both,
    shown,
    unlock,
)
from testkit.training import ExportItem, SyntheticRun, strava_export, write

pytestmark = pytest.mark.browser
PASSPHRASE = "a calm river at dawn"


def seed(home: Path, tmp: Path) -> Path:
    """Eight weeks of runs entered by hand (a Strava export without files) ending in a hard week,
    a goal race, and a GPX file left to import through the screen."""
    now = datetime.now().astimezone().replace(hour=7, minute=0, second=0, microsecond=0)
    items = []
    for back in range(56, 0, -1):
        day = now - timedelta(days=back)
        if back <= 6:
            items.append(ExportItem(f"r{back}", SyntheticRun(day, 70, 330, hr=None), None, 7))
        elif back % 2 == 0:
            items.append(ExportItem(f"r{back}", SyntheticRun(day, 45, 345, hr=None), None, 4))
    export = strava_export(tmp / "export.zip", items)
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.training.import_activities(export)
        engine.training.set_goal("half", "1:45:00", (now + timedelta(days=60)).date().isoformat())
    return write(SyntheticRun(now - timedelta(hours=2), 30, 320), tmp / "today.gpx")


def test_training_screen_shows_load_goal_and_charts_and_imports_a_run(tmp_path: Path) -> None:
    executable = require_chromium()
    home = tmp_path / "profile"
    gpx = seed(home, tmp_path)
    shots = Screenshots(ARTIFACTS / "test_training_screen")
    with serve_app(home, tmp_path / "app.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE)
        external = block_external_requests(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        try:
            open_app(page, server.url)
            unlock(page, PASSPHRASE)
            button(page, "Training").first.click()
            expect(shown(page, "Training load today")).to_be_visible()
            expect(shown(page, "ACWR")).to_be_visible()
            expect(shown(page, "Confidence")).to_be_visible()
            expect(shown(page, "Goal: the half marathon in 1:45:00")).to_be_visible()
            expect(shown(page, "weeks had 3 runs or more")).to_be_visible()
            shoot_both(page, shots, "load and goal", shown(page, "Training load today"))
            for title in ("Load per day", "Acute vs chronic", "Weekly distance", "Goal confidence over time"):
                expect(shown(page, title)).to_be_attached()
            expect(shown(page, "Green band: acute load 0.8-1.3 times the chronic")).to_be_attached()
            for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                page.set_viewport_size(viewport)
                expect(shown(page, "Training load today")).to_be_visible()
                page.mouse.move(viewport["width"] / 2, viewport["height"] / 2)
                page.mouse.wheel(0, -5000)  # the same scroll position at each size
                page.mouse.wheel(0, 700 if name == "phone" else 560)
                shots.take(page, f"charts {name}")
            page.set_viewport_size(PHONE)
            enter_text(page, "File, folder or Strava export ZIP", str(gpx))
            button(page, "Import").first.click()
            expect(shown(page, "Imported 1 activity.")).to_be_visible()
            shoot_both(page, shots, "imported", shown(page, "Imported 1 activity."))
            page.set_viewport_size(PHONE)
            enter_text(page, "Resting heart rate", "48")
            button(page, "Save heart rates").first.click()
            expect(shown(page, "Heart rates saved")).to_be_visible()
        finally:
            browser.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        assert engine.training.activities(limit=1)[0].source == "gpx"
        assert engine.training.athlete().resting_hr == 48
