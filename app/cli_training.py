"""`lifeos activity …` and `lifeos training …`: runs in, training load and goal confidence out."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from app.cli_common import EXIT_OK, local_time, open_engine, positive_int, to_jsonable
from engine.types import Activity, LoadStatus

STRAVA_SECRET_ENV = "LIFEOS_STRAVA_SECRET"  # the client secret, so it never sits in the shell history


def register(subparsers: Any) -> None:
    act = subparsers.add_parser("activity", help="import, list and show runs and rides")
    act_sub = act.add_subparsers(dest="activity_command", metavar="ACTION", required=True)
    p = act_sub.add_parser("import", help="GPX, TCX or FIT files, a folder of them, or a Strava export ZIP")
    p.add_argument("path", metavar="FILE|DIR|ZIP")
    p.add_argument("--skip-bad", action="store_true", help="import the good files and list the bad ones")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import)
    p = act_sub.add_parser("list", help="activities, newest first")
    p.add_argument("--since", metavar="YYYY-MM-DD")
    p.add_argument("--until", metavar="YYYY-MM-DD")
    p.add_argument("--limit", type=positive_int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = act_sub.add_parser("show", help="one activity (its id, or a unique start of it)")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = act_sub.add_parser("strava-connect", help="connect your Strava API application (paste the code once)")
    p.add_argument("--client-id", required=True)
    p.add_argument("--code", required=True, help="the code Strava shows after you authorise the app")
    p.add_argument("--base-url", default=None, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_strava_connect)
    p = act_sub.add_parser("strava-sync", help="bring in the Strava activities since the last sync")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_strava_sync)

    tr = subparsers.add_parser("training", help="training load (ACWR) and goal confidence")
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(handler=cmd_status)
    tr_sub = tr.add_subparsers(dest="training_command", metavar="ACTION")
    p = tr_sub.add_parser("goal", help="set the goal race: distance, target time, race day")
    p.add_argument("distance", help="5k, 10k, half, marathon, or a distance such as 15km")
    p.add_argument("time", help="target time, e.g. 1:45:00")
    p.add_argument("day", metavar="YYYY-MM-DD", help="race day")
    p.set_defaults(handler=cmd_goal)
    p = tr_sub.add_parser("athlete", help="resting and max heart rate, sex (for TRIMP), threshold pace")
    p.add_argument("--resting-hr", type=positive_int)
    p.add_argument("--max-hr", type=positive_int)
    p.add_argument("--sex", choices=["male", "female"])
    p.add_argument("--threshold-pace", metavar="M:SS", help="per km; estimates the load of runs without HR")
    p.set_defaults(handler=cmd_athlete)
    p = tr_sub.add_parser("load", help="daily load with rolling and EWMA ACWR")
    p.add_argument("--days", type=positive_int, default=28)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_load)


class _Bar:
    """'files 120/1000' on stderr while an import parses (silent when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.on = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self.on and (done == total or done % 10 == 0):
            sys.stderr.write(f"\r   files {done}/{total}")
            sys.stderr.flush()

    def end(self) -> None:
        if self.on:
            sys.stderr.write("\n")


def print_json(value: Any) -> None:
    """As everywhere in the CLI, plus dates (a goal's race day) as ISO text."""
    print(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2, default=str))


def _pace(a: Activity) -> str:
    pace = a.pace_s_per_km
    if pace is None or a.sport != "run":
        return ""
    return f"{int(pace // 60)}:{int(pace % 60):02d}/km"


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _line(a: Activity) -> str:
    load = f"load {a.trimp:5.1f}{'*' if a.estimated else ' '}"
    return (
        f"{local_time(a.started_at)}  {a.id}  {a.sport:<5} {a.distance_m / 1000:6.2f} km  "
        f"{_duration(a.duration_s)}  {_pace(a):>9}  {load}  {a.name}"
    )


def cmd_import(args: argparse.Namespace) -> int:
    bar = _Bar()
    with open_engine(args) as engine:
        try:
            report = engine.training.import_activities(args.path, skip_bad=args.skip_bad, progress=bar)
        finally:
            bar.end()
    if args.json:
        print_json(report)
        return EXIT_OK
    print(f"Imported {len(report.imported)} activit{'y' if len(report.imported) == 1 else 'ies'}.")
    if report.duplicates:
        print(f"Skipped {len(report.duplicates)} already in your profile:")
        for label in report.duplicates[:10]:
            print(f"  {label}")
    for bad in report.bad:
        print(f"Not imported: {bad.error}")
    return EXIT_OK


def cmd_strava_connect(args: argparse.Namespace) -> int:
    secret = os.environ.get(STRAVA_SECRET_ENV) or getpass.getpass("Strava client secret: ")
    with open_engine(args) as engine:
        extra = {"base_url": args.base_url} if args.base_url else {}
        athlete = engine.training.strava_connect(args.client_id, secret, args.code, **extra)
    print(f"Connected to Strava as athlete {athlete}. Bring in your runs with: lifeos activity strava-sync")
    return EXIT_OK


def cmd_strava_sync(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        report = engine.training.strava_sync()
    if args.json:
        print_json(report)
    else:
        print(f"Imported {len(report.imported)} from Strava; {len(report.duplicates)} already here.")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        found = engine.training.activities(since=args.since, until=args.until, limit=args.limit)
    if args.json:
        print_json(found)
    elif not found:
        print("No activities yet. Import some with: lifeos activity import FILE|DIR|ZIP")
    else:
        for a in found:
            print(_line(a))
        if any(a.estimated for a in found):
            print("* load estimated (no heart rate): from perceived exertion, pace or duration")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        detail = engine.training.activity(args.id)
    a = detail.activity
    if args.json:
        print_json(detail)
        return EXIT_OK
    print(f"# {a.name}\n{local_time(a.started_at)} · {a.sport} · {a.source} · {a.id}\n")
    print(f"Distance    {a.distance_m / 1000:.2f} km")
    print(f"Time        {_duration(a.duration_s)} (moving {_duration(a.moving_s)})  {_pace(a)}")
    if a.avg_hr is not None:
        print(f"Heart rate  {a.avg_hr:.0f} average, {a.max_hr:.0f} max")
    print(f"Climb       {a.elevation_gain_m:.0f} m")
    how = "Banister TRIMP from heart rate" if not a.estimated else f"estimated from {a.trimp_method}"
    print(f"Load        {a.trimp:.1f} ({how})")
    if detail.stream is not None:
        print(f"Stream      {len(detail.stream.t)} samples at 5 s")
    print(f"From        {a.source_file}")
    return EXIT_OK


def _acwr_line(label: str, status: LoadStatus, which: str) -> str:
    value = status.rolling if which == "rolling" else status.ewma
    ratio = f"{value.ratio:.2f}" if value.ratio is not None else "n/a"
    return (
        f"{label:<16} acute {value.acute:6.1f}  chronic {value.chronic:6.1f}  ACWR {ratio:>5}  ({value.zone})"
    )


def cmd_status(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        status = engine.training.load_status()
        goal = engine.training.goal_confidence()
        athlete = engine.training.athlete()
    if args.json:
        print_json({"load": status, "goal": goal, "athlete": athlete})
        return EXIT_OK
    print(
        f"Training on {status.day}: {status.history_days} days recorded, {status.activities} activities in 28 days"
    )
    print(_acwr_line("Rolling 7/28", status, "rolling"))
    print(_acwr_line("EWMA 7/28", status, "ewma"))
    print("Sweet spot 0.8-1.3; above 1.5 the injury risk rises.")
    if status.estimated:
        print(f"{status.estimated} of those activities have an estimated load (no heart rate).")
    if athlete.defaults:
        print(f"Using default {', '.join(athlete.defaults)}: set yours with lifeos training athlete.")
    if goal is None:
        print("No goal race: set one with lifeos training goal half 1:45:00 2027-04-18")
        return EXIT_OK
    c = goal.confidence
    predicted = f", predicted {_duration(c.predicted_s)}" if c.predicted_s else ""
    print(
        f"\nGoal {goal.goal.name} in {_duration(goal.goal.target_s)} on {goal.goal.race_day}: "
        f"confidence {c.score}/100{predicted}"
    )
    for reason in c.reasons:
        print(f"  {reason.points:+5.1f}  {reason.text}")
    print("History " + "  ".join(f"{d[5:]} {s}" for d, s in goal.history))
    return EXIT_OK


def cmd_goal(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        goal = engine.training.set_goal(args.distance, args.time, args.day)
    print(f"Goal set: {goal.name} in {_duration(goal.target_s)} on {goal.race_day.isoformat()}")
    return EXIT_OK


def cmd_athlete(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        athlete = engine.training.set_athlete(
            resting_hr=args.resting_hr, max_hr=args.max_hr, sex=args.sex, threshold_pace=args.threshold_pace
        )
    print(
        f"Resting {athlete.resting_hr:g}, max {athlete.max_hr:g} bpm, {athlete.sex}; "
        "every activity's load was recomputed."
    )
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        days = engine.training.daily_loads(args.days)
    if args.json:
        print_json(days)
        return EXIT_OK
    for d in days:
        load = "   -  " if d.load is None else f"{d.load:6.1f}"
        ratio = f"{d.ratio:.2f}" if d.ratio is not None else " n/a"
        ewma = f"{d.ewma_ratio:.2f}" if d.ewma_ratio is not None else " n/a"
        print(
            f"{d.day}  load {load}  acute {d.acute:6.1f}  chronic {d.chronic:6.1f}  ACWR {ratio}  EWMA {ewma}"
        )
    return EXIT_OK
