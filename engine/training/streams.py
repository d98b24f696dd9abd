"""The stored form of an activity: a 5-second stream and the summary computed from it.

Watches record every second (or whenever they like); five seconds keeps the shape of a run — a
400 m repeat, a hill — at a fifth of the rows. A bucket with no point (a paused watch) is left
out, so pauses stay visible as jumps in `t`. Heart rate is the bucket's mean; distance, position
and altitude are its last point. When a file has no distance channel it is measured along the
positions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import zstandard

from engine.training.parsers import Track, haversine

STEP_S = 5


@dataclass(frozen=True)
class Stream:
    """Parallel lists, one entry per 5-second bucket that holds at least one point."""

    t: list[int]  # seconds from the start
    hr: list[float | None]
    distance: list[float]  # cumulative metres
    lat: list[float | None]
    lon: list[float | None]
    altitude: list[float | None]

    def pack(self) -> bytes:
        payload = {
            "t": self.t,
            "hr": [None if v is None else round(v, 1) for v in self.hr],
            "d": [round(v, 1) for v in self.distance],
            "lat": [None if v is None else round(v, 6) for v in self.lat],
            "lon": [None if v is None else round(v, 6) for v in self.lon],
            "alt": [None if v is None else round(v, 1) for v in self.altitude],
        }
        return zstandard.ZstdCompressor(level=6).compress(json.dumps(payload, separators=(",", ":")).encode())

    @classmethod
    def unpack(cls, blob: bytes) -> Stream:
        data: dict[str, Any] = json.loads(zstandard.ZstdDecompressor().decompress(blob))
        return cls(data["t"], data["hr"], data["d"], data["lat"], data["lon"], data["alt"])


@dataclass(frozen=True)
class Summary:
    duration_s: float  # elapsed, first point to last
    moving_s: float  # buckets in which the distance grew
    distance_m: float
    avg_hr: float | None  # time-weighted over buckets with a heart rate
    max_hr: float | None
    elevation_gain_m: float


def _distances(track: Track) -> list[float]:
    """The file's cumulative distance where it has one, else measured along the positions."""
    if sum(d is not None for d in track.distance) >= len(track.distance) / 2:
        out: list[float] = []
        last = 0.0
        for d in track.distance:
            last = max(last, d) if d is not None else last
            out.append(last)
        return out
    out = [0.0]
    total = 0.0
    prev: tuple[float, float] | None = None
    for i, (lat, lon) in enumerate(zip(track.lat, track.lon, strict=True)):
        if lat is not None and lon is not None:
            if prev is not None:
                total += haversine(prev[0], prev[1], lat, lon)
            prev = (lat, lon)
        if i:
            out.append(total)
    return out


def downsample(track: Track, step: int = STEP_S) -> Stream:
    distances = _distances(track)
    buckets: dict[int, list[int]] = {}
    for i, sec in enumerate(track.seconds):
        buckets.setdefault(int(sec // step), []).append(i)
    t: list[int] = []
    hr: list[float | None] = []
    dist: list[float] = []
    lat: list[float | None] = []
    lon: list[float | None] = []
    alt: list[float | None] = []
    for bucket in sorted(buckets):
        idx = buckets[bucket]
        rates = [track.heart_rate[i] for i in idx if track.heart_rate[i] is not None]
        t.append(bucket * step)
        hr.append(sum(r for r in rates if r is not None) / len(rates) if rates else None)
        dist.append(distances[idx[-1]])
        lat.append(_last(track.lat, idx))
        lon.append(_last(track.lon, idx))
        alt.append(_last(track.altitude, idx))
    # The final point marks the end of the activity, so the elapsed time is kept to the second.
    end = round(track.seconds[-1])
    if end > t[-1]:
        t.append(end)
        hr.append(track.heart_rate[-1])
        dist.append(distances[-1])
        lat.append(track.lat[-1])
        lon.append(track.lon[-1])
        alt.append(track.altitude[-1])
    return Stream(t, hr, dist, lat, lon, alt)


def _last(values: list[float | None], idx: list[int]) -> float | None:
    for i in reversed(idx):
        if values[i] is not None:
            return values[i]
    return None


def summarise(stream: Stream) -> Summary:
    duration = float(stream.t[-1] - stream.t[0])
    moving = 0.0
    weighted = 0.0
    covered = 0.0
    gain = 0.0
    for i in range(len(stream.t) - 1):
        dt = stream.t[i + 1] - stream.t[i]
        if stream.distance[i + 1] - stream.distance[i] > 0.5 * dt:  # faster than a slow shuffle
            moving += dt
        if stream.hr[i] is not None:
            weighted += stream.hr[i] * dt  # type: ignore[operator]
            covered += dt
        a, b = stream.altitude[i], stream.altitude[i + 1]
        if a is not None and b is not None and b > a:
            gain += b - a
    rates = [h for h in stream.hr if h is not None]
    return Summary(
        duration,
        moving,
        stream.distance[-1] - stream.distance[0],
        weighted / covered if covered else None,
        max(rates) if rates else None,
        gain,
    )
