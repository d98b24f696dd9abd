"""One memory budget for every on-device model (DESIGN.md §3: 300 MB by default).

Models load lazily, on their first call. Before a load the budget checks that the model's estimate fits
beside what is already loaded plus the reserved ONNX Runtime arena; if it does not, the least recently
used models that are not in the middle of a call are unloaded until it does. After the load the model
is charged the resident memory (RSS) the load really added, so `lifeos models` shows measured figures
and later decisions use them. Transient models (speech-to-text) are unloaded as soon as their call ends.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from engine.errors import MemoryBudgetExceeded
from engine.inference.rss import MB, current_rss_bytes, trim_heap

if TYPE_CHECKING:
    from engine.inference.base import Model

DEFAULT_BUDGET_MB = 300
WAIT_FOR_RELEASE_S = 60.0


class MemoryBudget:
    """LRU bookkeeping of loaded models against a byte budget; thread-safe."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_MB * MB, reserved_bytes: int = 0) -> None:
        if budget_bytes <= reserved_bytes:
            raise ValueError(
                f"a memory budget of {budget_bytes // MB} MB leaves nothing for models "
                f"beside the {reserved_bytes // MB} MB reserved for the ONNX Runtime arena"
            )
        self.budget_bytes = budget_bytes
        self.reserved_bytes = reserved_bytes
        self._lru: OrderedDict[str, Model] = OrderedDict()  # least recently used first
        self._charges: dict[str, int] = {}
        self._in_use: dict[str, int] = {}
        self._cond = threading.Condition()
        self.evictions: list[str] = []  # keys unloaded to make room, oldest first (for tests and status)

    # -- reading -------------------------------------------------------------------------------

    @property
    def used_bytes(self) -> int:
        """Bytes charged to loaded models plus the reserved arena."""
        with self._cond:
            return self.reserved_bytes + sum(self._charges.values())

    def charge(self, model: Model) -> int:
        """Resident bytes charged to a model now (0 when it is not loaded)."""
        with self._cond:
            return self._charges.get(model.key, 0)

    def loaded_keys(self) -> list[str]:
        """Loaded models, least recently used first."""
        with self._cond:
            return list(self._lru)

    # -- using ---------------------------------------------------------------------------------

    @contextmanager
    def use(self, model: Model) -> Iterator[None]:
        """Keep `model` loaded (and not evictable) while the block runs; load it first if needed."""
        with self._cond:
            if not model.is_loaded or model.key not in self._lru:
                self._make_room(model)
                self._load(model)
            self._lru.move_to_end(model.key)
            self._in_use[model.key] = self._in_use.get(model.key, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._in_use[model.key] -= 1
                if self._in_use[model.key] == 0:
                    del self._in_use[model.key]
                    if model.transient:
                        self._unload(model)
                self._cond.notify_all()

    def unload(self, model: Model) -> None:
        """Unload a model now (waits for calls in progress to finish)."""
        with self._cond:
            while model.key in self._in_use:
                self._cond.wait()
            self._unload(model)

    def unload_all(self) -> None:
        with self._cond:
            for model in list(self._lru.values()):
                while model.key in self._in_use:
                    self._cond.wait()
                self._unload(model)

    # -- internals (called with the condition's lock held) --------------------------------------

    def _make_room(self, model: Model) -> None:
        need = model.estimated_bytes
        if self.reserved_bytes + need > self.budget_bytes:
            raise MemoryBudgetExceeded(
                f"{model.role.value} model {model.name!r} needs about {need // MB} MB, more than the "
                f"{self.budget_bytes // MB} MB budget allows even with nothing else loaded "
                f"({self.reserved_bytes // MB} MB are reserved for the ONNX Runtime arena); "
                "raise the budget or choose a smaller model"
            )
        deadline = time.monotonic() + WAIT_FOR_RELEASE_S
        while self.reserved_bytes + sum(self._charges.values()) + need > self.budget_bytes:
            idle = [m for k, m in self._lru.items() if k not in self._in_use and k != model.key]
            if idle:
                victim = idle[0]
                self._unload(victim)
                self.evictions.append(victim.key)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MemoryBudgetExceeded(
                    f"no room for {model.role.value} model {model.name!r} ({need // MB} MB): the models "
                    f"in use ({', '.join(self._in_use)}) did not finish within {WAIT_FOR_RELEASE_S:.0f} s"
                )
            self._cond.wait(remaining)

    def _load(self, model: Model) -> None:
        before = current_rss_bytes()
        model.load()
        after = current_rss_bytes()
        measured = (after - before) if before is not None and after is not None else 0
        # Measured RSS is the truth when we have it; a load that reuses already-imported libraries
        # can add less than the estimate, and that is what the device really pays.
        self._charges[model.key] = measured if measured > 0 else model.estimated_bytes
        self._lru[model.key] = model

    def _unload(self, model: Model) -> None:
        model.unload()
        self._lru.pop(model.key, None)
        self._charges.pop(model.key, None)
        gc.collect()
        trim_heap()
