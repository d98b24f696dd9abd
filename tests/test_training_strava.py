"""Strava when online, against a loopback fake of Strava's API (testkit/strava_server.py): the
pasted code exchanged for tokens kept encrypted, a harvest with streams, rate limits honoured from
Strava's headers, expired and revoked tokens refreshed, webhook events, and no activity twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import StravaError, UsageError
from testkit.strava_server import FakeStrava, serve_strava
from testkit.training import ExportItem, SyntheticRun, strava_export
from tests.conftest import PASSPHRASE

TZ = timezone(timedelta(hours=1))
DAY = datetime(2026, 11, 2, 6, 0, tzinfo=TZ)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(DAY + timedelta(days=3, hours=4, minutes=7))  # 10:07


@pytest.fixture
def strava(clock: Clock) -> Iterator[FakeStrava]:
    fake = FakeStrava("client-7", "s3cret", 4242, now=lambda: clock.now.timestamp(), codes={"CODE-1"})
    fake.add_run(1001, DAY, 40, 330, hr=152)
    fake.add_run(1002, DAY + timedelta(days=1), 30, 300, hr=160)
    fake.add_run(1003, DAY + timedelta(days=2), 45, 360, hr=None)  # entered by hand: no streams
    with serve_strava(fake) as served:
        yield served


@pytest.fixture
def engine(tmp_path: Path, clock: Clock) -> Iterator[Engine]:
    with Engine.create(tmp_path / "p", PASSPHRASE, clock=clock, use_embedder=False) as eng:
        yield eng


def test_strava_fake_harvest_with_rate_limit_refresh_and_no_duplicates(
    engine: Engine, strava: FakeStrava, clock: Clock, tmp_path: Path
) -> None:
    with pytest.raises(StravaError, match="refused the authorisation"):
        engine.training.strava_connect("client-7", "s3cret", "WRONG", base_url=strava.url)
    assert engine.training.strava_connect("client-7", "s3cret", "CODE-1", base_url=strava.url) == "4242"
    token = next(iter(strava.access))
    assert token.encode() not in engine.paths.db.read_bytes()  # kept in the encrypted database
    assert "access_token" not in str(engine.training.strava_status())

    # The first API call is over the 15-minute limit: wait until the quarter hour (10:15, 8 min).
    strava.throttle = 1
    waits: list[float] = []
    report = engine.training.strava_sync(sleep=waits.append)
    assert waits == [8 * 60 - 0]
    assert sorted(a.source_id for a in report.imported) == ["1001", "1002", "1003"]
    by_id = {a.source_id: a for a in report.imported}
    assert by_id["1001"].trimp_method == "hr" and by_id["1001"].avg_hr == pytest.approx(152)
    assert by_id["1001"].distance_m == pytest.approx(1000 / 330 * 2400, rel=0.01)
    assert by_id["1003"].trimp_method == "pace" and by_id["1003"].duration_s == 2700
    assert len(engine.training.activity(by_id["1002"].id).stream.t) == 30 * 60 // 5 + 1  # type: ignore[union-attr]

    # Nothing new: the next harvest asks only for what started after the newest one.
    assert engine.training.strava_sync(sleep=waits.append).imported == []
    lists = [q for m, p, q in strava.log if p == "/api/v3/athlete/activities"]
    assert float(lists[-1]["after"]) == datetime(2026, 11, 4, 5, 0, tzinfo=UTC).timestamp()

    # Seven hours later the token has expired: it is refreshed before asking; a revoked one on a 401.
    clock.now += timedelta(hours=7)
    strava.add_run(1004, clock.now - timedelta(hours=1), 35, 320, hr=150)
    assert [a.source_id for a in engine.training.strava_sync(sleep=waits.append).imported] == ["1004"]
    strava.revoke_access()
    strava.add_run(1005, clock.now - timedelta(minutes=30), 20, 320, hr=150)
    assert [a.source_id for a in engine.training.strava_sync(sleep=waits.append).imported] == ["1005"]
    grants = [q["grant_type"] for m, p, q in strava.log if p == "/oauth/token"]
    assert grants == ["authorization_code", "authorization_code", "refresh_token", "refresh_token"]

    # The same activity from the bulk export is recognised by its Strava id.
    run = SyntheticRun(DAY, 40, 330)
    export = strava_export(tmp_path / "export.zip", [ExportItem("1001", run)])
    assert engine.training.import_activities(export).imported == []

    # A webhook event for a new activity brings it in; a deletion changes nothing.
    strava.add_run(1006, clock.now - timedelta(minutes=10), 25, 310, hr=155)
    event = {"object_type": "activity", "aspect_type": "create", "object_id": 1006, "owner_id": 4242}
    assert [a.source_id for a in engine.training.strava_event(event).imported] == ["1006"]
    assert engine.training.strava_event({**event, "aspect_type": "delete"}).imported == []
    assert engine.training.count() == 6

    # Over the daily limit: a clear error, nothing half-written.
    strava.daily_exhausted = True
    strava.add_run(1007, clock.now - timedelta(minutes=5), 25, 310, hr=155)
    with pytest.raises(StravaError, match="daily request limit is used up"):
        engine.training.strava_sync(sleep=waits.append)
    assert engine.training.count() == 6


def test_strava_needs_connecting_first(engine: Engine) -> None:
    with pytest.raises(UsageError, match="not connected"):
        engine.training.strava_sync()


def test_cli_connects_to_the_strava_fake_and_syncs(tmp_path: Path) -> None:
    import time

    from tests.conftest import run_cli

    home = str(tmp_path / "p")
    assert run_cli("--home", home, "init").returncode == 0
    fake = FakeStrava("client-7", "s3cret", 99, now=time.time, codes={"CODE-9"})
    fake.add_run(2001, datetime.now(TZ) - timedelta(days=1), 30, 320, hr=150)
    with serve_strava(fake):
        env = {"LIFEOS_STRAVA_SECRET": "s3cret"}
        args = ("--home", home, "activity", "strava-connect", "--client-id", "client-7", "--code", "CODE-9")
        connected = run_cli(*args, "--base-url", fake.url, env=env)
        assert connected.returncode == 0 and "athlete 99" in connected.stdout
        synced = run_cli("--home", home, "activity", "strava-sync")
        assert synced.returncode == 0 and "Imported 1 from Strava" in synced.stdout
        again = run_cli(
            "--home",
            home,
            "activity",
            "strava-connect",
            "--client-id",
            "client-7",
            "--code",
            "CODE-9",
            "--base-url",
            fake.url,
            env=env,
        )
        assert again.returncode == 4 and "refused the authorisation" in again.stderr


def test_webhook_subscription_check_answers_only_the_right_verify_token() -> None:
    from engine.training.strava import webhook_challenge

    params = {"hub.mode": "subscribe", "hub.verify_token": "lifeos-7", "hub.challenge": "15f7d1a91c1f40f8"}
    assert webhook_challenge(params, "lifeos-7") == {"hub.challenge": "15f7d1a91c1f40f8"}
    with pytest.raises(StravaError, match="wrong verify token"):
        webhook_challenge({**params, "hub.verify_token": "guess"}, "lifeos-7")
