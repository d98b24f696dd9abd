"""The app's pure helpers (no browser): wording of dates and summaries, graph scaling, preferences,
auto-lock timing, onboarding picks, capture summaries, heartbeat reports; and the auto-lock
preference file with the seal a real profile puts on it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from app.ui.app_prefs import (
    DEFAULT_AUTO_LOCK_MINUTES,
    PREFS_FILE,
    TAMPERED_NOTICE,
    AppPrefs,
    auto_lock_label,
    load_prefs,
    save_prefs,
    with_auto_lock,
)
from app.ui.capture_display import summarise
from app.ui.graph_layout import label_box, lay_out, overlapping
from app.ui.idle_lock import idle_seconds_left
from app.ui.inbox_view import describe_report
from app.ui.locale_dates import format_day
from app.ui.note_display import (
    day_path,
    day_subtitle,
    day_title,
    empty_day_text,
    full_date,
    in_time_order,
    nearest_day_with_notes,
    note_parts,
    parse_day,
    picked_day,
)
from app.ui.onboarding_view import toggle_pick
from app.ui.para_display import deadline_text, kind_for_slug, summary_body, summary_first_line
from app.ui.settings_checkins import windows_text
from engine.api import Engine
from engine.types import HeartbeatReport, HourWindow, Note, RoleResult

TODAY = date(2026, 3, 10)


def test_deadline_wording() -> None:
    assert deadline_text(None, TODAY) is None
    assert deadline_text("2026-03-10", TODAY) == "Due today"
    assert deadline_text("2026-03-11", TODAY) == "Due tomorrow"
    assert deadline_text("2026-03-15", TODAY) == "Due in 5 days"
    assert deadline_text("2026-03-08", TODAY) == "Overdue by 2 days"
    assert deadline_text("2026-06-01", TODAY) == f"Due {format_day(date(2026, 6, 1))}"  # the locale's way


def test_summary_drops_title_and_metadata() -> None:
    md = "# Marathon 2026\n\nProject · active · deadline 2026-04-12\n\n## Health\n\n- I run 45 km a week (2026-03-01)\n"
    day = format_day(date(2026, 3, 1))  # in the order of this machine's locale
    assert summary_body(md) == f"### Health\n\n- I run 45 km a week ({day})"
    assert summary_first_line(md) == f"I run 45 km a week ({day})"
    assert summary_first_line("# Sarah\n\nPerson · active\n\nNothing recent.\n") == ""


def test_unknown_para_slug_shows_projects() -> None:
    assert kind_for_slug("people").type_ == "person"
    assert kind_for_slug("nonsense").slug == "projects"
    assert kind_for_slug(None).slug == "projects"


def test_graph_fits_the_area_and_keeps_links() -> None:
    data = {
        "nodes": [
            {"id": "a", "name": "A", "type": "project", "x": -1.0, "y": -0.5, "degree": 1},
            {"id": "b", "name": "B", "type": "person", "x": 1.0, "y": 0.5, "degree": 1},
        ],
        "links": [{"source": "a", "target": "b", "weight": 2.0}],
    }
    drawing = lay_out(data, 400, 300)
    assert (drawing.width, drawing.height) == (400, 300)
    assert all(
        n.left >= 0 and n.left + n.width <= 400 and n.top >= 0 and n.top + n.height <= 300
        for n in drawing.nodes
    )
    assert drawing.nodes[0].x < drawing.nodes[1].x and drawing.nodes[0].y < drawing.nodes[1].y
    link = drawing.links[0]
    assert (link.x1, link.y1, link.x2, link.y2) == (
        drawing.nodes[0].x,
        drawing.nodes[0].y,
        drawing.nodes[1].x,
        drawing.nodes[1].y,
    )
    assert lay_out({"nodes": [], "links": []}, 400, 300).nodes == []


def test_graph_labels_of_a_crowded_hub_never_overlap() -> None:
    """A hub and its neighbours at almost the same spring position, names of every length: each box
    (dot and name) gets its own place, in a phone-sized frame and a laptop-sized one."""
    names = ["Marathon 2026", "Sarah", "Health", "Born to Run", "A rather long name for a project", "Al"]
    nodes = [
        {"id": n, "name": n, "type": "project", "x": 0.01 * i, "y": -0.01 * i, "degree": 5 if i == 0 else 1}
        for i, n in enumerate(names)
    ]
    nodes += [
        {"id": f"far{i}", "name": f"Far away {i}", "type": "area", "x": 1.0, "y": i / 10, "degree": 0}
        for i in range(12)
    ]
    data = {"nodes": nodes, "links": [{"source": names[0], "target": n, "weight": 1.0} for n in names[1:]]}
    for width, height in ((388.0, 480.0), (726.0, 560.0)):
        drawing = lay_out(data, width, height)
        assert overlapping(drawing.nodes) == []
        assert all(n.left >= 0 and n.left + n.width <= width and n.top >= 0 for n in drawing.nodes)
        assert all(n.top + n.height <= drawing.height for n in drawing.nodes)
        assert drawing.height >= height
        assert label_box("A rather long name for a project", 10)[0] <= 150  # two lines, not one wide one


def test_prefs_labels_and_choices() -> None:
    assert auto_lock_label(0) == "Never"
    assert auto_lock_label(1) == "After 1 minute"
    assert auto_lock_label(60) == "After 1 hour"
    with pytest.raises(ValueError):
        with_auto_lock(AppPrefs(), 7)


def test_prefs_written_by_the_app_are_trusted_and_edited_ones_are_not(tmp_path: Path) -> None:
    """Auto-lock is kept in a plain file beside the profile: the app seals what it writes, and a file
    changed by hand (auto-lock turned off, the seal copied, the file replaced by an unsealed one or by
    garbage) falls back to the safe default, marked so Settings can say it."""
    home = tmp_path / "profile"
    path = home / PREFS_FILE
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        seal = engine.settings
        assert load_prefs(home, seal) == AppPrefs()  # no file yet: the defaults, nothing to distrust

        save_prefs(home, with_auto_lock(AppPrefs(), 5), seal)
        assert load_prefs(home, seal) == AppPrefs(auto_lock_minutes=5, authentic=True)
        written = json.loads(path.read_text())
        assert written["auto_lock_minutes"] == 5 and "mac" in written

        edited = {**written, "auto_lock_minutes": 0}  # someone turns auto-lock off by hand
        path.write_text(json.dumps(edited))
        assert load_prefs(home, seal) == AppPrefs(
            auto_lock_minutes=DEFAULT_AUTO_LOCK_MINUTES, authentic=False
        )

        path.write_text(json.dumps({"auto_lock_minutes": 0}))  # an unsealed file (an older app's, too)
        assert load_prefs(home, seal).authentic is False
        assert load_prefs(home, seal).auto_lock_minutes == DEFAULT_AUTO_LOCK_MINUTES
        path.write_text("{not json")
        assert load_prefs(home, seal) == AppPrefs(authentic=False)

        save_prefs(home, with_auto_lock(load_prefs(home, seal), 0), seal)  # choosing again in Settings
        assert load_prefs(home, seal) == AppPrefs(auto_lock_minutes=0, authentic=True)
        sealed_by_this_profile = path.read_text()

    # The seal is the profile's own: it holds across unlocks, and another profile cannot forge it.
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        assert load_prefs(home, engine.settings) == AppPrefs(auto_lock_minutes=0, authentic=True)
    other = tmp_path / "other"
    with Engine.create(other, PASSPHRASE, use_embedder=False) as engine:
        (other / PREFS_FILE).write_text(sealed_by_this_profile)
        assert load_prefs(other, engine.settings).authentic is False
        assert load_prefs(other, engine.settings).auto_lock_minutes == DEFAULT_AUTO_LOCK_MINUTES
    assert "using the default of 15 minutes" in TAMPERED_NOTICE


def test_idle_lock_timing() -> None:
    assert idle_seconds_left(100.0, 130.0, 0) is None
    assert idle_seconds_left(100.0, 130.0, 1) == 30.0
    assert idle_seconds_left(100.0, 170.0, 1) == -10.0


def test_a_third_interest_keeps_the_first() -> None:
    picked = toggle_pick((), "Health")
    picked = toggle_pick(picked, "Wisdom")
    assert toggle_pick(picked, "Wealth") == ("Health", "Wisdom", "Wealth")
    assert toggle_pick(picked, "Health") == ("Wisdom",)


def test_hour_windows_read_back() -> None:

    assert windows_text([HourWindow(7, 9), HourWindow(19, 22)]) == "7-9,19-22"


def test_heartbeat_report_wording() -> None:
    late = HeartbeatReport("now", [RoleResult("checkins", False, "quiet hours 22–7 (it is 22:15)")])
    assert describe_report(late) == "Heartbeat done. No check-in sent: quiet hours 22–7 (it is 22:15)."
    indexed = HeartbeatReport(
        "now", [RoleResult("checkins", False, "nothing due"), RoleResult("index", True, "changes")]
    )
    assert describe_report(indexed) == (
        "Heartbeat done. No check-in sent: nothing due. Also ran: search index refreshed."
    )
    sent = HeartbeatReport(
        "now",
        [RoleResult("checkins", True, "1", 0, ["x is due"]), RoleResult("index", True, "changes")],
    )
    assert describe_report(sent) == "Heartbeat done: 1 new check-in. Also ran: search index refreshed."


def test_capture_summary_of_a_real_capture(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", "a calm river at dawn", use_embedder=False) as engine:
        engine.memory.create_entity(
            "project", "marathon-2026", deadline=(TODAY + timedelta(days=30)).isoformat()
        )
        summary = summarise(engine.memory.capture("Long run Sunday for #marathon-2026 with @Sarah"))
    names = {e.name for e in summary.entities}
    assert {"marathon-2026", "Sarah"} <= names
    assert summary.place_line == "Projects: marathon-2026"
    assert summary.reason == "it mentions the project marathon-2026"


def _note(body: str, title: str, kind: str = "daily", at: str = "2026-03-10T08:00:00.000Z") -> Note:
    return Note("id-" + at, title, body, kind, at[:10], at, at)


def test_day_from_url_is_strict() -> None:
    assert parse_day("2026-03-10") == TODAY
    for bad in (
        "2026-02-30",
        "20260310",
        "2026-W11-2",
        "2026-3-10",
        "today",
        "",
        "2026-03-10x",
        "0001-01-01",
    ):
        assert parse_day(bad) is None, bad
    assert day_path(TODAY) == "/notes/day/2026-03-10"
    assert day_path("2026-03-09") == "/notes/day/2026-03-09"


def test_day_wording() -> None:
    assert full_date(TODAY) == "Tuesday 10 March 2026"
    assert day_title(TODAY, TODAY) == "Today"
    assert day_title(TODAY - timedelta(days=1), TODAY) == "Yesterday"
    assert day_title(date(2026, 3, 1), TODAY) == "Sunday 1 March 2026"
    assert day_subtitle(TODAY, TODAY, None) == "Tuesday 10 March 2026"
    assert day_subtitle(TODAY, TODAY, 2) == "Tuesday 10 March 2026 · 2 notes"
    assert day_subtitle(date(2026, 3, 1), TODAY, 1) == "1 note"
    assert day_subtitle(date(2026, 3, 1), TODAY, None) == ""
    assert empty_day_text(date(2026, 3, 1), TODAY) == "Nothing written on Sunday 1 March 2026."
    assert empty_day_text(TODAY, TODAY).startswith("Nothing written today yet.")
    assert empty_day_text(TODAY + timedelta(days=1), TODAY).startswith("This day is still ahead")


def test_day_notes_oldest_first_without_chat() -> None:
    newest_first = [
        _note("evening", "evening", at="2026-03-10T20:00:00.000Z"),
        _note("**You:** hi", "Chat with Stoic", kind="chat", at="2026-03-10T12:00:00.000Z"),
        _note("lunch idea", "lunch idea", kind="capture", at="2026-03-10T11:00:00.000Z"),
        _note("morning", "morning", at="2026-03-10T07:00:00.000Z"),
    ]
    assert [n.body for n in in_time_order(newest_first)] == ["morning", "lunch idea", "evening"]


def test_note_parts_leave_out_a_derived_title() -> None:
    assert note_parts(_note("Ran 10 km.\nFelt good.", "Ran 10 km.")) == (None, "Ran 10 km.\nFelt good.")
    long_line = "word " * 30
    derived = long_line.strip()[:79].rstrip() + "…"
    assert note_parts(_note(long_line, derived))[0] is None
    assert note_parts(_note("# Plan\nrest", "Plan")) == (None, "# Plan\nrest")
    assert note_parts(_note("body text", "Chat with Stoic")) == ("Chat with Stoic", "body text")


def test_nearest_day_with_notes() -> None:
    days = {date(2026, 3, 1), date(2026, 3, 8)}
    asked: list[date] = []

    def has_notes(d: date) -> bool:
        asked.append(d)
        return d in days

    assert nearest_day_with_notes(has_notes, TODAY, -1, TODAY - timedelta(days=30)) == date(2026, 3, 8)
    assert asked == [date(2026, 3, 9), date(2026, 3, 8)]
    assert nearest_day_with_notes(has_notes, date(2026, 3, 1), 1, TODAY) == date(2026, 3, 8)
    assert nearest_day_with_notes(has_notes, date(2026, 3, 8), 1, TODAY) is None
    assert nearest_day_with_notes(has_notes, date(2026, 3, 1), -1, date(2026, 2, 1)) is None
    asked.clear()
    assert nearest_day_with_notes(has_notes, TODAY, 1, TODAY) is None
    assert asked == []


def test_picked_day_is_the_nearest_midnight() -> None:
    assert picked_day(TODAY) == TODAY
    assert picked_day(datetime(2026, 3, 10)) == TODAY
    local_midnight = datetime(2026, 3, 10).astimezone()
    assert picked_day(local_midnight.astimezone(UTC)) == TODAY
    # The browser five hours ahead of or eight behind this machine: still the day that was picked.
    here = datetime(2026, 3, 10).astimezone().utcoffset() or timedelta(0)
    for browser in (timedelta(hours=5), timedelta(hours=-8)):
        zone = timezone(here + browser)
        assert picked_day(datetime(2026, 3, 10, tzinfo=zone).astimezone(UTC)) == TODAY


def test_engine_types_exports_the_types_the_app_uses() -> None:
    from engine import types

    for name in (
        "BudgetStatus",
        "CatalogEntry",
        "ChatMessage",
        "ChatReply",
        "Citation",
        "Coach",
        "HourWindow",
        "InstallReport",
        "ModelStatus",
    ):
        assert isinstance(getattr(types, name), type)
        assert name in types.__all__ or name in types._LAZY_EXPORTS
