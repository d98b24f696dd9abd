"""Activity files in, one shape out: GPX (gpxpy), TCX (tcxreader) and FIT (fitdecode), plain or
gzipped, as Strava's bulk export ships them.

Each parser returns a `Track`: the raw points with their time offsets. `streams.downsample` then
turns it into the 5-second stream that is stored. Any failure — a file that is not what its name
says, a FIT file whose CRC does not match, a track without timestamps — is a `TrainingFileError`
naming the file, raised before anything is written.
"""

from __future__ import annotations

import gzip
import math
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.errors import TrainingFileError

SUFFIXES = (".gpx", ".tcx", ".fit")
SEMICIRCLE = 180 / 2**31


@dataclass
class Track:
    """Raw points of one activity; lists are parallel, `seconds` from `start` (UTC)."""

    sport: str
    start: datetime
    name: str = ""
    seconds: list[float] = field(default_factory=list)
    heart_rate: list[float | None] = field(default_factory=list)
    distance: list[float | None] = field(default_factory=list)  # cumulative metres when the file has it
    lat: list[float | None] = field(default_factory=list)
    lon: list[float | None] = field(default_factory=list)
    altitude: list[float | None] = field(default_factory=list)

    def add(
        self,
        moment: datetime,
        hr: float | None,
        distance: float | None,
        lat: float | None,
        lon: float | None,
        altitude: float | None,
    ) -> None:
        self.seconds.append((moment - self.start).total_seconds())
        self.heart_rate.append(hr)
        self.distance.append(distance)
        self.lat.append(lat)
        self.lon.append(lon)
        self.altitude.append(altitude)


def normal_sport(text: str | None) -> str:
    """'Running', 'run', 'trail_running' → 'run'; rides, walks and hikes likewise; else 'other'."""
    low = (text or "").lower()
    if "run" in low or "jog" in low:
        return "run"
    if any(w in low for w in ("ride", "cycl", "bik")):
        return "ride"
    if "walk" in low or "hik" in low:
        return "walk"
    if "swim" in low:
        return "swim"
    return "other"


def kind_of(path: Path) -> str | None:
    """'gpx', 'tcx' or 'fit' from the name (a trailing .gz allowed), else None."""
    name = path.name.lower().removesuffix(".gz")
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix[1:]
    return None


def parse_file(path: Path, data: bytes | None = None, *, label: str | None = None) -> Track:
    """Parse one activity file (its bytes may be given, as from a ZIP); `label` names it in errors."""
    where = label or str(path)
    kind = kind_of(path)
    if kind is None:
        raise TrainingFileError(where, "is not a GPX, TCX or FIT file")
    raw = data if data is not None else _read(path, where)
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise TrainingFileError(where, f"is not a valid gzip file ({exc})") from None
    try:
        if kind == "gpx":
            track = _gpx(raw)
        elif kind == "tcx":
            track = _tcx(raw)
        else:
            track = _fit(raw)
    except TrainingFileError:
        raise
    except Exception as exc:
        raise TrainingFileError(where, f"could not be read as {kind.upper()}: {exc}") from None
    if len(track.seconds) < 2:
        raise TrainingFileError(where, "has fewer than two timed points: nothing to import")
    if track.seconds[-1] <= 0:
        raise TrainingFileError(where, "has no duration (every point has the same time)")
    return track


def _read(path: Path, where: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TrainingFileError(where, f"cannot be read ({exc.strerror or exc})") from None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- GPX ------------------------------------------------------------------------------------------


def _gpx(raw: bytes) -> Track:
    import gpxpy

    gpx = gpxpy.parse(raw.decode("utf-8-sig", errors="strict"))
    points = [
        (p, track)
        for track in gpx.tracks
        for segment in track.segments
        for p in segment.points
        if p.time is not None
    ]
    if not points:
        raise ValueError("no track points with a time")
    first_track = points[0][1]
    start = _utc(points[0][0].time)
    track = Track(normal_sport(first_track.type or "run"), start, first_track.name or gpx.name or "")
    for p, _ in points:
        track.add(_utc(p.time), _gpx_hr(p), None, p.latitude, p.longitude, p.elevation)
    return track


def _gpx_hr(point: Any) -> float | None:
    """Heart rate from Garmin's TrackPointExtension (`gpxtpx:hr`), the way Strava and watches write it."""
    for ext in point.extensions:
        for node in ext.iter():
            if node.tag.split("}")[-1].lower() == "hr" and node.text:
                return float(node.text)
    return None


# -- TCX ------------------------------------------------------------------------------------------


def _tcx(raw: bytes) -> Track:
    from tcxreader.tcxreader import TCXReader

    # tcxreader reads from a path only; a private temporary file keeps ZIP members off the disk
    # for no longer than the parse.
    with tempfile.NamedTemporaryFile(suffix=".tcx") as tmp:
        tmp.write(raw.lstrip())
        tmp.flush()
        exercise = TCXReader().read(tmp.name, only_gps=False)
    points = [p for p in exercise.trackpoints or [] if p.time is not None]
    if not points:
        raise ValueError("no trackpoints with a time")
    start = _utc(points[0].time)
    track = Track(normal_sport(exercise.activity_type), start)
    for p in points:
        track.add(_utc(p.time), _num(p.hr_value), _num(p.distance), p.latitude, p.longitude, p.elevation)
    return track


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


# -- FIT ------------------------------------------------------------------------------------------


def _fit(raw: bytes) -> Track:
    import io

    import fitdecode

    sport = "other"
    rows: list[tuple[datetime, float | None, float | None, float | None, float | None, float | None]] = []
    with fitdecode.FitReader(io.BytesIO(raw), check_crc=fitdecode.CrcCheck.RAISE) as fit:
        for frame in fit:
            if not isinstance(frame, fitdecode.FitDataMessage):
                continue
            if frame.name in ("sport", "session") and frame.has_field("sport"):
                sport = normal_sport(str(frame.get_value("sport")))
            elif frame.name == "record" and frame.has_field("timestamp"):
                moment = frame.get_value("timestamp")
                if not isinstance(moment, datetime):
                    continue
                lat = _value(frame, "position_lat")
                lon = _value(frame, "position_long")
                altitude = _value(frame, "enhanced_altitude")
                rows.append(
                    (
                        _utc(moment),
                        _value(frame, "heart_rate"),
                        _value(frame, "distance"),
                        lat * SEMICIRCLE if lat is not None else None,
                        lon * SEMICIRCLE if lon is not None else None,
                        altitude if altitude is not None else _value(frame, "altitude"),
                    )
                )
    if not rows:
        raise ValueError("no record messages with a timestamp")
    track = Track(sport, rows[0][0])
    for row in rows:
        track.add(*row)
    return track


def _value(frame: Any, name: str) -> float | None:
    if not frame.has_field(name):
        return None
    value = frame.get_value(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# -- distance from positions ------------------------------------------------------------------------


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (mean Earth radius): enough for running-track resolution."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))
