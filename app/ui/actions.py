"""One way for a view to run engine work: off the UI thread, once at a time, failures in words.

Every screen does the same dance around an engine call: ignore a second click while the first is
running, clear the last problem, run the call in a worker thread (the encrypted database and the
models must not block the event loop that serves the page), then either show what went wrong on the
screen's problem line or fold the result into the state. Written out by hand in each handler, the
copies drifted (one forgot to clear ``busy`` on failure, another cleared the problem too late).
``run_action`` is that dance once, over the frozen state dataclasses the views keep.

Only ``LifeOSError`` is caught: it is the engine's "this did not work, here is why" and belongs on
screen. Anything else is a bug and must surface as one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from engine.errors import LifeOSError

S = TypeVar("S")
R = TypeVar("R")

SetState = Callable[[Callable[[S], S]], None]
"""A state setter that takes an update function (``use_state``'s and ``use_latest_state``'s do)."""


@dataclass(frozen=True)
class Ran(Generic[R]):
    """What ``run_action`` returns when the work ran and succeeded (always truthy, even when the
    work's own result is ``None`` or empty): ``value`` is that result."""

    value: R


def describe(failure: str | Callable[[LifeOSError], str], exc: LifeOSError) -> str:
    """The words for a failure: ``failure`` is a format with ``{}`` for the engine's message, or a
    function of the error (when some errors deserve their own sentence)."""
    return failure(exc) if callable(failure) else failure.format(exc)


async def run_action(
    work: Callable[[], R],
    *,
    set_state: SetState[S],
    latest: Callable[[], S] | None = None,
    busy: str | None = "busy",
    busy_value: Any = True,
    problem: str = "problem",
    failure: str | Callable[[LifeOSError], str] = "{}",
    start: Callable[[S], S] | None = None,
    done: Callable[[S, R], S] | None = None,
    failed: Callable[[S], S] | None = None,
) -> Ran[R] | None:
    """Run ``work`` in a worker thread on behalf of a view; ``Ran(result)`` when it ran and succeeded,
    ``None`` when it was skipped (already busy) or failed.

    - ``busy`` names the state field that marks the work as running (``None``: no guard, for loads
      and other work that may overlap). While it is truthy a second call returns False at once, so a
      double click runs the work once. It is set to ``busy_value`` (``True``, or say the id of the
      item being worked on) and cleared (``False``, or ``None`` for a non-bool marker) when the work
      ends either way. ``latest`` reads the newest state for that check: a handler's closure may be
      a render behind (see ``use_latest_state``).
    - ``problem`` names the field for the failure text; it is cleared when the work starts and set to
      ``describe(failure, exc)`` when the engine raises ``LifeOSError``.
    - ``start`` adds to the state set when the work starts (clear a draft, show a pending bubble);
      ``done`` folds the result into the state (busy already cleared); ``failed`` adds to the state
      on failure (problem already set).

    Side effects that are not state (``profile.changed()``, navigating) follow in the caller when
    this returns ``Ran``, so they run after the state that shows the result has been set.
    """
    if busy is not None:
        if latest is None:
            raise ValueError("run_action: a busy guard needs `latest` to read the newest state")
        if getattr(latest(), busy):
            return None
    idle: Any = False if busy_value is True else None

    def begin(s: S) -> S:
        changes: dict[str, Any] = {problem: None}
        if busy is not None:
            changes[busy] = busy_value
        began = replace(s, **changes)  # type: ignore[type-var]
        return start(began) if start is not None else began

    set_state(begin)
    try:
        result = await asyncio.to_thread(work)
    except LifeOSError as exc:
        text = describe(failure, exc)

        def fail(s: S) -> S:
            changes: dict[str, Any] = {problem: text}
            if busy is not None:
                changes[busy] = idle
            after = replace(s, **changes)  # type: ignore[type-var]
            return failed(after) if failed is not None else after

        set_state(fail)
        return None

    def finish(s: S) -> S:
        after = replace(s, **{busy: idle}) if busy is not None else s  # type: ignore[type-var]
        return done(after, result) if done is not None else after

    set_state(finish)
    return Ran(result)
