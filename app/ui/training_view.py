"""Training: today's load and ACWR, the goal race's confidence with its reasons, four charts, and
importing runs.

Everything shown is read in one worker call (`load_training`) into a frozen snapshot, so the
screen never holds engine objects between renders and a chart is drawn from plain numbers. The
numbers come with their words: the zone of the ratio ("sweet spot", "danger"), whether a load is
estimated, and the reasons that move the goal confidence score — a coachee should be able to see
why the coach says what it says. Import takes a path (a file, a folder, a Strava export ZIP): the
app runs on the coachee's own device, where their watch's files are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state, use_page_width
from app.ui.labelled import labelled_dropdown
from app.ui.profile_context import use_profile
from app.ui.theme import CONTENT_MAX_WIDTH, SPACE_M, SPACE_S
from app.ui.training_charts import (
    CHART_HEIGHT,
    Series,
    bar_shapes,
    chart_card,
    line_shapes,
    ratio_band_shapes,
)
from engine.api import Engine
from engine.errors import UsageError
from engine.types import Activity, Athlete, DayLoad, GoalStatus, ImportReport, LoadStatus

CHART_DAYS = 42
WEEKS = 12
BLUE, ORANGE, GREEN, RED, PURPLE = "#1E88E5", "#FB8C00", "#4043A047", "#E53935", "#8E24AA"
DISTANCES = (("5k", "5 km"), ("10k", "10 km"), ("half", "Half marathon"), ("marathon", "Marathon"))


@dataclass(frozen=True)
class TrainingData:
    status: LoadStatus
    goal: GoalStatus | None
    loads: tuple[DayLoad, ...]
    weekly: tuple[tuple[str, float], ...]
    recent: tuple[Activity, ...]
    athlete: Athlete


@dataclass(frozen=True)
class TrainingState:
    data: TrainingData | None = None
    loaded: bool = False
    busy: bool = False
    problem: str | None = None
    message: str | None = None
    path: str = ""
    distance: str = "half"
    target: str = ""
    race_day: str = ""
    resting: str = ""
    max_hr: str = ""
    sex: str = "male"


def load_training(engine: Engine) -> TrainingData:
    t = engine.training
    return TrainingData(
        t.load_status(),
        t.goal_confidence(),
        tuple(t.daily_loads(CHART_DAYS)),
        tuple(t.weekly_distance(WEEKS)),
        tuple(t.activities(limit=5)),
        t.athlete(),
    )


def with_athlete(state: TrainingState, data: TrainingData) -> TrainingState:
    """The heart-rate fields start from the stored values (blank where a default is in use)."""
    a = data.athlete
    return replace(
        state,
        resting=state.resting or ("" if "resting_hr" in a.defaults else f"{a.resting_hr:g}"),
        max_hr=state.max_hr or ("" if "max_hr" in a.defaults else f"{a.max_hr:g}"),
        sex=a.sex,
    )


def _bpm(text: str, what: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{what} should be a number of beats per minute, such as 52") from None


def describe_import(report: ImportReport) -> str:
    n = len(report.imported)
    text = f"Imported {n} activit{'y' if n == 1 else 'ies'}."
    if report.duplicates:
        text += f" {len(report.duplicates)} already in your profile."
    if report.bad:
        text += f" {len(report.bad)} file(s) could not be read."
    return text


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


def _time(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def load_card(status: LoadStatus) -> ft.Control:
    rolling, ewma = status.rolling, status.ewma
    zone_color = {"danger": ft.Colors.ERROR, "high": ft.Colors.TERTIARY}.get(rolling.zone, ft.Colors.PRIMARY)
    lines: list[ft.Control] = [
        ft.Text("Training load today", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text(
            f"ACWR {_ratio(rolling.ratio)} ({rolling.zone})",
            theme_style=ft.TextThemeStyle.HEADLINE_SMALL,
            color=zone_color,
        ),
        ft.Text(
            f"Acute (7 days) {rolling.acute:.0f} · chronic (28 days) {rolling.chronic:.0f} a day · "
            f"EWMA ACWR {_ratio(ewma.ratio)}"
        ),
        ft.Text(
            f"{status.history_days} days recorded, {status.activities} activities in the last 28 days"
            + (f", {status.estimated} with an estimated load" if status.estimated else ""),
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
    ]
    return ft.Card(
        content=ft.Container(padding=ft.Padding.all(SPACE_M), content=ft.Column(spacing=4, controls=lines))
    )


def goal_card(goal: GoalStatus) -> ft.Control:
    c = goal.confidence
    predicted = f" · predicted {_time(c.predicted_s)}" if c.predicted_s else ""
    reasons = [
        ft.Text(
            f"{r.points:+.0f}  {r.text}",
            size=13,
            color=ft.Colors.PRIMARY if r.points >= 0 else ft.Colors.ERROR,
        )
        for r in c.reasons
    ]
    return ft.Card(
        content=ft.Container(
            padding=ft.Padding.all(SPACE_M),
            content=ft.Column(
                spacing=4,
                controls=[
                    ft.Text(
                        f"Goal: {goal.goal.name} in {_time(goal.goal.target_s)} on {goal.goal.race_day.isoformat()}",
                        theme_style=ft.TextThemeStyle.TITLE_MEDIUM,
                    ),
                    ft.Text(
                        f"Confidence {c.score}/100{predicted}", theme_style=ft.TextThemeStyle.HEADLINE_SMALL
                    ),
                    *reasons,
                ],
            ),
        )
    )


def charts(data: TrainingData, width: float) -> list[ft.Control]:
    loads = [d.load for d in data.loads]
    total = sum(v for v in loads if v is not None)
    acute = [d.acute if d.load is not None else None for d in data.loads]
    chronic = [d.chronic if d.load is not None else None for d in data.loads]
    known = [v for v in acute + chronic if v is not None]
    top_load = max([*known, *(1.5 * c for c in chronic if c is not None), 1.0]) * 1.05
    pair = [Series("Acute (7 days)", acute, ORANGE), Series("Chronic (28 days)", chronic, BLUE)]
    weekly = [km for _, km in data.weekly]
    out = [
        chart_card(
            "Load per day",
            f"Last {CHART_DAYS} days: {total:.0f} in all (Banister TRIMP).",
            bar_shapes(loads, width, CHART_HEIGHT, BLUE),
            width,
        ),
        chart_card(
            "Acute vs chronic",
            "Green band: acute load 0.8-1.3 times the chronic (ACWR sweet spot); red line: 1.5 times "
            f"(above it, a spike). ACWR today {_ratio(data.status.rolling.ratio)}.",
            ratio_band_shapes(
                chronic, width, CHART_HEIGHT, top=top_load, band=(0.8, 1.3, GREEN), rule=(1.5, RED)
            )
            + line_shapes(pair, width, CHART_HEIGHT, top=top_load),
            width,
            pair,
        ),
        chart_card(
            "Weekly distance",
            f"Running, last {WEEKS} weeks: {weekly[-1]:.1f} km this week, {max(weekly):.1f} km at most.",
            bar_shapes(weekly, width, CHART_HEIGHT, ORANGE),
            width,
        ),
    ]
    if data.goal is not None:
        scores = [float(s) for _, s in data.goal.history]
        out.append(
            chart_card(
                "Goal confidence over time",
                f"Weekly, 0-100: from {scores[0]:.0f} to {scores[-1]:.0f}.",
                line_shapes([Series("Confidence", scores, PURPLE)], width, CHART_HEIGHT, top=100.0),
                width,
            )
        )
    return out


@ft.component
def TrainingView() -> ft.Control:
    """Load and ACWR, goal confidence, charts; import runs and set the goal race."""
    profile = use_profile()
    engine = profile.engine
    width = use_page_width()
    state, set_state, latest = use_latest_state(TrainingState())

    async def load() -> None:
        await run_action(
            lambda: load_training(engine),
            set_state=set_state,
            busy=None,
            failure="Training could not be read: {}",
            done=lambda s, data: with_athlete(replace(s, data=data, loaded=True), data),
            failed=lambda s: replace(s, loaded=True),
        )

    ft.use_effect(load, dependencies=[profile.revision])

    async def do_import(_e: ft.Event[ft.Control]) -> None:
        path = latest().path.strip()
        if not path:
            set_state(
                lambda s: replace(
                    s, problem="Give the path of a GPX, TCX or FIT file, a folder, or a Strava export ZIP."
                )
            )
            return
        if ran := await run_action(
            lambda: engine.training.import_activities(path, skip_bad=True),
            latest=latest,
            set_state=set_state,
            start=lambda s: replace(s, message=None),
        ):
            set_state(lambda s: replace(s, message=describe_import(ran.value), path=""))
            profile.changed()

    async def save_goal(_e: ft.Event[ft.Control]) -> None:
        s = latest()
        if ran := await run_action(
            lambda: engine.training.set_goal(s.distance, s.target, s.race_day),
            latest=latest,
            set_state=set_state,
            start=lambda st: replace(st, message=None),
        ):
            goal = ran.value
            set_state(lambda st: replace(st, message=f"Goal set: {goal.name} in {_time(goal.target_s)}."))
            profile.changed()

    async def save_athlete(_e: ft.Event[ft.Control]) -> None:
        s = latest()

        def work() -> Athlete:
            return engine.training.set_athlete(
                resting_hr=_bpm(s.resting, "Resting heart rate"),
                max_hr=_bpm(s.max_hr, "Max heart rate"),
                sex=s.sex,
            )

        if await run_action(
            work, latest=latest, set_state=set_state, start=lambda st: replace(st, message=None)
        ):
            set_state(
                lambda st: replace(st, message="Heart rates saved; every activity's load was recomputed.")
            )
            profile.changed()

    def edit(name: str):  # noqa: ANN202 (an event handler factory)
        def handler(e: ft.Event[ft.Control]) -> None:
            value = str(getattr(e.control, "value", "") or "")
            set_state(lambda s: replace(s, **{name: value}))

        return handler

    chart_width = max(200.0, min(width, CONTENT_MAX_WIDTH) - 2 * SPACE_M - 2 * SPACE_M - 8)
    controls: list[ft.Control] = [ft.Container(height=SPACE_S)]
    if state.problem:
        controls.append(ft.Text(state.problem, color=ft.Colors.ERROR))
    if state.message:
        controls.append(ft.Text(state.message, color=ft.Colors.PRIMARY))
    if state.busy:
        controls.append(ft.ProgressBar(semantics_label="Working"))
    data = state.data
    if not state.loaded:
        controls.append(ft.Text("Loading…", color=ft.Colors.ON_SURFACE_VARIANT))
    elif data is not None:
        if data.status.history_days == 0:
            controls.append(
                ft.Text(
                    "No runs yet. Import your watch's files or a Strava export below, and your training load, "
                    "ACWR and goal confidence appear here.",
                    color=ft.Colors.ON_SURFACE_VARIANT,
                )
            )
        else:
            controls.append(load_card(data.status))
        if data.goal is not None:
            controls.append(goal_card(data.goal))
        if data.status.history_days:
            controls += charts(data, chart_width)
            controls.append(ft.Text("Recent activities", theme_style=ft.TextThemeStyle.TITLE_SMALL))
            controls += [
                ft.Text(
                    f"{a.day}  {a.name}: {a.distance_m / 1000:.1f} km, {_time(a.duration_s)}, load {a.trimp:.0f}"
                    + (" (estimated)" if a.estimated else ""),
                    size=13,
                )
                for a in data.recent
            ]
    controls += [
        ft.Text("Import runs", theme_style=ft.TextThemeStyle.TITLE_SMALL),
        ft.TextField(
            label="File, folder or Strava export ZIP",
            value=state.path,
            on_change=edit("path"),
            on_submit=do_import,
            dense=True,
        ),
        ft.Row(
            alignment=ft.MainAxisAlignment.END,
            controls=[
                ft.FilledTonalButton(
                    content="Import", icon=ft.Icons.UPLOAD_FILE, disabled=state.busy, on_click=do_import
                )
            ],
        ),
        ft.Text("Goal race", theme_style=ft.TextThemeStyle.TITLE_SMALL),
        labelled_dropdown(
            ft.Dropdown(
                label="Distance",
                value=state.distance,
                options=[ft.DropdownOption(key=k, text=t) for k, t in DISTANCES],
                on_select=edit("distance"),
                dense=True,
            )
        ),
        ft.TextField(
            label="Target time", hint_text="1:45:00", value=state.target, on_change=edit("target"), dense=True
        ),
        ft.TextField(
            label="Race day",
            hint_text="2027-04-18",
            value=state.race_day,
            on_change=edit("race_day"),
            dense=True,
        ),
        ft.Row(
            alignment=ft.MainAxisAlignment.END,
            controls=[
                ft.FilledTonalButton(
                    content="Save goal", icon=ft.Icons.FLAG_OUTLINED, disabled=state.busy, on_click=save_goal
                )
            ],
        ),
        ft.Text("Your heart rates (for the training load)", theme_style=ft.TextThemeStyle.TITLE_SMALL),
        ft.Row(
            wrap=True,
            spacing=SPACE_S,
            controls=[
                ft.TextField(
                    label="Resting heart rate",
                    hint_text="60",
                    value=state.resting,
                    on_change=edit("resting"),
                    width=170,
                    dense=True,
                ),
                ft.TextField(
                    label="Max heart rate",
                    hint_text="190",
                    value=state.max_hr,
                    on_change=edit("max_hr"),
                    width=170,
                    dense=True,
                ),
                labelled_dropdown(
                    ft.Dropdown(
                        label="Sex (Banister's factor)",
                        value=state.sex,
                        options=[
                            ft.DropdownOption(key="male", text="Male"),
                            ft.DropdownOption(key="female", text="Female"),
                        ],
                        on_select=edit("sex"),
                        width=210,
                        dense=True,
                    )
                ),
            ],
        ),
        ft.Row(
            alignment=ft.MainAxisAlignment.END,
            controls=[
                ft.FilledTonalButton(
                    content="Save heart rates",
                    icon=ft.Icons.FAVORITE_OUTLINE,
                    disabled=state.busy,
                    on_click=save_athlete,
                )
            ],
        ),
        ft.Container(height=SPACE_M),
    ]
    # A Column, not a lazy ListView: a screen of a few cards, whose every text (the charts' captions
    # included) should be in the accessibility tree, not only those scrolled into view.
    return ft.Column(
        expand=True,
        scroll=ft.ScrollMode.AUTO,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=controls,
    )
