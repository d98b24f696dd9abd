"""What `lifeos activity import` reads: one file, a folder of files, or a Strava bulk-export ZIP.

Everything is parsed before anything is written, so a bad file stops the import with its name and
leaves the profile as it was (`skip_bad=True` reports bad files and imports the rest). A Strava
export's `activities.csv` adds what the files lack — the activity's name, its Strava id, its
perceived exertion — and stands in for activities that have no file (entered by hand).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.errors import TrainingFileError, UsageError
from engine.training.parsers import kind_of, normal_sport, parse_file
from engine.training.streams import downsample

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the start of a known file that was not parsed again
MAX_ZIP_MEMBER = 200 * 1024 * 1024  # a single activity file larger than this is not an activity
Progress = Callable[[int, int], None]


@dataclass
class Candidate:
    """One activity read from a source, not yet stored."""

    source: str  # "gpx", "tcx", "fit", "strava-export"
    label: str  # the file (or CSV row) it came from, for messages
    sha256: str | None
    stream: bytes | None  # the packed 5-second stream (`Stream.pack`); None for a CSV-only activity
    sport: str
    start: datetime
    name: str = ""
    source_id: str | None = None
    rpe: float | None = None
    duration_s: float | None = None  # CSV-only activities
    distance_m: float | None = None


@dataclass(frozen=True)
class Bad:
    label: str
    error: str


def read_source(
    path: Path,
    *,
    skip_bad: bool = False,
    progress: Progress | None = None,
    known: Callable[[str], bool] = lambda _digest: False,
) -> tuple[list[Candidate], list[Bad]]:
    """Parse every activity under `path`; raise on the first bad one unless `skip_bad`. A file whose
    sha256 is `known` (imported before) is not parsed again: it comes back as a candidate without a
    stream, which the caller reports as a duplicate."""
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and kind_of(p))
        if not files:
            raise UsageError(f"{path}: no GPX, TCX or FIT files in this folder")
        items = [(f, None, str(f)) for f in files]
        return _parse_all(items, skip_bad, progress, known)
    if zipfile.is_zipfile(path):
        return _read_zip(path, skip_bad, progress, known)
    if kind_of(path) is None:
        raise TrainingFileError(str(path), "is not a GPX, TCX or FIT file, a folder, or a Strava export ZIP")
    return _parse_all([(path, None, str(path))], skip_bad, progress, known)


def _parse_all(
    items: list[tuple[Path, bytes | None, str]],
    skip_bad: bool,
    progress: Progress | None,
    known: Callable[[str], bool],
) -> tuple[list[Candidate], list[Bad]]:
    out: list[Candidate] = []
    bad: list[Bad] = []
    for i, (path, data, label) in enumerate(items):
        try:
            raw = data if data is not None else path.read_bytes()
        except OSError as exc:
            raise TrainingFileError(label, f"cannot be read ({exc.strerror or exc})") from None
        digest = hashlib.sha256(raw).hexdigest()
        if known(digest):
            out.append(Candidate(kind_of(path) or "file", label, digest, None, "other", _EPOCH))
            if progress:
                progress(i + 1, len(items))
            continue
        try:
            track = parse_file(path, raw, label=label)
        except TrainingFileError as exc:
            if not skip_bad:
                raise
            bad.append(Bad(label, str(exc)))
        else:
            # Downsampled and packed at once: a thousand files' raw points would not fit a phone.
            kind = kind_of(path) or "file"
            packed = downsample(track).pack()
            out.append(Candidate(kind, label, digest, packed, track.sport, track.start, track.name))
        if progress:
            progress(i + 1, len(items))
    return out, bad


# -- Strava bulk export -------------------------------------------------------------------------------


def _read_zip(
    path: Path, skip_bad: bool, progress: Progress | None, known: Callable[[str], bool]
) -> tuple[list[Candidate], list[Bad]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise TrainingFileError(str(path), f"is not a readable ZIP ({exc})") from None
    with archive:
        names = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        csv_name = next((n for n in names if n.rsplit("/", 1)[-1] == "activities.csv"), None)
        rows = list(_csv_rows(archive, csv_name, path)) if csv_name else []
        prefix = csv_name[: -len("activities.csv")] if csv_name else ""
        by_file = {row.filename: row for row in rows if row.filename}
        members = [n for n in sorted(names) if kind_of(Path(n))]
        if not members and not rows:
            raise TrainingFileError(str(path), "holds no activities.csv and no GPX, TCX or FIT files")
        items: list[tuple[Path, bytes | None, str]] = []
        for name in members:
            info = names[name]
            if info.file_size > MAX_ZIP_MEMBER:
                raise TrainingFileError(f"{path}!{name}", "is too large to be an activity file")
            items.append((Path(name), archive.read(name), f"{path}!{name}"))
    found, bad = _parse_all(items, skip_bad, progress, known)
    for candidate in found:
        member = candidate.label.split("!", 1)[1]
        row = by_file.get(member.removeprefix(prefix)) or by_file.get(member)
        if row is not None:
            candidate.name = row.name or candidate.name
            candidate.source_id = row.activity_id
            candidate.rpe = row.rpe
            if row.sport != "other":
                candidate.sport = row.sport
            row.used = True
    for row in rows:
        if row.used or row.filename:
            continue  # a row whose file was bad is reported with the file
        if row.duration_s is None or row.start is None:
            continue
        found.append(
            Candidate(
                "strava-export",
                f"{path}!activities.csv row {row.activity_id}",
                None,
                None,
                row.sport,
                row.start,
                row.name,
                row.activity_id,
                row.rpe,
                row.duration_s,
                row.distance_m,
            )
        )
    return found, bad


@dataclass
class _Row:
    activity_id: str
    start: datetime | None
    name: str
    sport: str
    filename: str
    duration_s: float | None
    distance_m: float | None
    rpe: float | None
    used: bool = False


def _csv_rows(archive: zipfile.ZipFile, name: str, path: Path) -> Iterator[_Row]:
    """Rows of Strava's activities.csv. Its header repeats some names (a summary 'Distance' in km,
    then a detailed one in metres), so columns are taken by their first position."""
    label = f"{path}!{name}"
    try:
        text = archive.read(name).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TrainingFileError(label, "is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise TrainingFileError(label, "is empty") from None
    first: dict[str, int] = {}
    for i, column in enumerate(header):
        first.setdefault(column.strip(), i)
    for needed in ("Activity ID", "Activity Date", "Activity Type"):
        if needed not in first:
            raise TrainingFileError(label, f"has no {needed!r} column: not a Strava activities.csv")

    def cell(row: list[str], column: str) -> str:
        i = first.get(column)
        return row[i].strip() if i is not None and i < len(row) else ""

    for number, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        start = _strava_date(cell(row, "Activity Date"))
        if start is None:
            raise TrainingFileError(label, f"line {number}: unreadable date {cell(row, 'Activity Date')!r}")
        yield _Row(
            cell(row, "Activity ID"),
            start,
            cell(row, "Activity Name"),
            normal_sport(cell(row, "Activity Type")),
            cell(row, "Filename"),
            _float(cell(row, "Elapsed Time")),
            _km(cell(row, "Distance")),
            _rpe(cell(row, "Perceived Exertion")),
        )


def _strava_date(text: str) -> datetime | None:
    """Strava writes 'Jan 5, 2024, 7:12:33 AM' (UTC) in exports; ISO dates are taken as well."""
    for fmt in ("%b %d, %Y, %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _float(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _km(text: str) -> float | None:
    value = _float(text)
    return value * 1000 if value is not None else None


def _rpe(text: str) -> float | None:
    value = _float(text)
    return value if value is not None and 1 <= value <= 10 else None


def same_activity(a_start: datetime, a_duration: float, b_start: datetime, b_duration: float) -> bool:
    """Two records of one activity (a watch's file and Strava's copy): starts within two minutes and
    elapsed times within 5 % (or a minute)."""
    close = abs(a_start - b_start) <= timedelta(minutes=2)
    return close and abs(a_duration - b_duration) <= max(60.0, 0.05 * max(a_duration, b_duration))
