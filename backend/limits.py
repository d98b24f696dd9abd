"""Per-account (and per-address) token buckets: a misbehaving device cannot starve the others."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """`rate` requests a second on average, bursts up to `burst`; `take` says how long to wait."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def take(self, key: str) -> float | None:
        """None when the request may go ahead; else the seconds until a token is free."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self.rate
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()  # bounded memory; a full bucket for everyone is the safe side
            self._buckets[key] = (tokens - 1.0, now)
            return None
