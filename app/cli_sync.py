"""`lifeos sync …`: end-to-end-encrypted sync between your own devices, from a terminal.

lifeos sync setup --server URL     create an account on a server, this device first
lifeos sync pair [--json]          show a one-time code (and QR link) for another device, wait
lifeos sync join CODE [--server]   join the account of the device showing CODE
lifeos sync now                    push this device's edits, pull and apply everyone else's
lifeos sync status [--json]        server, account, what waits to be sent, last sync, problems
lifeos sync devices [--json]       the account's devices (revoked ones marked)
lifeos sync revoke DEVICE          revoke a device and rotate the account key
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli_common import EXIT_OK, local_time, open_engine, positive_int, print_json
from engine.types import SyncReport


def register(subparsers: Any) -> None:
    sync = subparsers.add_parser("sync", help="end-to-end-encrypted sync between your devices")
    sub = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    p = sub.add_parser("setup", help="create a sync account on a server, with this device as the first")
    p.add_argument("--server", required=True, metavar="URL", help="e.g. http://127.0.0.1:8600")
    p.set_defaults(handler=cmd_setup)
    p = sub.add_parser("pair", help="show a one-time code for another device and wait for it to join")
    p.add_argument("--json", action="store_true", help='print {"code": …, "uri": …} on one line, then wait')
    p.add_argument("--timeout", type=positive_int, default=600, metavar="SECONDS")
    p.add_argument("--qr", action="store_true", help="also draw the QR code in the terminal")
    p.set_defaults(handler=cmd_pair)
    p = sub.add_parser("join", help="join the account of the device showing CODE")
    p.add_argument("code", help="ABCD-EFGH-JKMN, or the lifeos-pair: link from the QR code")
    p.add_argument("--server", metavar="URL", help="needed with a typed code (the QR link names it)")
    p.add_argument("--timeout", type=positive_int, default=600, metavar="SECONDS")
    p.set_defaults(handler=cmd_join)
    p = sub.add_parser("now", help="sync now: push this device's edits, pull everyone else's")
    p.add_argument("--page", type=positive_int, help="changes per request (smaller on a poor network)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_now)
    p = sub.add_parser("status", help="server, account, pending edits, last sync and any problem")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)
    p = sub.add_parser("devices", help="the devices of this sync account")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_devices)
    p = sub.add_parser("revoke", help="revoke a device (and rotate the account key)")
    p.add_argument("device")
    p.add_argument("--no-rotate", action="store_true", help="revoke without rotating the key")
    p.set_defaults(handler=cmd_revoke)
    p = sub.add_parser("rotate-key", help="a new account key for every active device; old blobs re-sealed")
    p.set_defaults(handler=cmd_rotate)


def cmd_setup(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        status = engine.sync.setup(args.server)
    print(f"Sync account {status.account_id} created on {status.server}; this device is {status.device_id}.")
    print("Add another device with: lifeos sync pair")
    return EXIT_OK


def cmd_pair(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        offer = engine.sync.pair()
        if args.json:
            print_json_line({"code": offer.code, "uri": offer.uri, "expires_at": offer.expires_at})
        else:
            print(
                f"On the other device run:  lifeos sync join {offer.code} --server {engine.sync.status().server}"
            )
            print("or scan the QR code in Settings → Sync. The code works once, for 10 minutes.")
            if args.qr:
                import segno

                segno.make(offer.uri, error="m").terminal(compact=True)
            print("Waiting for the other device…", flush=True)
        joined = engine.sync.pair_finish(offer.code, timeout_s=args.timeout)
    if args.json:
        print_json_line({"joined": joined})
    else:
        print(f"Device {joined} joined this account.")
    return EXIT_OK


def print_json_line(value: dict[str, Any]) -> None:
    import json

    print(json.dumps(value), flush=True)


def cmd_join(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        status = engine.sync.join(args.code, server=args.server, timeout_s=args.timeout)
    print(f"Joined sync account {status.account_id} on {status.server}. Run `lifeos sync now` to sync.")
    return EXIT_OK


class _Bar:
    """A one-line progress bar on stderr for the first (long) sync."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet or not sys.stderr.isatty()
        self.shown = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.quiet:
            return
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{phase:>5} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        self.shown = True

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def cmd_now(args: argparse.Namespace) -> int:
    bar = _Bar(args.quiet or args.json)
    with open_engine(args) as engine:
        if args.page:
            engine.sync.push_page = engine.sync.pull_page = args.page
        try:
            report = engine.sync.now(progress=bar)
        finally:
            bar.end()
    if args.json:
        print_json(report)
    elif not args.quiet:
        print(_report_line(report))
    return EXIT_OK


def _report_line(report: SyncReport) -> str:
    parts = [f"sent {report.pushed}", f"received {report.pulled}", f"applied {report.applied}"]
    if report.kept_as_history:
        parts.append(f"{report.kept_as_history} kept as history")
    if report.rejected:
        parts.append(f"{report.rejected} REJECTED (altered on the server; see lifeos sync status)")
    return "Synced: " + ", ".join(parts) + f" in {report.seconds:.1f} s"


def cmd_status(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        status = engine.sync.status()
    if args.json:
        print_json(status)
        return EXIT_OK
    if not status.configured:
        print("Sync is off. Set it up with: lifeos sync setup --server URL  (or join: lifeos sync join CODE)")
        return EXIT_OK
    print(f"server   {status.server}")
    print(f"account  {status.account_id}")
    print(f"device   {status.device_id}")
    print(f"pending  {status.pending} changed rows not yet sent")
    print(f"last     {local_time(status.last_sync) if status.last_sync else 'never'}")
    if status.history:
        print(f"history  {status.history} versions kept after conflicts")
    if status.last_error:
        print(f"problem  {status.last_error}")
    for rejected in status.rejected:
        print(f"rejected blob {rejected['seq']}: {rejected['error']}")
    return EXIT_OK


def cmd_devices(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        devices = engine.sync.devices()
    if args.json:
        print_json(devices)
        return EXIT_OK
    for device in devices:
        marks = " (this device)" if device.this_device else ""
        marks += f" REVOKED {device.revoked_at}" if device.revoked_at else ""
        print(f"{device.device_id}  added {device.added_at}{marks}")
    return EXIT_OK


def cmd_revoke(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        rewrapped = engine.sync.revoke(args.device, rotate=not args.no_rotate)
    print(
        f"Revoked {args.device}."
        + (f" New account key; {rewrapped} blobs re-sealed." if not args.no_rotate else "")
    )
    return EXIT_OK


def cmd_rotate(args: argparse.Namespace) -> int:
    bar = _Bar(False)
    with open_engine(args) as engine:
        try:
            rewrapped = engine.sync.rotate_key(progress=bar)
        finally:
            bar.end()
        key_id = engine.sync.status().key_id
    print(
        f"New account key {key_id}; {rewrapped} blobs re-sealed. Other devices pick it up at their next sync."
    )
    return EXIT_OK
