"""Devices of one coachee for sync tests and benchmarks: real profiles joined through real pairing."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.api import Engine
from engine.types import KdfParams

PASSPHRASE = "correct horse battery staple"
FAST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024)


def new_device(home: Path) -> Engine:
    return Engine.create(home, PASSPHRASE, kdf=FAST_KDF, use_embedder=False)


def open_device(home: Path) -> Engine:
    return Engine.open(home, PASSPHRASE, use_embedder=False)


def pair(first: Engine, second: Engine, *, timeout_s: float = 30.0) -> None:
    """Pair `second` into `first`'s account the way two people's devices do: code shown, code typed."""
    offer = first.sync.pair()
    errors: list[BaseException] = []

    def finish() -> None:
        try:
            first.sync.pair_finish(offer.code, timeout_s=timeout_s)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    waiter = threading.Thread(target=finish)
    waiter.start()
    try:
        second.sync.join(offer.code, server=first.sync.status().server, timeout_s=timeout_s)
    finally:
        waiter.join(timeout=timeout_s + 5)
    if errors:
        raise errors[0]


def account(homes: list[Path], server: str) -> list[Engine]:
    """New profiles in `homes`, the first setting up the account on `server`, the others paired in."""
    devices = [new_device(h) for h in homes]
    devices[0].sync.setup(server)
    for device in devices[1:]:
        pair(devices[0], device)
    return devices
