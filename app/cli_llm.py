"""`lifeos llm list|add|use|remove|show`: the on-device language models of the `local` reasoner.

`list`, `add`, `remove` and `show` touch only the profile's `models/llm/` folder, so they ask for no
passphrase; `use` changes the chat's reasoner setting, kept in the encrypted profile, so it opens it.
Nothing is downloaded except by `add NAME`; `add FILE.gguf` imports a file already on the device.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from app.cli_common import EXIT_OK, home_of, open_engine, print_json
from engine.errors import NotFound, UsageError

if TYPE_CHECKING:
    from engine.llm.catalog import CatalogEntry
    from engine.llm.manager import InstalledModel


def register(subparsers: Any) -> None:
    llm = subparsers.add_parser("llm", help="on-device language models for the local reasoner")
    sub = llm.add_subparsers(dest="llm_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", help="the recommended models and the installed ones")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("add", help="download a catalog model (verified) or import a .gguf file")
    p.add_argument("model", help="a name from `lifeos llm list`, or a path to a .gguf file")
    p.add_argument("--name", help="the name to install an imported file under (default: its file name)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("use", help="let the coaches answer with an installed model (--off: offline replies)")
    p.add_argument("model", nargs="?", help="an installed model")
    p.add_argument("--off", action="store_true", help="go back to the grounded (offline) replies")
    p.set_defaults(handler=cmd_use)

    p = sub.add_parser("remove", help="delete an installed model")
    p.add_argument("model")
    p.set_defaults(handler=cmd_remove)

    p = sub.add_parser("show", help="details of a model: file, checksum, licence, context, memory")
    p.add_argument("model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)


def _manager(args: argparse.Namespace) -> Any:
    from engine.api import local_model_manager

    return local_model_manager(home_of(args))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


def cmd_list(args: argparse.Namespace) -> int:
    manager = _manager(args)
    installed = manager.installed()
    if args.json:
        print_json({"installed": installed, "catalog": list(manager.catalog)})
        return EXIT_OK
    names = {m.name for m in installed}
    print("Installed:" if installed else "No local model installed yet.")
    for m in installed:
        template = "chat template" if m.chat_template else "no chat template (plain format)"
        print(f"  {m.name:<26} {_mb(m.size_bytes):>9}  {m.context_length:>7,} ctx  {template}")
    print("\nCatalog (downloaded only with `lifeos llm add NAME`):")
    for e in manager.catalog:
        mark = "installed" if e.name in names else ""
        kind = "" if e.instruct else " [base model, for tests]"
        print(f"  {e.name:<26} {_mb(e.size_bytes):>9}  {e.licence:<28} {mark}{kind}")
    print("\nChoose one with `lifeos llm use NAME`; replies stay offline (grounded) until you do.")
    return EXIT_OK


class _ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done != total:
            return
        self.last = now
        if total:
            share = done / total
            bar = "#" * int(share * 30)
            text = f"\r{self.label} [{bar:<30}] {share:6.1%}  {_mb(done)} of {_mb(total)}"
        else:
            text = f"\r{self.label} {_mb(done)}"
        print(text, end="", file=sys.stderr, flush=True)
        self.shown = True

    def end(self) -> None:
        if self.shown:
            print(file=sys.stderr)


def cmd_add(args: argparse.Namespace) -> int:
    bar = _ProgressBar(f"Adding {args.model}")
    try:
        model = _manager(args).add(args.model, progress=bar, name=args.name)
    finally:
        bar.end()
    if args.json:
        print_json(model)
        return EXIT_OK
    print(f"Installed {model.name} ({_mb(model.size_bytes)}, SHA-256 {model.sha256[:16]}…), verified.")
    print(f"Use it for the coaches' replies with: lifeos llm use {model.name}")
    return EXIT_OK


def cmd_use(args: argparse.Namespace) -> int:
    if args.off == bool(args.model):
        raise UsageError("name an installed model, or give --off to go back to offline replies")
    with open_engine(args) as engine:
        if args.off:
            engine.llm.stop_using()
            print("The coaches answer offline again (grounded replies); the models stay installed.")
            return EXIT_OK
        engine.llm.use(args.model)
    print(f"The coaches now answer with {args.model}, on this device. If it cannot load or answer in time,")
    print("the reply comes from the grounded reasoner and says so.")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    model = _manager(args).remove(args.model)
    print(f"Removed {model.name} ({_mb(model.size_bytes)} freed).")
    print("If the chat was using it, replies fall back to offline until you choose another model.")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    manager = _manager(args)
    installed: InstalledModel | None
    try:
        installed = manager.get(args.model)
    except NotFound:
        installed = None
    entry: CatalogEntry | None = next((e for e in manager.catalog if e.name == args.model), None)
    if installed is None and entry is None:
        raise NotFound(f"no model {args.model!r} is installed or in the catalog (see `lifeos llm list`)")
    estimate = manager.estimated_bytes(installed.name) if installed is not None else None
    if args.json:
        print_json({"installed": installed, "catalog": entry, "estimated_memory_bytes": estimate})
        return EXIT_OK
    if installed is not None:
        print(f"{installed.name}  (installed {installed.added_at})")
        print(f"  file        {installed.file}")
        print(f"  size        {_mb(installed.size_bytes)}")
        print(f"  SHA-256     {installed.sha256}")
        print(f"  from        {installed.origin}")
        print(f"  licence     {installed.licence}")
        print(f"  model       {installed.architecture}, {installed.context_length:,}-token context")
        print(
            f"  prompt      {'its chat template' if installed.chat_template else 'plain format (no chat template)'}"
        )
        if estimate:
            print(
                f"  memory      about {_mb(estimate)} when loaded (4,096-token context, in its own process)"
            )
    if entry is not None:
        if installed is None:
            print(f"{entry.name}  (not installed; `lifeos llm add {entry.name}` downloads it)")
        print(f"  title       {entry.title}")
        print(f"  url         {entry.url}")
        print(f"  licence     {entry.licence}, {entry.context_length:,}-token context")
        print(f"  checksum    {entry.sha256 or 'the SHA-256 the host publishes, checked before use'}")
        if entry.note:
            print(f"  note        {entry.note}")
    return EXIT_OK
