"""Changing facts and a deadline on an entity's page, in headless Chromium, as a person would.

Each test seeds its own profile through the Engine, serves it and unlocks a fresh page, types and
clicks, and then (with the app stopped) opens the profile to check what was stored: an edit keeps the
earlier wording, a retired fact stays in the history, a deadline is a calendar day. The two sizes run
under two locales, so the dates on the page are checked in the order each locale writes them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.ui.locale_dates import format_day, style_for
from app.ui.para_display import deadline_text
from engine.api import Engine
from engine.inference.dates import resolve_date
from testkit.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    Screenshots,
    button,
    destination,
    enter_text,
    field,
    focus_field,
    shown,
)
from testkit.fresh_page import fresh_page

pytestmark = pytest.mark.browser

PASSPHRASE = "a quiet harbour at noon"
SIZES = [
    pytest.param(PHONE, "en_GB.UTF-8", id="phone-en_GB"),
    pytest.param(DESKTOP, "en_US.UTF-8", id="desktop-en_US"),
]


def seed(home: Path) -> None:
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.memory.create_entity("project", "Q3 report")
        engine.memory.add_fact("The draft goes to Anna first", "Q3 report", category="work")
        engine.memory.add_fact("I write the summary on Mondays", "Q3 report", category="work")


def holds(page: Page, label: str, value: str) -> None:
    """The text a field shows: Flutter copies it into the DOM only while the field has the focus, so
    click in first, as a person putting the caret there would."""
    focus_field(page, label)
    expect(field(page, label)).to_have_value(value)


def open_project(page: Page, name: str) -> None:
    destination(page, "PARA").click()  # opens on Projects
    shown(page, name).click()
    expect(page.get_by_text("What stands now", exact=False).first).to_be_visible()


@pytest.mark.parametrize(("viewport", "lang"), SIZES)
def test_add_edit_and_retire_a_fact(
    tmp_path: Path, request: pytest.FixtureRequest, viewport: dict[str, int], lang: str
) -> None:
    home = tmp_path / "profile"
    seed(home)
    shots = Screenshots(ARTIFACTS / request.node.name)
    style = style_for(lang)
    with fresh_page(home, PASSPHRASE, viewport, env_extra={"LANG": lang}) as fresh:
        page = fresh.page
        open_project(page, "Q3 report")
        expect(page.get_by_text("What stands now (2)")).to_be_visible()

        enter_text(page, "New fact", "Numbers come from the finance export")
        button(page, "Add fact").click()
        expect(page.get_by_text("What stands now (3)")).to_be_visible()
        expect(shown(page, "Numbers come from the finance export")).to_be_visible()
        shots.take(page, "added")

        button(page, "Change “I write the summary on Mondays”").click()
        holds(page, "Changed fact", "I write the summary on Mondays")
        enter_text(page, "Changed fact", "I write the summary on Tuesdays")
        button(page, "Save change").click()
        expect(page.get_by_text("Earlier versions (1)")).to_be_visible()
        expect(shown(page, "I write the summary on Tuesdays")).to_be_visible()
        believed = f"believed from {format_day(date.today(), style)}, later replaced"
        expect(shown(page, believed)).to_be_visible()
        shots.take(page, "edited")

        button(page, "No longer true: retire “The draft goes to Anna first”").click()
        expect(page.get_by_text("Earlier versions (2)")).to_be_visible()
        expect(page.get_by_text("What stands now (2)")).to_be_visible()
        today = format_day(date.today(), style)
        expect(shown(page, f"believed from {today}, retired {today}")).to_be_visible()
        shots.take(page, "retired")

    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        stored = engine.memory.entity_page("Q3 report")
        assert sorted(f.content for f, _tier in stored.active) == [
            "I write the summary on Tuesdays",
            "Numbers come from the finance export",
        ]
        history = {f.content: f for f in stored.history}
        assert history["I write the summary on Mondays"].superseded_by is not None
        assert history["The draft goes to Anna first"].superseded_by is None
        assert list(stored.retired_at) == [history["The draft goes to Anna first"].id]


@pytest.mark.parametrize(("viewport", "lang"), SIZES)
def test_set_a_deadline_in_words_and_on_the_calendar(
    tmp_path: Path, request: pytest.FixtureRequest, viewport: dict[str, int], lang: str
) -> None:
    home = tmp_path / "profile"
    seed(home)
    shots = Screenshots(ARTIFACTS / request.node.name)
    style = style_for(lang)
    today = date.today()
    friday = resolve_date("next friday", today)
    assert friday is not None
    # A day in the same month as `friday` (the calendar opens on the current deadline's month).
    picked = (
        friday + timedelta(days=1)
        if (friday + timedelta(days=1)).month == friday.month
        else friday - timedelta(days=1)
    )
    with fresh_page(home, PASSPHRASE, viewport, env_extra={"LANG": lang}) as fresh:
        page = fresh.page
        open_project(page, "Q3 report")
        holds(page, "Deadline", "")

        enter_text(page, "Deadline", "next friday")
        button(page, "Save deadline").click()
        expect(shown(page, f"Due in {(friday - today).days} days")).to_be_visible()
        holds(page, "Deadline", format_day(friday, style))
        expect(shown(page, f"Due in {(friday - today).days} days")).to_be_visible()
        shots.take(page, "deadline in words")

        button(page, "Pick the deadline on a calendar").click()
        expect(button(page, "Set deadline")).to_be_visible()
        shots.take(page, "calendar")
        label = re.compile(rf"^{picked.day}, {picked:%A}, {picked:%B} {picked.day}, {picked.year}")
        page.get_by_role("button", name=label).click()
        button(page, "Set deadline").click()
        expect(shown(page, str(deadline_text(picked.isoformat(), today)))).to_be_visible()
        holds(page, "Deadline", format_day(picked, style))
        shots.take(page, "deadline picked")

        enter_text(page, "Deadline", "soonish")
        button(page, "Save deadline").click()
        expect(shown(page, "'soonish' is not a date")).to_be_visible()
        button(page, "Clear deadline").click()
        expect(button(page, "Clear deadline")).to_have_count(0)
        holds(page, "Deadline", "")

    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        assert engine.memory.entity("Q3 report").deadline is None
