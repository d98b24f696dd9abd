"""Activities in: GPX, TCX and FIT files written as watches write them, a Strava bulk-export ZIP,
5-second streams, duplicates across sources, and bad files refused by name with nothing written."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import TrainingFileError, UsageError
from testkit.training import ExportItem, SyntheticRun, fit_bytes, strava_export, write
from tests.conftest import PASSPHRASE, run_cli

TZ = timezone(timedelta(hours=1))
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=TZ)


@pytest.fixture
def engine(tmp_path: Path):
    with Engine.create(tmp_path / "p", PASSPHRASE, clock=lambda: NOW, use_embedder=False) as eng:
        yield eng


def _run(day: int, minutes: float = 40, pace: float = 330, **kw: object) -> SyntheticRun:
    return SyntheticRun(datetime(2026, 11, day, 7, 0, tzinfo=TZ), minutes, pace, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", ["gpx", "tcx", "fit", "gpx.gz", "fit.gz"])
def test_each_format_imports_with_a_5_second_stream_and_heart_rate_load(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    # 40 min at 5:30/km: 7,273 m; HR 150 after a 2-minute warm-up from 120. Points every second
    # (every 3 s in FIT, which fit-tool writes slowly): the stream has one sample per 5 s either way.
    run = _run(20, step_s=3.0 if "fit" in suffix else 1.0)
    path = write(run, tmp_path / f"run.{suffix}")
    report = engine.training.import_activities(path)
    [a] = report.imported
    assert (a.sport, a.day, a.duration_s, a.trimp_method) == ("run", "2026-11-20", 2400.0, "hr")
    assert a.distance_m == pytest.approx(run.distance_m, rel=0.005)
    assert a.avg_hr == pytest.approx(149.25, abs=0.5)  # 150 less the warm-up's shortfall
    assert a.pace_s_per_km == pytest.approx(330, rel=0.005)
    detail = engine.training.activity(a.id)
    assert detail.stream is not None
    assert len(detail.stream.t) == 2400 // 5 + 1 and detail.stream.t[:3] == [0, 5, 10]
    assert detail.stream.hr[-1] == pytest.approx(150)
    # The stored load is the one the athlete's heart rates give (defaults 60/190, male).
    assert a.trimp == pytest.approx(65.9, abs=0.3)


def test_a_run_without_heart_rate_gets_an_estimate_that_says_so(engine: Engine, tmp_path: Path) -> None:
    [a] = engine.training.import_activities(write(_run(21, hr=None), tmp_path / "no-hr.gpx")).imported
    assert a.avg_hr is None and a.trimp_method == "pace" and a.estimated and a.trimp > 0


def test_the_same_run_from_two_devices_is_stored_once_and_a_reimport_adds_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "watch"
    write(_run(22, step_s=5.0), folder / "garmin.fit")
    write(_run(22), folder / "phone.gpx")  # the same run, recorded twice
    write(_run(24, 30, 300), folder / "tempo.tcx")
    first = engine.training.import_activities(folder)
    assert len(first.imported) == 2 and len(first.duplicates) == 1
    again = engine.training.import_activities(folder)
    assert again.imported == [] and len(again.duplicates) == 3
    assert engine.training.count() == 2


def test_strava_export_zip_with_csv_names_exertion_and_a_manual_activity(
    engine: Engine, tmp_path: Path
) -> None:
    items = [
        ExportItem("1001", _run(25, name="Parkrun")),
        ExportItem("1002", _run(26, 30, 360, hr=None), "fit.gz", rpe=7),
        ExportItem("1003", _run(27, 45, 400, hr=None), None, rpe=4),  # entered by hand: no file
        ExportItem("1004", _run(28, 60, 200, sport="cycling", name="Commute"), "tcx.gz"),
    ]
    zip_path = strava_export(tmp_path / "export_12345.zip", items)
    report = engine.training.import_activities(zip_path)
    by_day = {a.day: a for a in report.imported}
    assert sorted(by_day) == ["2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28"]
    assert by_day["2026-11-25"].name == "Parkrun" and by_day["2026-11-25"].source_id == "1001"
    assert by_day["2026-11-26"].rpe == 7 and by_day["2026-11-26"].trimp_method == "rpe"
    manual = by_day["2026-11-27"]
    assert (manual.source, manual.duration_s, manual.trimp_method) == ("strava-export", 2700.0, "rpe")
    assert manual.distance_m == pytest.approx(6750, abs=10)
    assert by_day["2026-11-28"].sport == "ride"
    # The same export again: every activity is recognised by its Strava id.
    assert engine.training.import_activities(zip_path).imported == []


def test_a_bad_file_is_named_and_nothing_of_its_import_is_written(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write(_run(10), folder / "a-good.gpx")
    broken = bytearray(fit_bytes(_run(11)))
    broken[200] ^= 0xFF  # one flipped byte: the FIT CRC no longer matches
    (folder / "b-broken.fit").write_bytes(bytes(broken))
    write(_run(12), folder / "c-good.tcx")
    with pytest.raises(TrainingFileError, match=r"b-broken\.fit"):
        engine.training.import_activities(folder)
    assert engine.training.count() == 0
    # Told to, it imports the good files and lists the bad one.
    report = engine.training.import_activities(folder, skip_bad=True)
    assert len(report.imported) == 2 and [Path(b.label).name for b in report.bad] == ["b-broken.fit"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "cut.gpx",
            b'<?xml version="1.0"?><gpx><trk><trkseg><trkpt lat="1" lon="2">',
            "could not be read as GPX",
        ),
        ("empty.tcx", b"", "could not be read as TCX"),
        ("notes.gpx.gz", b"not gzip at all", "not a valid gzip file"),
        ("one-point.gpx", None, "fewer than two timed points"),
    ],
)
def test_unreadable_files_get_a_clear_error_naming_them(
    engine: Engine, tmp_path: Path, name: str, data: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if data is None:
        text = write(_run(3), tmp_path / "x.gpx").read_text()
        head, _, tail = text.partition("<trkpt")
        path.write_text(head + "<trkpt" + tail.split("</trkpt>", 1)[0] + "</trkpt></trkseg></trk></gpx>")
    else:
        path.write_bytes(data)
    with pytest.raises(TrainingFileError, match=message) as caught:
        engine.training.import_activities(path)
    assert name in str(caught.value)
    with pytest.raises(UsageError, match="no such file"):
        engine.training.import_activities(tmp_path / "missing.gpx")
    assert engine.training.count() == 0


def test_cli_imports_lists_shows_and_reports(tmp_path: Path) -> None:
    home = str(tmp_path / "p")
    assert run_cli("--home", home, "init").returncode == 0
    folder = tmp_path / "runs"
    write(_run(5), folder / "easy.gpx")
    write(_run(6, hr=None), folder / "nohr.tcx.gz")
    imported = run_cli("--home", home, "activity", "import", str(folder))
    assert imported.returncode == 0 and "Imported 2 activities." in imported.stdout
    listed = json.loads(run_cli("--home", home, "activity", "list", "--json").stdout)
    assert [a["day"] for a in listed] == ["2026-11-06", "2026-11-05"]
    text = run_cli("--home", home, "activity", "list").stdout
    assert "* load estimated" in text and "5:30/km" in text
    shown = run_cli("--home", home, "activity", "show", listed[1]["id"])
    assert (
        "Banister TRIMP from heart rate" in shown.stdout and "Stream      481 samples at 5 s" in shown.stdout
    )
    bad = tmp_path / "bad.fit"
    bad.write_bytes(gzip.compress(b"nope"))
    failed = run_cli("--home", home, "activity", "import", str(bad))
    assert failed.returncode == 4 and "bad.fit" in failed.stderr
    goal = run_cli("--home", home, "training", "goal", "half", "1:45:00", "2099-04-18")
    assert goal.returncode == 0 and "the half marathon in 1:45:00" in goal.stdout
    status = json.loads(run_cli("--home", home, "training", "--json").stdout)
    assert status["load"]["history_days"] > 0 and status["goal"]["confidence"]["reasons"]
    assert set(status["load"]) >= {"rolling", "ewma"}
    wrong = run_cli("--home", home, "training", "athlete", "--resting-hr", "200", "--max-hr", "180")
    assert wrong.returncode == 2 and "must be below max heart rate" in wrong.stderr


def test_locking_during_a_long_import_stops_it_at_the_next_file_with_nothing_written(tmp_path: Path) -> None:
    import threading
    import time

    from engine.errors import ProfileLocked

    folder = tmp_path / "many"
    for day in range(1, 13):
        write(_run(day, 20, step_s=5.0), folder / f"{day:02d}.gpx")
    engine = Engine.create(tmp_path / "p", PASSPHRASE, clock=lambda: NOW, use_embedder=False)
    third = threading.Event()
    outcome: list[BaseException] = []

    def progress(done: int, _total: int) -> None:
        if done == 3:
            third.set()  # the lock is requested while the import is mid-folder
            time.sleep(0.2)

    def work() -> None:
        try:
            engine.training.import_activities(folder, progress=progress)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    assert third.wait(30)
    engine.close()  # waits for the import to reach its next safe point
    worker.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], ProfileLocked)
    with Engine.open(tmp_path / "p", PASSPHRASE, use_embedder=False) as again:
        assert again.training.count() == 0


def test_goal_times_read_as_a_runner_writes_them(engine: Engine) -> None:
    assert engine.training.set_goal("half", "1:45", "2027-04-18").target_s == 6300  # h:mm for a half
    assert engine.training.set_goal("5k", "19:30", "2027-04-18").target_s == 1170  # mm:ss for a 5k
    assert engine.training.set_goal("21.1km", "1:39:59", "2027-04-18").distance_m == 21_100
    with pytest.raises(UsageError, match="faster than any human"):
        engine.training.set_goal("marathon", "0:50:00", "2027-04-18")
    with pytest.raises(UsageError, match="already passed"):
        engine.training.set_goal("10k", "45:00", "2026-11-30")
    with pytest.raises(UsageError, match="use 5k, 10k, half"):
        engine.training.set_goal("ultra", "45:00", "2027-04-18")
