"""`lifeos heartbeat …` and `lifeos inbox …`: scheduled upkeep and check-ins from a terminal.

`heartbeat run` is what the OS scheduler calls: it unlocks with `LIFEOS_PASSPHRASE` when set, else
with the unattended key that `heartbeat install` sets up, else it asks (in a terminal).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from app import passphrase
from app.cli_common import EXIT_OK, home_of, local_time, open_engine, positive_int, print_json
from engine.api import Engine, scheduler, unattended_enabled
from engine.types import HeartbeatReport


def register(subparsers: Any) -> None:
    hb = subparsers.add_parser("heartbeat", help="scheduled memory upkeep and proactive check-ins")
    hb_sub = hb.add_subparsers(dest="heartbeat_command", metavar="ACTION", required=True)
    p = hb_sub.add_parser("run", help="run the roles that are due (what the OS scheduler calls)")
    p.add_argument(
        "--role", action="append", choices=["synthesis", "extract", "checkins", "index", "reflection"]
    )
    p.add_argument("--force", action="store_true", help="run even if not due")
    p.add_argument("--quiet", action="store_true", help="print nothing unless something was delivered")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_run)
    p = hb_sub.add_parser("status", help="each role's schedule, last and next run")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)
    p = hb_sub.add_parser("install", help="run the heartbeat from the OS scheduler for this user")
    p.add_argument(
        "--scheduler", choices=["systemd", "cron", "launchd", "schtasks"], help="default: detected"
    )
    p.add_argument("--every", type=positive_int, default=30, metavar="MINUTES")
    p.add_argument("--dry-run", action="store_true", help="print what would be written, change nothing")
    p.add_argument("--no-activate", action="store_true", help="write the files but do not load them")
    p.set_defaults(handler=cmd_install)
    p = hb_sub.add_parser("uninstall", help="remove the OS scheduler entry and the unattended key")
    p.add_argument("--scheduler", choices=["systemd", "cron", "launchd", "schtasks"])
    p.add_argument("--no-activate", action="store_true")
    p.set_defaults(handler=cmd_uninstall)
    p = hb_sub.add_parser("config", help="active hours, quiet hours, check-in rhythm per coach")
    p.add_argument("--active", metavar="H-H[,H-H]", help="e.g. 7-9,19-22; 'learn' to learn them again")
    p.add_argument("--quiet-hours", metavar="H-H", help="e.g. 22-7; 'none' to turn off")
    p.add_argument("--coach", action="append", metavar="ID=FREQ", help="daily, weekly, biweekly or off")
    p.set_defaults(handler=cmd_config)

    inbox = subparsers.add_parser("inbox", help="check-ins from your coaches")
    inbox_sub = inbox.add_subparsers(dest="inbox_command", metavar="ACTION")
    inbox.add_argument("--all", action="store_true", help="include done items")
    inbox.add_argument("--json", action="store_true")
    inbox.set_defaults(handler=cmd_inbox)
    p = inbox_sub.add_parser("done", help="mark a check-in done")
    p.add_argument("id")
    p.set_defaults(handler=cmd_inbox_done)
    p = inbox_sub.add_parser("snooze", help="hide a check-in for a while")
    p.add_argument("id")
    p.add_argument("--hours", type=positive_int, default=3)
    p.set_defaults(handler=cmd_inbox_snooze)


def _open_for_heartbeat(args: argparse.Namespace) -> Engine:
    home = home_of(args)
    interactive = bool(sys.stdin and sys.stdin.isatty())
    if os.environ.get(passphrase.ENV_PASSPHRASE) is None and (unattended_enabled(home) or not interactive):
        return Engine.open_unattended(home)
    return open_engine(args)


def _print_report(report: HeartbeatReport, quiet: bool) -> None:
    if quiet and not report.delivered:
        return
    for r in report.results:
        mark = "ran " if r.ran else "idle"
        extra = f" — sent: {', '.join(r.delivered)}" if r.delivered else ""
        print(f"{r.role:<10} {mark}  {r.reason}{extra}")


def cmd_run(args: argparse.Namespace) -> int:
    with _open_for_heartbeat(args) as engine:
        report = engine.heartbeat.run(roles=args.role, force=args.force)
        synced = engine.sync.background()  # no-op unless sync is set up; a failure shows in sync status
    print_json(report) if args.json else _print_report(report, args.quiet)
    if synced is not None and not args.quiet and not args.json:
        print(f"sync: sent {synced.pushed}, received {synced.pulled}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        rows = engine.heartbeat.status()
    if args.json:
        print_json(rows)
        return EXIT_OK
    for s in rows:
        last = local_time(s.last_run) if s.last_run else "never"
        lock = f"  (running: {s.locked_by})" if s.locked_by else ""
        print(
            f"{s.role:<10} {s.schedule:<14} last {last:<16} next {local_time(s.next_run)}{lock}\n    {s.description}"
        )
    return EXIT_OK


def _command(home: Path) -> list[str]:
    return [sys.executable, "-m", "app.cli", "--home", str(home), "heartbeat", "run", "--quiet"]


def cmd_install(args: argparse.Namespace) -> int:
    home = home_of(args)
    kind = args.scheduler or scheduler.detect()
    plan = scheduler.plan(kind, Path.home(), _command(home), args.every)
    if args.dry_run:
        print(plan.describe(), end="")
        return EXIT_OK
    if not Engine.exists(home):
        from engine.errors import ProfileNotFound

        raise ProfileNotFound(f"no profile in {home}; create one with `lifeos --home {home} init`")
    secret = Engine.enable_unattended(home, passphrase.ask())
    scheduler.apply(plan, activate=not args.no_activate)
    print(f"Heartbeat installed with {kind}, every {args.every} minutes.")
    for path in plan.files:
        print(f"  wrote {path}")
    print(f"  unattended key: {secret} (only this user can read it; `lifeos heartbeat uninstall` removes it)")
    return EXIT_OK


def cmd_uninstall(args: argparse.Namespace) -> int:
    kind = args.scheduler or scheduler.detect()
    removed = scheduler.remove(kind, Path.home(), activate=not args.no_activate)
    Engine.disable_unattended(home_of(args))
    print(f"Heartbeat removed from {kind}." + "".join(f"\n  removed {p}" for p in removed))
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        if args.active:
            engine.heartbeat.set_active_hours(None if args.active == "learn" else args.active)
        if args.quiet_hours:
            engine.heartbeat.set_quiet_hours(None if args.quiet_hours == "none" else args.quiet_hours)
        for item in args.coach or []:
            coach_id, _, frequency = item.partition("=")
            engine.heartbeat.set_checkin_frequency(coach_id, frequency)
        quiet = engine.heartbeat.quiet_hours()
        print("Active hours: " + (", ".join(str(w) for w in engine.heartbeat.checkin_hours()) or "learning"))
        print(f"Quiet hours:  {quiet if quiet else 'none'}")
    return EXIT_OK


def cmd_inbox(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        items = engine.heartbeat.inbox(include_done=args.all)
    if args.json:
        print_json(items)
    elif not items:
        print("Your inbox is empty.")
    else:
        for i in items:
            state = " (done)" if i.done_at else ""
            print(
                f"{local_time(i.created_at)}  {i.title}{state}\n    {i.body}\n    why: {i.reason}   [{i.id}]"
            )
    return EXIT_OK


def cmd_inbox_done(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        engine.heartbeat.mark_done(args.id)
    print("Marked done.")
    return EXIT_OK


def cmd_inbox_snooze(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        until = engine.clock() + timedelta(hours=args.hours)
        engine.heartbeat.snooze(args.id, until)
    print(f"Snoozed until {until:%Y-%m-%d %H:%M}.")
    return EXIT_OK
