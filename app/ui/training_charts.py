"""The Training screen's four charts, drawn on a canvas from plain numbers.

No chart library: a bar chart and a line chart are a few rectangles and polylines, and drawing them
here keeps the app to the controls Flet ships. Each chart is a titled card whose canvas is as wide
as the screen gives it (the caller passes the width, so a phone and a laptop get the same chart at
their own size) and whose caption states the numbers that matter in words — a screen reader, and
a glance, get the figure without reading the plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import flet as ft
import flet.canvas as cv

from app.ui.theme import SPACE_M, SPACE_S

CHART_HEIGHT = 140
PAD = 4  # keeps strokes at the edges inside the canvas


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    color: str


def _y(value: float, top: float, height: float) -> float:
    return height - PAD - (height - 2 * PAD) * (value / top if top > 0 else 0.0)


def bar_shapes(values: Sequence[float | None], width: float, height: float, color: str) -> list[cv.Shape]:
    """One bar per value; None (nothing known) leaves a gap, 0 a hairline at the base."""
    top = max((v for v in values if v is not None), default=0.0) or 1.0
    slot = (width - 2 * PAD) / max(1, len(values))
    shapes: list[cv.Shape] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        y = _y(v, top, height)
        shapes.append(
            cv.Rect(
                PAD + i * slot + slot * 0.15,
                y,
                slot * 0.7,
                max(1.0, height - PAD - y),
                paint=ft.Paint(color=color, style=ft.PaintingStyle.FILL),
            )
        )
    return shapes


def line_shapes(
    series: Sequence[Series],
    width: float,
    height: float,
    *,
    top: float,
    band: tuple[float, float, str] | None = None,
    rules: Sequence[tuple[float, str]] = (),
) -> list[cv.Shape]:
    """Polylines (broken where a value is None), under them a shaded band and horizontal rules."""
    shapes: list[cv.Shape] = []
    n = max((len(s.values) for s in series), default=0)
    step = (width - 2 * PAD) / max(1, n - 1)
    if band is not None:
        low, high, color = band
        y_high, y_low = _y(min(high, top), top, height), _y(low, top, height)
        shapes.append(
            cv.Rect(
                PAD,
                y_high,
                width - 2 * PAD,
                y_low - y_high,
                paint=ft.Paint(color=color, style=ft.PaintingStyle.FILL),
            )
        )
    for value, color in rules:
        if value <= top:
            y = _y(value, top, height)
            shapes.append(
                cv.Line(
                    PAD,
                    y,
                    width - PAD,
                    y,
                    paint=ft.Paint(color=color, stroke_width=1.5, stroke_dash_pattern=[6, 4]),
                )
            )
    for s in series:
        run: list[ft.Offset] = []
        for i, v in enumerate([*s.values, None]):
            if v is None:
                if len(run) > 1:
                    shapes.append(
                        cv.Points(
                            points=run,
                            point_mode=cv.PointMode.POLYGON,
                            paint=ft.Paint(color=s.color, stroke_width=2, style=ft.PaintingStyle.STROKE),
                        )
                    )
                run = []
                continue
            run.append(ft.Offset(PAD + i * step, _y(min(v, top), top, height)))
    return shapes


def ratio_band_shapes(
    chronic: Sequence[float | None],
    width: float,
    height: float,
    *,
    top: float,
    band: tuple[float, float, str],
    rule: tuple[float, str],
) -> list[cv.Shape]:
    """The ACWR zones drawn around the chronic load: a shaded band from `low`·chronic to
    `high`·chronic (where the acute line should run) and a line at `rule`·chronic (the
    acute line above it is a spike). Days without data break the band."""
    low, high, color = band
    factor, rule_color = rule
    step = (width - 2 * PAD) / max(1, len(chronic) - 1)
    shapes: list[cv.Shape] = []
    run: list[tuple[float, float]] = []
    for i, v in enumerate([*chronic, None]):
        if v is not None:
            run.append((PAD + i * step, v))
            continue
        if len(run) > 1:
            upper = [cv.Path.LineTo(x, _y(min(c * high, top), top, height)) for x, c in run]
            lower = [cv.Path.LineTo(x, _y(min(c * low, top), top, height)) for x, c in reversed(run)]
            x0, c0 = run[0]
            shapes.append(
                cv.Path(
                    [
                        cv.Path.MoveTo(x0, _y(min(c0 * high, top), top, height)),
                        *upper,
                        *lower,
                        cv.Path.Close(),
                    ],
                    paint=ft.Paint(color=color, style=ft.PaintingStyle.FILL),
                )
            )
            shapes.append(
                cv.Points(
                    points=[ft.Offset(x, _y(min(c * factor, top), top, height)) for x, c in run],
                    point_mode=cv.PointMode.POLYGON,
                    paint=ft.Paint(
                        color=rule_color,
                        stroke_width=1.5,
                        stroke_dash_pattern=[6, 4],
                        style=ft.PaintingStyle.STROKE,
                    ),
                )
            )
        run = []
    return shapes


def chart_card(
    title: str, caption: str, shapes: list[cv.Shape], width: float, legend: Sequence[Series] = ()
) -> ft.Control:
    """A titled chart: the title, the canvas, a legend when there are several series, the caption."""
    controls: list[ft.Control] = [
        ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_SMALL),
        ft.Container(
            content=cv.Canvas(shapes=shapes, width=width, height=CHART_HEIGHT),
            width=width,
            height=CHART_HEIGHT,
            bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
            border_radius=6,
        ),
    ]
    if legend:
        controls.append(
            ft.Row(
                wrap=True,
                spacing=SPACE_M,
                controls=[
                    ft.Row(
                        tight=True,
                        spacing=4,
                        controls=[
                            ft.Container(width=12, height=4, bgcolor=s.color),
                            ft.Text(s.label, size=12),
                        ],
                    )
                    for s in legend
                ],
            )
        )
    controls.append(ft.Text(caption, size=12, color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.Card(
        content=ft.Container(
            padding=ft.Padding.all(SPACE_M), content=ft.Column(spacing=SPACE_S, controls=controls)
        )
    )
