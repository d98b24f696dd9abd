"""Putting `lifeos heartbeat run` into the OS's own scheduler, for the current user only.

Linux with systemd: a user service + timer (Persistent=true, so a missed slot runs at next boot).
Linux without systemd: one crontab line, marked so uninstall finds it. macOS: a launchd agent.
Windows: a Task Scheduler task via schtasks. `plan` is pure (what would be written and run), so
`--dry-run` and the tests see exactly what `apply` does.
"""

from __future__ import annotations

import platform
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import DataError, UsageError

KINDS = ("systemd", "cron", "launchd", "schtasks")
UNIT = "lifeos-heartbeat"
LAUNCHD_LABEL = "app.lifeos.heartbeat"
CRON_MARK = "# lifeos-heartbeat"


@dataclass(frozen=True)
class SchedulerPlan:
    kind: str
    files: dict[Path, str] = field(default_factory=dict)
    commands: list[list[str]] = field(default_factory=list)
    cron_line: str | None = None

    def describe(self) -> str:
        parts = [f"# scheduler: {self.kind}"]
        for path, text in self.files.items():
            parts += [f"# file: {path}", text.rstrip()]
        if self.cron_line:
            parts += ["# crontab line:", self.cron_line]
        parts += [f"# then: {shlex.join(c)}" for c in self.commands]
        return "\n".join(parts) + "\n"


def detect() -> str:
    system = platform.system()
    if system == "Darwin":
        return "launchd"
    if system == "Windows":
        return "schtasks"
    if shutil.which("systemctl") and Path("/run/systemd/system").is_dir():
        return "systemd"
    return "cron"


def plan(kind: str, user_home: Path, command: list[str], every_minutes: int = 30) -> SchedulerPlan:
    if kind not in KINDS:
        raise UsageError(f"unknown scheduler {kind!r}; one of: {', '.join(KINDS)}")
    if not 5 <= every_minutes <= 24 * 60:
        raise UsageError("the heartbeat runs every 5 minutes at the most often, once a day at the least")
    line = shlex.join(command)
    if kind == "systemd":
        # systemd expands %specifiers and $VARIABLES in ExecStart: a profile path holding either
        # would run another command than the one planned.
        exec_line = line.replace("%", "%%").replace("$", "$$")
        unit_dir = user_home / ".config" / "systemd" / "user"
        service = (
            "[Unit]\nDescription=LifeOS Coach heartbeat (memory upkeep and check-ins)\n\n"
            f"[Service]\nType=oneshot\nExecStart={exec_line}\nNice=10\n"
        )
        timer = (
            "[Unit]\nDescription=Run the LifeOS Coach heartbeat regularly\n\n"
            f"[Timer]\nOnBootSec=5min\nOnUnitActiveSec={every_minutes}min\nPersistent=true\n\n"
            "[Install]\nWantedBy=timers.target\n"
        )
        return SchedulerPlan(
            kind,
            {unit_dir / f"{UNIT}.service": service, unit_dir / f"{UNIT}.timer": timer},
            [
                ["systemctl", "--user", "daemon-reload"],
                ["systemctl", "--user", "enable", "--now", f"{UNIT}.timer"],
            ],
        )
    if kind == "cron":
        step = (
            f"*/{every_minutes} * * * *" if every_minutes < 60 else f"0 */{max(1, every_minutes // 60)} * * *"
        )
        # cron turns every unescaped % into a newline (the rest becomes the command's stdin).
        cron_command = line.replace("%", "\\%")
        return SchedulerPlan(kind, cron_line=f"{step} {cron_command} >/dev/null 2>&1 {CRON_MARK}")
    if kind == "launchd":
        args = "".join(f"    <string>{_xml(a)}</string>\n" for a in command)
        plist = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            '<plist version="1.0">\n<dict>\n'
            f"  <key>Label</key><string>{LAUNCHD_LABEL}</string>\n"
            f"  <key>ProgramArguments</key>\n  <array>\n{args}  </array>\n"
            f"  <key>StartInterval</key><integer>{every_minutes * 60}</integer>\n"
            "  <key>RunAtLoad</key><true/>\n  <key>ProcessType</key><string>Background</string>\n"
            "</dict>\n</plist>\n"
        )
        path = user_home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        return SchedulerPlan(kind, {path: plist}, [["launchctl", "load", "-w", str(path)]])
    task = subprocess.list2cmdline(command)
    return SchedulerPlan(
        kind,
        commands=[
            [
                "schtasks",
                "/Create",
                "/F",
                "/SC",
                "MINUTE",
                "/MO",
                str(every_minutes),
                "/TN",
                "LifeOS Coach heartbeat",
                "/TR",
                task,
            ]
        ],
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def apply(scheduler: SchedulerPlan, *, activate: bool = True) -> None:
    """Write the files; with `activate`, also tell the scheduler (systemctl, crontab, launchctl…)."""
    for path, text in scheduler.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not activate:
        return
    if scheduler.cron_line:
        _set_crontab([*_crontab_lines(), scheduler.cron_line])
    for command in scheduler.commands:
        _run(command)


def remove(kind: str, user_home: Path, *, activate: bool = True) -> list[Path]:
    """Undo `apply`; returns the files removed."""
    removed: list[Path] = []
    if kind == "systemd":
        if activate:
            _run(["systemctl", "--user", "disable", "--now", f"{UNIT}.timer"], check=False)
        unit_dir = user_home / ".config" / "systemd" / "user"
        for name in (f"{UNIT}.timer", f"{UNIT}.service"):
            if (unit_dir / name).exists():
                (unit_dir / name).unlink()
                removed.append(unit_dir / name)
    elif kind == "launchd":
        path = user_home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        if activate and path.exists():
            _run(["launchctl", "unload", "-w", str(path)], check=False)
        if path.exists():
            path.unlink()
            removed.append(path)
    elif kind == "cron" and activate:
        _set_crontab([line for line in _crontab_lines() if CRON_MARK not in line])
    elif kind == "schtasks" and activate:
        _run(["schtasks", "/Delete", "/F", "/TN", "LifeOS Coach heartbeat"], check=False)
    return removed


def _crontab_lines() -> list[str]:
    if not shutil.which("crontab"):
        raise DataError("there is no crontab command on this system; install cron or use systemd")
    result = subprocess.run(["crontab", "-l"], capture_output=True, text=True, timeout=30)
    lines = result.stdout.splitlines() if result.returncode == 0 else []
    return [line for line in lines if CRON_MARK not in line]


def _set_crontab(lines: list[str]) -> None:
    subprocess.run(["crontab", "-"], input="\n".join(lines) + "\n", text=True, check=True, timeout=30)


def _run(command: list[str], *, check: bool = True) -> None:
    if not shutil.which(command[0]):
        raise DataError(f"{command[0]} is not available here; the files were written, activate them by hand")
    try:
        subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)
    except subprocess.CalledProcessError as exc:
        raise DataError(f"{shlex.join(command)} failed: {(exc.stderr or exc.stdout).strip()[:200]}") from exc
