"""Rows of the `activities` table in and out (migration 5); no training science here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.store.connection import Connection

COLUMNS = (
    "id, started_at, day, sport, name, source, source_file, source_id, duration_s, moving_s, "
    "distance_m, elevation_gain_m, avg_hr, max_hr, rpe, trimp, trimp_method"
)


@dataclass(frozen=True)
class Activity:
    """One stored activity and its load. `trimp_method` is 'hr' (Banister from heart rate) or an
    estimate: 'rpe', 'pace' or 'duration'."""

    id: str
    started_at: str  # UTC, ISO 8601
    day: str  # local date it started on
    sport: str
    name: str
    source: str
    source_file: str
    source_id: str | None
    duration_s: float
    moving_s: float
    distance_m: float
    elevation_gain_m: float
    avg_hr: float | None
    max_hr: float | None
    rpe: float | None
    trimp: float
    trimp_method: str

    @property
    def estimated(self) -> bool:
        return self.trimp_method != "hr"

    @property
    def pace_s_per_km(self) -> float | None:
        return self.duration_s / (self.distance_m / 1000) if self.distance_m > 0 else None


def row_to_activity(row: Any) -> Activity:
    return Activity(*row)


def insert(conn: Connection, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    conn.execute(f"INSERT INTO activities ({columns}) VALUES ({marks})", tuple(values.values()))


def between(conn: Connection, first_day: str, last_day: str, limit: int = 100_000) -> list[Activity]:
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM activities WHERE day >= ? AND day <= ? ORDER BY started_at DESC LIMIT ?",
        (first_day, last_day, limit),
    ).fetchall()
    return [row_to_activity(r) for r in rows]


def latest(conn: Connection, limit: int) -> list[Activity]:
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM activities ORDER BY started_at DESC LIMIT ?", (limit,)
    ).fetchall()
    return [row_to_activity(r) for r in rows]


def by_id(conn: Connection, activity_id: str) -> list[tuple[Activity, bytes | None]]:
    """The activity with this id, else those whose id starts with it (two at most: ambiguous)."""
    rows = conn.execute(f"SELECT {COLUMNS}, stream FROM activities WHERE id = ?", (activity_id,)).fetchall()
    if not rows:
        rows = conn.execute(
            f"SELECT {COLUMNS}, stream FROM activities WHERE substr(id, 1, ?) = ? LIMIT 2",
            (len(activity_id), activity_id),
        ).fetchall()
    return [(row_to_activity(r[:-1]), r[-1]) for r in rows]


def near(conn: Connection, start_from: str, start_to: str) -> list[tuple[str, str, float]]:
    """(id, started_at, duration) of activities that started inside the window (duplicate check)."""
    return conn.execute(
        "SELECT id, started_at, duration_s FROM activities WHERE started_at >= ? AND started_at <= ?",
        (start_from, start_to),
    ).fetchall()


def known_hashes(conn: Connection, hashes: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(hashes), 500):
        chunk = hashes[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(
            r[0] for r in conn.execute(f"SELECT sha256 FROM activities WHERE sha256 IN ({marks})", chunk)
        )
    return found


def all_hashes(conn: Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT sha256 FROM activities WHERE sha256 IS NOT NULL")}


def known_source_ids(conn: Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT source_id FROM activities WHERE source_id IS NOT NULL")}


def load_by_day(conn: Connection) -> dict[str, float]:
    return {r[0]: float(r[1]) for r in conn.execute("SELECT day, sum(trimp) FROM activities GROUP BY day")}


def runs(conn: Connection) -> list[tuple[str, float, float]]:
    """(day, distance, duration) of every run, for the goal confidence score."""
    return conn.execute(
        "SELECT day, distance_m, duration_s FROM activities WHERE sport = 'run' AND distance_m > 0"
    ).fetchall()


def distance_by_day(conn: Connection, sport: str = "run") -> dict[str, float]:
    return {
        r[0]: float(r[1])
        for r in conn.execute(
            "SELECT day, sum(distance_m) FROM activities WHERE sport = ? GROUP BY day", (sport,)
        )
    }


def streams_for_recompute(
    conn: Connection,
) -> list[tuple[str, str, float, float, float | None, bytes | None]]:
    return conn.execute("SELECT id, sport, duration_s, distance_m, rpe, stream FROM activities").fetchall()


def set_trimp(conn: Connection, activity_id: str, trimp: float, method: str) -> None:
    conn.execute(
        "UPDATE activities SET trimp = ?, trimp_method = ? WHERE id = ?", (trimp, method, activity_id)
    )


def count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM activities").fetchone()[0])
