"""Is this device on mains power? Fact extraction waits for it on laptops, where the OS can say.

Linux: /sys/class/power_supply (a "Mains" supply online, or no battery at all). macOS: `pmset -g
batt`. Elsewhere, or when the OS cannot say, the answer is "unknown" and the role runs: a desktop
without a battery must not wait forever.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path
from typing import Literal

PowerState = Literal["mains", "battery", "unknown"]
SYSFS = Path("/sys/class/power_supply")


def power_state(sysfs: Path = SYSFS) -> PowerState:
    system = platform.system()
    if system == "Linux":
        return _linux(sysfs)
    if system == "Darwin" and shutil.which("pmset"):
        try:
            out = subprocess.run(["pmset", "-g", "batt"], capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return "unknown"
        if "AC Power" in out:
            return "mains"
        if "Battery Power" in out:
            return "battery"
    return "unknown"


def _linux(sysfs: Path) -> PowerState:
    if not sysfs.is_dir():
        return "unknown"
    has_battery = False
    for supply in sysfs.iterdir():
        kind = _read(supply / "type")
        if kind == "Mains" and _read(supply / "online") == "1":
            return "mains"
        if kind == "Battery":
            has_battery = True
    return "battery" if has_battery else "mains"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
