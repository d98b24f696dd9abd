"""Coalesce concurrent requests into one model call.

The chat turn, the heartbeat's index refresh and a capture may each ask for a few embeddings at the
same moment. Running them one by one wastes the fixed cost of a run; running them in parallel on two
cores only fights over the cores. Here the first caller becomes the leader, takes every request that
is waiting, runs them as one batch, and hands each caller its slice of the results; callers that
arrive while a batch runs wait for the next one. No background thread, so nothing to shut down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Request(Generic[Item, Result]):
    items: Sequence[Item]
    done: threading.Event = field(default_factory=threading.Event)
    results: list[Result] | None = None
    error: BaseException | None = None


class Coalescer(Generic[Item, Result]):
    """Run `fn` over the union of concurrently submitted item lists (up to `max_items` per run)."""

    def __init__(self, fn: Callable[[list[Item]], list[Result]], max_items: int = 256) -> None:
        self._fn = fn
        self._max_items = max_items
        self._lock = threading.Lock()
        self._pending: list[_Request[Item, Result]] = []
        self._leader_active = False
        self.runs = 0  # number of model calls made (tests check that requests were merged)

    def submit(self, items: Sequence[Item]) -> list[Result]:
        request: _Request[Item, Result] = _Request(items)
        with self._lock:
            self._pending.append(request)
            lead = not self._leader_active
            if lead:
                self._leader_active = True
        if lead:
            self._lead()
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.results is not None
        return request.results

    def _lead(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._leader_active = False
                    return
                batch: list[_Request[Item, Result]] = []
                count = 0
                while self._pending and (not batch or count + len(self._pending[0].items) <= self._max_items):
                    request = self._pending.pop(0)
                    batch.append(request)
                    count += len(request.items)
            flat = [item for request in batch for item in request.items]
            try:
                results = self._fn(flat) if flat else []
                self.runs += 1
                start = 0
                for request in batch:
                    request.results = results[start : start + len(request.items)]
                    start += len(request.items)
            except BaseException as exc:  # delivered to every waiting caller, then re-raised by each
                for request in batch:
                    request.error = exc
            finally:
                for request in batch:
                    request.done.set()
