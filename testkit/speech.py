"""Real speech for the tests: a memo spoken by espeak-ng, re-encoded as phones record it.

espeak-ng is a Debian package that `make test` installs; where it is missing a test is skipped
locally and fails on CI, so a CI run can never pass without having heard anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def speak(path: Path, text: str) -> Path:
    """``text`` spoken at a calm pace into a WAV at ``path``."""
    if shutil.which("espeak-ng") is None:
        message = "espeak-ng is not installed (Debian package 'espeak-ng': apt-get install espeak-ng)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    subprocess.run(["espeak-ng", "-s", "140", "-w", str(path), text], check=True, capture_output=True)
    return path


def reencode(source: Path, target: Path, codec: str) -> Path | None:
    """Re-encode a WAV with PyAV (the FFmpeg inside faster-whisper's dependency); None if this
    build of FFmpeg has no encoder for ``codec``."""
    import av

    try:
        with av.open(str(source)) as src, av.open(str(target), "w") as dst:
            stream = dst.add_stream(codec, rate=48000 if codec == "libopus" else 44100)
            resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=stream.rate)
            for frame in src.decode(audio=0):
                for out in resampler.resample(frame):
                    dst.mux(stream.encode(out))
            for out in resampler.resample(None):
                dst.mux(stream.encode(out))
            dst.mux(stream.encode(None))
    except (av.error.FFmpegError, ValueError) as exc:
        print(f"no {codec} encoder here: {exc}")
        return None
    return target
