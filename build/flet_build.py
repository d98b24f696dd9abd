"""Turn flet.toml into a `flet build` command line.

`flet build` downloads Flutter and platform SDKs, so it runs only on machines that can; here this
script prints the exact command (`--dry-run`, the default) so the settings stay checked in one place.

    python build/flet_build.py TARGET [--run]
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build_command(target: str, config: dict) -> list[str]:
    app = config["app"]
    known = [t for group in config["targets"].values() for t in group]
    if target not in known:
        raise SystemExit(f"unknown target {target!r}; flet.toml lists: {', '.join(known)}")
    cmd = [
        "flet",
        "build",
        target,
        str(REPO),
        "--product",
        app["product"],
        "--project",
        app["project"],
        "--org",
        app["org"],
        "--bundle-id",
        app["bundle_id"],
        "--description",
        app["description"],
        "--build-version",
        app["version"],
        "--build-number",
        str(app["build_number"]),
        "--module-name",
        app["module"],
        "--copyright",
        app["copyright"],
        "--no-cdn",
        "--output",
        str(REPO / "build" / "out" / target),
    ]
    permissions = config["permissions"]
    if permissions.get("cross_platform"):
        cmd += ["--permissions", *permissions["cross_platform"]]
    if permissions.get("android"):
        cmd += ["--android-permissions", *permissions["android"]]
    return cmd


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target")
    parser.add_argument("--run", action="store_true", help="run it (needs network for Flutter)")
    args = parser.parse_args()
    config = tomllib.loads((REPO / "flet.toml").read_text())
    cmd = build_command(args.target, config)
    print(shlex.join(cmd))
    if args.run:
        sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    main()
