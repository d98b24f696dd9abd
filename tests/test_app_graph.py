"""The PARA graph in headless Chromium: every name readable, the frame inside the window, zoom and pan.

The profile has a hub (a project linked to five others, so the spring layout puts six names close
together) and names long enough to need two lines. At phone and laptop size the test reads where
each entity's button is drawn: no two overlap, none leaves the frame, the frame ends inside the
window. Zooming in makes a name bigger, "Fit" brings it back, and a tap still opens the entity.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    Screenshots,
    button,
    chip,
    destination,
    shown,
)
from testkit.fresh_page import fresh_page

pytestmark = pytest.mark.browser

PASSPHRASE = "a quiet harbour at noon"
HUB = "Marathon 2026"
AROUND = [
    ("person", "Sarah"),
    ("area", "Health"),
    ("resource", "Born to Run"),
    ("person", "Coach Annemarie van der Berg"),
    ("area", "Sleep and recovery"),
]
ELSEWHERE = [("project", "Move flat"), ("area", "Money"), ("project", "Learn Spanish")]
ALL_NAMES = [HUB, *(n for _t, n in AROUND), *(n for _t, n in ELSEWHERE)]


def seed(home: Path) -> None:
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.memory.create_entity("project", HUB)
        for type_, name in [*AROUND, *ELSEWHERE]:
            engine.memory.create_entity(type_, name)
        for _type, name in AROUND:
            engine.memory.link_entities(HUB, name)
        engine.memory.link_entities("Move flat", "Money")
        engine.memory.add_fact("Sarah paces the long runs on Sundays", "Sarah", category="relationship")


def node(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=re.compile(rf"^Open {re.escape(name)} \("))


def boxes(page: Page) -> dict[str, dict[str, float]]:
    found = {}
    for name in ALL_NAMES:
        box = node(page, name).bounding_box()
        assert box is not None, f"{name} is not drawn"
        found[name] = box
    return found


def grown(page: Page, before: dict[str, dict[str, float]]) -> float:
    """How much larger the names are drawn than ``before`` (the most any visible one grew; one at the
    frame's edge is clipped and seems to grow less)."""
    ratios = [
        box["width"] / before[name]["width"]
        for name in ALL_NAMES
        if node(page, name).count() and (box := node(page, name).bounding_box(timeout=1_000))
    ]
    return max(ratios, default=0.0)


def settles(page: Page, check: Callable[[], bool], what: str, timeout_ms: int = 5_000) -> None:
    """Wait (bounded) for a zoom animation to end in the state ``check`` expects."""
    for _ in range(timeout_ms // 100):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError(what)


def apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_name_is_readable_and_the_graph_zooms(
    tmp_path: Path, request: pytest.FixtureRequest, viewport: dict[str, int]
) -> None:
    home = tmp_path / "profile"
    seed(home)
    shots = Screenshots(ARTIFACTS / request.node.name)
    with fresh_page(home, PASSPHRASE, viewport) as fresh:
        page = fresh.page
        destination(page, "PARA").click()
        chip(page, "Graph").click()
        expect(node(page, "Sleep and recovery")).to_be_visible()
        # The pointer leaves the chip, as a hand would: its tooltip would lie over the zoom buttons.
        page.mouse.move(1, viewport["height"] - 1)
        expect(page.get_by_text("Show Graph")).to_have_count(0)
        shots.take(page, "graph")

        drawn = boxes(page)
        names = list(drawn)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                assert apart(drawn[a], drawn[b]), f"{a!r} and {b!r} are drawn over each other"
        for name, box in drawn.items():
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], f"{name} leaves the window"
            assert box["y"] + box["height"] <= viewport["height"], f"{name} is below the window"
        zoom_in = button(page, "Zoom in")
        assert zoom_in.bounding_box()["y"] >= 0

        zoom_in.click()
        zoom_in.click()  # 1.25 × 1.25: names drawn half as large again (those still in the frame)
        settles(page, lambda: grown(page, drawn) > 1.5, "zooming in did not make the names larger")
        shots.take(page, "zoomed in")
        button(page, "Fit the graph to the frame").click()
        settles(page, lambda: boxes(page) == drawn, "Fit did not bring the whole graph back")

        node(page, "Sarah").click()
        expect(shown(page, "Sarah paces the long runs on Sundays")).to_be_visible()
