"""Counters and latency histograms in Prometheus' text exposition format (no dependency needed)."""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, int], int] = defaultdict(int)
        self._bytes = {"in": 0, "out": 0}
        self._counters: dict[str, int] = defaultdict(int)
        self._hist: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS_S) + 1))
        self._sum: dict[str, float] = defaultdict(float)

    def observe(self, route: str, status: int, seconds: float, bytes_in: int, bytes_out: int) -> None:
        with self._lock:
            self._requests[(route, status)] += 1
            self._bytes["in"] += bytes_in
            self._bytes["out"] += bytes_out
            counts = self._hist[route]
            for i, bound in enumerate(BUCKETS_S):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self._sum[route] += seconds

    def requests(self, route: str) -> int:
        with self._lock:
            return sum(n for (r, _), n in self._requests.items() if r == route)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counters[name] += n

    def render(self, stats: dict[str, int]) -> str:
        lines = [
            "# HELP lifeos_requests_total Requests by route and status.",
            "# TYPE lifeos_requests_total counter",
        ]
        with self._lock:
            for (route, status), n in sorted(self._requests.items()):
                lines.append(f'lifeos_requests_total{{route="{route}",status="{status}"}} {n}')
            lines += ["# TYPE lifeos_request_bytes_total counter"]
            for direction, n in self._bytes.items():
                lines.append(f'lifeos_request_bytes_total{{direction="{direction}"}} {n}')
            for name, n in sorted(self._counters.items()):
                lines += [f"# TYPE lifeos_{name}_total counter", f"lifeos_{name}_total {n}"]
            lines += ["# TYPE lifeos_request_seconds histogram"]
            for route, counts in sorted(self._hist.items()):
                for bound, n in zip(BUCKETS_S, counts, strict=False):
                    lines.append(f'lifeos_request_seconds_bucket{{route="{route}",le="{bound}"}} {n}')
                lines.append(f'lifeos_request_seconds_bucket{{route="{route}",le="+Inf"}} {counts[-1]}')
                lines.append(f'lifeos_request_seconds_sum{{route="{route}"}} {self._sum[route]:.6f}')
                lines.append(f'lifeos_request_seconds_count{{route="{route}"}} {counts[-1]}')
        for name, value in sorted(stats.items()):
            lines += [f"# TYPE lifeos_stored_{name} gauge", f"lifeos_stored_{name} {value}"]
        return "\n".join(lines) + "\n"
