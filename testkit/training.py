"""Activity files for tests and benchmarks, written the way watches and Strava write them.

A `SyntheticRun` is a run along a straight line north from a start point at a steady pace, its
heart rate rising to a plateau; the writers put it into GPX (Garmin's TrackPointExtension heart
rate, as Strava exports), TCX (Training Center Database v2) or FIT (through fit-tool, which writes
valid headers and CRCs), and `strava_export` packs files and an `activities.csv` into a ZIP laid out
like Strava's bulk export.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

METRES_PER_DEGREE_LAT = 111_195.0  # on the mean-radius sphere engine/training measures with


@dataclass(frozen=True)
class Point:
    seconds: float
    lat: float
    lon: float
    altitude: float
    distance: float
    hr: float | None


@dataclass(frozen=True)
class SyntheticRun:
    start: datetime
    minutes: float
    pace_s_per_km: float
    hr: float | None = 150.0  # the plateau; None: no heart-rate strap
    step_s: float = 1.0
    lat0: float = 51.5
    lon0: float = -0.12
    sport: str = "running"
    name: str = ""

    def points(self) -> list[Point]:
        out = []
        speed = 1000 / self.pace_s_per_km
        n = int(self.minutes * 60 / self.step_s)
        for i in range(n + 1):
            t = i * self.step_s
            d = speed * t
            hr = None if self.hr is None else self.hr - 30 * max(0.0, 1 - t / 120)  # warms up over 2 min
            out.append(Point(t, self.lat0 + d / METRES_PER_DEGREE_LAT, self.lon0, 20 + (d % 400) / 40, d, hr))
        return out

    @property
    def distance_m(self) -> float:
        return 1000 / self.pace_s_per_km * int(self.minutes * 60 / self.step_s) * self.step_s


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gpx_text(run: SyntheticRun) -> str:
    rows = []
    for p in run.points():
        hr = (
            "<extensions><gpxtpx:TrackPointExtension>"
            f"<gpxtpx:hr>{round(p.hr)}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>"
            if p.hr is not None
            else ""
        )
        rows.append(
            f'<trkpt lat="{p.lat:.7f}" lon="{p.lon:.7f}"><ele>{p.altitude:.1f}</ele>'
            f"<time>{_stamp(run.start + timedelta(seconds=p.seconds))}</time>{hr}</trkpt>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="LifeOS testkit" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
        f"<metadata><time>{_stamp(run.start)}</time></metadata>\n"
        f"<trk><name>{run.name or 'Morning Run'}</name><type>{run.sport}</type><trkseg>\n"
        + "\n".join(rows)
        + "\n</trkseg></trk></gpx>\n"
    )


def tcx_text(run: SyntheticRun) -> str:
    rows = []
    for p in run.points():
        hr = f"<HeartRateBpm><Value>{round(p.hr)}</Value></HeartRateBpm>" if p.hr is not None else ""
        rows.append(
            f"<Trackpoint><Time>{_stamp(run.start + timedelta(seconds=p.seconds))}</Time>"
            f"<Position><LatitudeDegrees>{p.lat:.7f}</LatitudeDegrees>"
            f"<LongitudeDegrees>{p.lon:.7f}</LongitudeDegrees></Position>"
            f"<AltitudeMeters>{p.altitude:.1f}</AltitudeMeters>"
            f"<DistanceMeters>{p.distance:.1f}</DistanceMeters>{hr}</Trackpoint>"
        )
    sport = "Running" if "run" in run.sport.lower() else "Biking" if "rid" in run.sport.lower() else "Other"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">\n'
        f'<Activities><Activity Sport="{sport}"><Id>{_stamp(run.start)}</Id>'
        f'<Lap StartTime="{_stamp(run.start)}"><TotalTimeSeconds>{run.minutes * 60:.0f}</TotalTimeSeconds>'
        f"<DistanceMeters>{run.distance_m:.1f}</DistanceMeters><Calories>0</Calories>"
        "<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>\n"
        + "\n".join(rows)
        + "\n</Track></Lap></Activity></Activities></TrainingCenterDatabase>\n"
    )


def fit_bytes(run: SyntheticRun) -> bytes:
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.sport_message import SportMessage
    from fit_tool.profile.profile_type import FileType, Manufacturer, Sport

    start_ms = round(run.start.timestamp() * 1000)
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.time_created = start_ms
    file_id.serial_number = 0x1234
    builder.add(file_id)
    sport = SportMessage()
    sport.sport = Sport.RUNNING if "run" in run.sport.lower() else Sport.CYCLING
    builder.add(sport)
    records = []
    for p in run.points():
        record = RecordMessage()
        record.timestamp = start_ms + round(p.seconds * 1000)
        record.position_lat = p.lat
        record.position_long = p.lon
        record.distance = p.distance
        record.altitude = p.altitude
        if p.hr is not None:
            record.heart_rate = round(p.hr)
        records.append(record)
    builder.add_all(records)
    return bytes(builder.build().to_bytes())


def write(run: SyntheticRun, path: Path) -> Path:
    """Write `run` in the format its name says (.gpx, .tcx, .fit, each optionally .gz)."""
    name = path.name.lower()
    base = name.removesuffix(".gz")
    if base.endswith(".gpx"):
        data = gpx_text(run).encode()
    elif base.endswith(".tcx"):
        data = tcx_text(run).encode()
    elif base.endswith(".fit"):
        data = fit_bytes(run)
    else:
        raise ValueError(f"unknown activity format: {path.name}")
    if name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


STRAVA_COLUMNS = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Activity Description",
    "Elapsed Time",
    "Distance",
    "Max Heart Rate",
    "Relative Effort",
    "Commute",
    "Activity Private Note",
    "Activity Gear",
    "Filename",
    "Athlete Weight",
    "Bike Weight",
    "Elapsed Time",
    "Moving Time",
    "Distance",
    "Perceived Exertion",
]


@dataclass(frozen=True)
class ExportItem:
    activity_id: str
    run: SyntheticRun
    file_format: str | None = "gpx.gz"  # None: an activity entered by hand (a CSV row only)
    rpe: float | None = None


def strava_export(path: Path, items: list[ExportItem]) -> Path:
    """A ZIP laid out like Strava's bulk export: activities.csv and activities/<id>.<format>."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STRAVA_COLUMNS)
    files: dict[str, bytes] = {}
    for item in items:
        run = item.run
        filename = f"activities/{item.activity_id}.{item.file_format}" if item.file_format else ""
        if item.file_format:
            tmp = write(run, path.parent / f".export-{item.activity_id}.{item.file_format}")
            files[filename] = tmp.read_bytes()
            tmp.unlink()
        elapsed = f"{run.minutes * 60:.0f}"
        km = f"{run.distance_m / 1000:.2f}"
        writer.writerow(
            [
                item.activity_id,
                run.start.astimezone(UTC).strftime("%b %d, %Y, %I:%M:%S %p").replace(" 0", " "),
                run.name or "Morning Run",
                "Run" if "run" in run.sport.lower() else "Ride",
                "",
                elapsed,
                km,
                "" if run.hr is None else f"{run.hr:.0f}",
                "",
                "false",
                "",
                "",
                filename,
                "",
                "",
                elapsed,
                elapsed,
                f"{run.distance_m:.1f}",
                "" if item.rpe is None else f"{item.rpe:g}",
            ]
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activities.csv", buffer.getvalue())
        for name, data in files.items():
            archive.writestr(name, data)
    return path
