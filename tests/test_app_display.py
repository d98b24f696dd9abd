"""The app's pure helpers (no browser): wording of dates and summaries, graph scaling, preferences,
auto-lock timing, onboarding picks, capture summaries, heartbeat reports."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from app.ui.app_prefs import AppPrefs, auto_lock_label, load_prefs, save_prefs, with_auto_lock
from app.ui.capture_display import summarise
from app.ui.idle_lock import idle_seconds_left
from app.ui.inbox_view import describe_report
from app.ui.onboarding_view import toggle_pick
from app.ui.para_display import deadline_text, kind_for_slug, layout_graph, summary_body, summary_first_line
from app.ui.settings_checkins import windows_text
from engine.api import Engine, HeartbeatReport, RoleResult

TODAY = date(2026, 3, 10)


def test_deadline_wording() -> None:
    assert deadline_text(None, TODAY) is None
    assert deadline_text("2026-03-10", TODAY) == "Due today"
    assert deadline_text("2026-03-11", TODAY) == "Due tomorrow"
    assert deadline_text("2026-03-15", TODAY) == "Due in 5 days"
    assert deadline_text("2026-03-08", TODAY) == "Overdue by 2 days"
    assert deadline_text("2026-06-01", TODAY) == "Due 1 Jun 2026"


def test_summary_drops_title_and_metadata() -> None:
    md = "# Marathon 2026\n\nProject · active · deadline 2026-04-12\n\n## Health\n\n- I run 45 km a week (2026-03-01)\n"
    assert summary_body(md) == "### Health\n\n- I run 45 km a week (2026-03-01)"
    assert summary_first_line(md) == "I run 45 km a week (2026-03-01)"
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
    nodes, links = layout_graph(data, 400, 300, margin=50)
    assert all(50 <= n.x <= 350 and 50 <= n.y <= 250 for n in nodes)
    assert (links[0].x1, links[0].y1) == (nodes[0].x, nodes[0].y)
    assert layout_graph({"nodes": [], "links": []}, 400, 300) == ([], [])


def test_prefs_round_trip_and_refuse_odd_values(tmp_path: Path) -> None:
    assert load_prefs(tmp_path) == AppPrefs()
    save_prefs(tmp_path, with_auto_lock(AppPrefs(), 5))
    assert load_prefs(tmp_path).auto_lock_minutes == 5
    (tmp_path / "app-preferences.json").write_text('{"auto_lock_minutes": 7}')
    assert load_prefs(tmp_path) == AppPrefs()
    assert auto_lock_label(0) == "Never"
    assert auto_lock_label(1) == "After 1 minute"


def test_idle_lock_timing() -> None:
    assert idle_seconds_left(100.0, 130.0, 0) is None
    assert idle_seconds_left(100.0, 130.0, 1) == 30.0
    assert idle_seconds_left(100.0, 170.0, 1) == -10.0


def test_at_most_two_interests() -> None:
    picked = toggle_pick((), "Health")
    picked = toggle_pick(picked, "Wisdom")
    assert toggle_pick(picked, "Wealth") == ("Wisdom", "Wealth")
    assert toggle_pick(picked, "Health") == ("Wisdom",)


def test_hour_windows_read_back() -> None:
    from engine.memory.tacit import HourWindow  # only to build the engine's value in a test

    assert windows_text([HourWindow(7, 9), HourWindow(19, 22)]) == "7-9,19-22"


def test_heartbeat_report_wording() -> None:
    quiet = HeartbeatReport("now", [RoleResult("checkins", False, "nothing to say")])
    assert describe_report(quiet) == "Heartbeat done: nothing needed doing, so nothing was sent."
    sent = HeartbeatReport(
        "now",
        [RoleResult("checkins", True, "1", 0, ["x is due"]), RoleResult("index", True, "changes")],
    )
    assert describe_report(sent) == "Heartbeat done: 1 new check-in. Also ran: search index refreshed."


def test_capture_summary_of_a_real_capture(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", "a calm river at dawn", use_embedder=False) as engine:
        engine.create_entity("project", "marathon-2026", deadline=(TODAY + timedelta(days=30)).isoformat())
        summary = summarise(engine.capture("Long run Sunday for #marathon-2026 with @Sarah"))
    names = {e.name for e in summary.entities}
    assert {"marathon-2026", "Sarah"} <= names
    assert summary.place_line == "Projects: marathon-2026"
    assert summary.reason == "it mentions the project marathon-2026"
