"""`engine.training`: activities in (files, Strava exports), training load and goal confidence out.

The science lives in `science.py` as pure functions; this part feeds them from the encrypted
database and the profile's settings (the athlete's heart rates and sex, the goal race). A load is
stored with each activity so that ACWR over years is one grouped query; when the athlete's heart
rates change, every activity's load is recomputed from its stored stream in one transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.clock import iso_utc, new_id
from engine.errors import NotFound, StravaError, UsageError
from engine.session import Part, Session, guarded
from engine.settings import Setting, Settings, json_setting
from engine.training import reflection as reflection_mod
from engine.training import science, sources
from engine.training import store as store_mod
from engine.training.store import Activity
from engine.training.streams import Stream, downsample, summarise

ATHLETE: Setting[dict[str, Any]] = json_setting("training.athlete", {})
if TYPE_CHECKING:
    from engine.training.strava import StravaClient, Tokens

STRAVA_URL = "https://www.strava.com"  # the API module (and httpx) load only when Strava is used
STRAVA: Setting[dict[str, Any] | None] = json_setting("training.strava", None)  # tokens: in the encrypted DB
GOAL: Setting[dict[str, Any] | None] = json_setting("training.goal", None)
DEFAULT_RESTING_HR = 60.0
DEFAULT_MAX_HR = 190.0
DEFAULT_THRESHOLD_MPS = 1000 / 300  # 5:00 per km, when neither a threshold pace nor a goal is set
FASTEST_PACE_S_PER_KM = 150  # 2:30 per km: faster than every road world record
DURATION_ONLY_HRR = 0.55  # an activity known only by its length: a moderate effort
RACE_DISTANCES = {
    "5k": 5000.0,
    "10k": 10000.0,
    "half": 21097.5,
    "half marathon": 21097.5,
    "marathon": 42195.0,
}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Athlete:
    resting_hr: float
    max_hr: float
    sex: science.Sex
    threshold_pace_s_per_km: float | None
    defaults: list[str]  # which values are defaults, not the coachee's own


@dataclass(frozen=True)
class ImportReport:
    imported: list[Activity]
    duplicates: list[str]  # labels of files or rows already in the profile (or twice in the source)
    bad: list[sources.Bad]


@dataclass(frozen=True)
class ActivityDetail:
    activity: Activity
    stream: Stream | None


@dataclass(frozen=True)
class DayLoad:
    day: str
    load: float | None  # None: nothing known about this day
    acute: float
    chronic: float
    ratio: float | None  # rolling ACWR
    ewma_ratio: float | None


@dataclass(frozen=True)
class LoadStatus:
    """Today's acute and chronic load and both ACWR variants, with what they rest on."""

    day: str
    rolling: science.Acwr
    ewma: science.Acwr
    activities: int
    estimated: int  # how many of the last 28 days' activities carry an estimated load
    history_days: int  # days since the first activity (0 when none)


@dataclass(frozen=True)
class GoalStatus:
    goal: science.Goal
    confidence: science.GoalConfidence
    history: list[tuple[str, int]] = field(default_factory=list)  # (day, score), oldest first


@dataclass(frozen=True)
class LoadSpike:
    """ACWR above 1.5: what the heartbeat turns into a rest-day check-in, once per spike."""

    day: str
    since: str  # the first day of this spike (the check-in's dedupe key)
    ratio: float
    ewma_ratio: float | None
    acute: float
    chronic: float


def parse_duration(text: str) -> float:
    """'1:45:00', '45:30' or '6300' (seconds) → seconds."""
    parts = text.strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise UsageError(f"time {text!r} should look like 1:45:00") from None
    if len(numbers) > 3 or any(n < 0 for n in numbers):
        raise UsageError(f"time {text!r} should look like 1:45:00")
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    if seconds <= 0:
        raise UsageError("a target time must be longer than zero")
    return seconds


def parse_distance(text: str) -> tuple[str, float]:
    """'half', 'marathon', '10k', '21.1km' or '5000m' → (name, metres)."""
    low = text.strip().lower()
    if low in RACE_DISTANCES:
        name = "the half marathon" if low.startswith("half") else f"the {low}"
        return name, RACE_DISTANCES[low]
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(km|k|m|mi)?", low)
    if not found:
        raise UsageError(f"distance {text!r}: use 5k, 10k, half, marathon, 21.1km or 5000m")
    value = float(found.group(1))
    unit = found.group(2) or "km"
    metres = value * {"km": 1000, "k": 1000, "m": 1, "mi": 1609.344}[unit]
    if metres < 400:
        raise UsageError(f"distance {text!r} is too short for a race goal")
    return f"{metres / 1000:g} km", metres


@guarded
class Training(Part):
    def __init__(self, session: Session, settings: Settings) -> None:
        super().__init__(session)
        self._settings = settings

    # -- the athlete and the goal --------------------------------------------------------------

    def athlete(self) -> Athlete:
        data = self._settings.get(ATHLETE)
        defaults = [k for k in ("resting_hr", "max_hr", "sex") if k not in data]
        return Athlete(
            float(data.get("resting_hr", DEFAULT_RESTING_HR)),
            float(data.get("max_hr", DEFAULT_MAX_HR)),
            data.get("sex", "male"),
            data.get("threshold_pace_s_per_km"),
            defaults,
        )

    def set_athlete(
        self,
        *,
        resting_hr: float | None = None,
        max_hr: float | None = None,
        sex: str | None = None,
        threshold_pace: str | None = None,
    ) -> Athlete:
        """Change the heart rates, sex or threshold pace, and recompute every activity's load with them."""
        data = dict(self._settings.get(ATHLETE))
        if resting_hr is not None:
            data["resting_hr"] = float(resting_hr)
        if max_hr is not None:
            data["max_hr"] = float(max_hr)
        if sex is not None:
            if sex not in science.SEX_FACTOR:
                raise UsageError(f"sex must be one of: {', '.join(science.SEX_FACTOR)}")
            data["sex"] = sex
        if threshold_pace is not None:
            data["threshold_pace_s_per_km"] = parse_duration(threshold_pace)
        rest = float(data.get("resting_hr", DEFAULT_RESTING_HR))
        top = float(data.get("max_hr", DEFAULT_MAX_HR))
        if not (25 <= rest < top <= 240):
            raise UsageError(f"resting heart rate {rest:g} must be below max heart rate {top:g} (25-240)")
        with self._s.db.atomic():
            self._settings.set(ATHLETE, data)
            self._recompute_loads()
        return self.athlete()

    def goal(self) -> science.Goal | None:
        data = self._settings.get(GOAL)
        if not data:
            return None
        return science.Goal(
            data["name"],
            float(data["distance_m"]),
            float(data["target_s"]),
            date.fromisoformat(data["race_day"]),
        )

    def set_goal(self, distance: str, target_time: str, race_day: str) -> science.Goal:
        name, metres = parse_distance(distance)
        seconds = parse_duration(target_time)
        if target_time.count(":") == 1 and seconds / (metres / 1000) < FASTEST_PACE_S_PER_KM:
            seconds *= 60  # "1:45" for a half marathon means 1 h 45 min, not 1 min 45 s
        if seconds / (metres / 1000) < FASTEST_PACE_S_PER_KM:
            raise UsageError(f"{target_time} for {name} would be faster than any human has run it")
        try:
            day = date.fromisoformat(race_day)
        except ValueError:
            raise UsageError(f"race day {race_day!r} should look like 2027-04-18") from None
        if day < self._today():
            raise UsageError(f"race day {day.isoformat()} has already passed")
        with self._s.db.atomic():
            self._settings.set(
                GOAL, {"name": name, "distance_m": metres, "target_s": seconds, "race_day": day.isoformat()}
            )
            self._recompute_loads()  # pace-estimated loads follow the goal's threshold pace
        goal = self.goal()
        assert goal is not None
        return goal

    # -- activities ----------------------------------------------------------------------------

    def import_activities(
        self, path: str | Path, *, skip_bad: bool = False, progress: Progress | None = None
    ) -> ImportReport:
        """Import a GPX/TCX/FIT file, a folder of them, or a Strava export ZIP, all or nothing.

        An activity already in the profile — the same file, the same Strava id, or the same run
        recorded by another device (start within two minutes, duration within 5 %) — is reported
        as a duplicate and not stored twice."""
        db = self._s.db
        with db.lock:
            stored = store_mod.all_hashes(db.conn)

        def step(done: int, total: int) -> None:
            self._s.check_open()  # a safe point per file: a lock waits one file, not the whole folder
            if progress is not None:
                progress(done, total)

        candidates, bad = sources.read_source(
            Path(path), skip_bad=skip_bad, progress=step, known=stored.__contains__
        )
        return self._store(candidates, bad)

    def activities(
        self, *, since: str | None = None, until: str | None = None, limit: int = 50
    ) -> list[Activity]:
        """Activities newest first; `since`/`until` are local dates (inclusive)."""
        if limit < 1:
            raise UsageError("limit must be at least 1")
        db = self._s.db
        with db.lock:
            if since is None and until is None:
                return store_mod.latest(db.conn, limit)
            first = _day(since, "since") if since else "0000-01-01"
            last = _day(until, "until") if until else "9999-12-31"
            if first > last:
                raise UsageError(f"since {first} is after until {last}")
            return store_mod.between(db.conn, first, last, limit)

    def activity(self, activity_id: str) -> ActivityDetail:
        """One activity with its 5-second stream (a unique start of its id is enough)."""
        if len(activity_id.strip()) < 4:
            raise UsageError("give at least 4 characters of the activity id")
        db = self._s.db
        with db.lock:
            found = store_mod.by_id(db.conn, activity_id.strip())
        if not found:
            raise NotFound(f"no activity {activity_id!r}")
        if len(found) > 1:
            raise UsageError(f"more than one activity id starts with {activity_id!r}; give more of it")
        activity, blob = found[0]
        return ActivityDetail(activity, Stream.unpack(blob) if blob else None)

    def count(self) -> int:
        db = self._s.db
        with db.lock:
            return store_mod.count(db.conn)

    # -- Strava ----------------------------------------------------------------------------------

    def strava_connect(
        self,
        client_id: str,
        client_secret: str,
        code: str,
        *,
        base_url: str = STRAVA_URL,
        transport: Any = None,
    ) -> str:
        """Exchange the authorisation code the coachee pasted for tokens, kept in the encrypted
        profile; returns the athlete id."""
        from engine.training.strava import StravaClient

        if not (client_id.strip() and client_secret.strip() and code.strip()):
            raise UsageError("Strava needs your API application's client id and secret and the code")
        client = StravaClient(
            client_id.strip(), client_secret.strip(), base_url=base_url, transport=transport
        )
        try:
            tokens = client.exchange(code.strip())
        finally:
            client.close()
        config = {
            "client_id": client_id.strip(),
            "client_secret": client_secret.strip(),
            "base_url": base_url,
        }
        self._settings.set(STRAVA, {**config, **vars(tokens), "after": 0})
        return tokens.athlete_id

    def strava_status(self) -> dict[str, Any] | None:
        """Whether Strava is connected, the athlete, when the tokens expire, what was harvested up to
        (never the tokens themselves)."""
        config = self._settings.get(STRAVA)
        if not config:
            return None
        return {k: config[k] for k in ("athlete_id", "expires_at", "after", "base_url")}

    def strava_sync(
        self, *, transport: Any = None, sleep: Callable[[float], None] = time.sleep
    ) -> ImportReport:
        """Harvest the activities that started since the last sync, with their streams."""
        client, tokens = self._strava(transport, sleep)
        try:
            after = int(self._settings.get(STRAVA)["after"])  # type: ignore[index]
            summaries, tokens = self._refreshing(client, tokens, lambda t: list(client.activities(t, after)))
            return self._strava_store(client, tokens, summaries)
        finally:
            client.close()

    def strava_event(self, event: dict[str, Any], *, transport: Any = None) -> ImportReport:
        """A webhook event from Strava: a created or updated activity is fetched and stored (once);
        deletions and athlete events change nothing here (nothing is deleted by the app itself)."""
        if event.get("object_type") != "activity" or event.get("aspect_type") not in ("create", "update"):
            return ImportReport([], [], [])
        config = self._settings.get(STRAVA)
        if config and str(event.get("owner_id")) != str(config.get("athlete_id")):
            raise StravaError(f"a webhook event for athlete {event.get('owner_id')}, not this profile's")
        client, tokens = self._strava(transport)
        try:
            activity_id = str(event.get("object_id"))
            summary, tokens = self._refreshing(client, tokens, lambda t: client.activity(t, activity_id))
            return self._strava_store(client, tokens, [summary])
        finally:
            client.close()

    def _strava(
        self, transport: Any = None, sleep: Callable[[float], None] = time.sleep
    ) -> tuple[StravaClient, Tokens]:
        from engine.training.strava import REFRESH_MARGIN_S, StravaClient, Tokens

        config = self._settings.get(STRAVA)
        if not config:
            raise UsageError("Strava is not connected: run lifeos activity strava-connect first")
        client = StravaClient(
            config["client_id"],
            config["client_secret"],
            base_url=config.get("base_url", STRAVA_URL),
            transport=transport,
            sleep=sleep,
            now=lambda: self._s.clock().timestamp(),
        )
        tokens = Tokens(
            config["access_token"], config["refresh_token"], int(config["expires_at"]), config["athlete_id"]
        )
        if tokens.expires_at - self._s.clock().timestamp() < REFRESH_MARGIN_S:
            tokens = self._save_tokens(client.refresh(tokens))
        return client, tokens

    def _refreshing(
        self, client: StravaClient, tokens: Tokens, call: Callable[[Tokens], Any]
    ) -> tuple[Any, Tokens]:
        """`call(tokens)`, refreshing the tokens once when Strava says they expired (revoked early)."""
        from engine.training.strava import TokenExpired

        try:
            return call(tokens), tokens
        except TokenExpired:
            tokens = self._save_tokens(client.refresh(tokens))
            try:
                return call(tokens), tokens
            except TokenExpired:
                raise StravaError("Strava refused a fresh token: authorise LifeOS Coach again") from None

    def _save_tokens(self, tokens: Tokens) -> Tokens:
        config = dict(self._settings.get(STRAVA) or {})
        self._settings.set(STRAVA, {**config, **vars(tokens)})
        return tokens

    def _strava_store(
        self, client: StravaClient, tokens: Tokens, summaries: list[dict[str, Any]]
    ) -> ImportReport:
        from engine.training.strava import start_of, track_from

        db = self._s.db
        with db.lock:
            known = store_mod.known_source_ids(db.conn)
        candidates: list[sources.Candidate] = []
        newest = int(self._settings.get(STRAVA)["after"])  # type: ignore[index]
        for summary in summaries:
            self._s.check_open()
            activity_id = str(summary.get("id"))
            if activity_id in known:
                continue
            streams, tokens = self._refreshing(client, tokens, lambda t, a=activity_id: client.streams(t, a))
            track = track_from(summary, streams)
            start = start_of(summary)
            newest = max(newest, int(start.timestamp()))
            candidates.append(
                sources.Candidate(
                    "strava",
                    f"strava:{activity_id}",
                    None,
                    downsample(track).pack() if track else None,
                    track.sport
                    if track
                    else sources.normal_sport(summary.get("sport_type") or summary.get("type")),
                    start,
                    str(summary.get("name", "")),
                    activity_id,
                    _rpe(summary.get("perceived_exertion")),
                    float(summary.get("elapsed_time") or 0),
                    float(summary.get("distance") or 0),
                )
            )
        config = self._settings.get(STRAVA) or {}
        return self._store(
            candidates, [], extra=lambda: self._settings.set(STRAVA, {**config, "after": newest})
        )

    # -- load ----------------------------------------------------------------------------------

    def daily_loads(self, days: int = 90, *, as_of: date | None = None) -> list[DayLoad]:
        """The last `days` days: each day's load with the rolling and EWMA ACWR of that day."""
        if not 1 <= days <= 3660:
            raise UsageError("days must be between 1 and 3660")
        today = as_of or self._today()
        loads, first = self._loads(today)
        start = today - timedelta(days=days - 1)
        full_start = min(start, first) if first else start
        series = science.daily_loads(loads, full_start, today, known_from=first)
        rolling = science.rolling_series(series)
        ewma = science.ewma_series(series)
        offset = len(series) - days
        return [
            DayLoad(
                (start + timedelta(days=i)).isoformat(),
                series[offset + i],
                rolling[offset + i].acute,
                rolling[offset + i].chronic,
                rolling[offset + i].ratio,
                ewma[offset + i].ratio,
            )
            for i in range(days)
        ]

    def load_status(self, *, as_of: date | None = None) -> LoadStatus:
        today = as_of or self._today()
        loads, first = self._loads(today)
        if first is None:
            empty = science.Acwr(0.0, 0.0, None, 0, 0, "rolling")
            return LoadStatus(today.isoformat(), empty, science.Acwr(0, 0, None, 0, 0, "ewma"), 0, 0, 0)
        series = science.daily_loads(loads, first, today, known_from=first)
        db = self._s.db
        window_start = (today - timedelta(days=science.CHRONIC_DAYS - 1)).isoformat()
        with db.lock:
            recent = store_mod.between(db.conn, window_start, today.isoformat())
        return LoadStatus(
            today.isoformat(),
            science.rolling_acwr(series),
            science.ewma_acwr(series),
            len(recent),
            sum(1 for a in recent if a.estimated),
            (today - first).days + 1,
        )

    def load_spike(self, *, as_of: date | None = None) -> LoadSpike | None:
        """Today's ACWR spike (rolling ratio above 1.5), with the day it began, or None."""
        today = as_of or self._today()
        loads, first = self._loads(today)
        if first is None:
            return None
        series = science.daily_loads(loads, first, today, known_from=first)
        rolling = science.rolling_series(series)
        now = rolling[-1]
        if now.ratio is None or now.ratio <= science.DANGER:
            return None
        back = len(rolling) - 1
        while back > 0 and (rolling[back - 1].ratio or 0) > science.DANGER:
            back -= 1
        ewma = science.ewma_series(series)[-1]
        return LoadSpike(
            today.isoformat(),
            (first + timedelta(days=back)).isoformat(),
            now.ratio,
            ewma.ratio,
            now.acute,
            now.chronic,
        )

    def weekly_distance(self, weeks: int = 12, *, as_of: date | None = None) -> list[tuple[str, float]]:
        """(Monday of the week, km run) for the last `weeks` weeks, oldest first."""
        if not 1 <= weeks <= 520:
            raise UsageError("weeks must be between 1 and 520")
        today = as_of or self._today()
        db = self._s.db
        with db.lock:
            by_day = store_mod.distance_by_day(db.conn)
        monday = today - timedelta(days=today.weekday())
        out = []
        for w in range(weeks - 1, -1, -1):
            start = monday - timedelta(days=7 * w)
            total = sum(by_day.get((start + timedelta(days=d)).isoformat(), 0.0) for d in range(7))
            out.append((start.isoformat(), total / 1000))
        return out

    # -- goal confidence -----------------------------------------------------------------------

    def goal_confidence(self, *, as_of: date | None = None, history_weeks: int = 12) -> GoalStatus | None:
        """The goal confidence score today with its reasons, and its weekly history (recomputed from
        the data as it stood on each of those days). None when no goal is set."""
        goal = self.goal()
        if goal is None:
            return None
        today = as_of or self._today()
        loads, first = self._loads(today)
        db = self._s.db
        with db.lock:
            runs = [science.Run(date.fromisoformat(d), dist, dur) for d, dist, dur in store_mod.runs(db.conn)]
        start = first or today
        series = science.daily_loads(loads, start, today, known_from=first)

        def at(day: date) -> science.GoalConfidence:
            upto = series[: len(series) - (today - day).days] if day >= start else []
            return science.goal_confidence(goal, [r for r in runs if r.day <= day], upto, day)

        history = [
            ((today - timedelta(days=7 * w)).isoformat(), at(today - timedelta(days=7 * w)).score)
            for w in range(history_weeks - 1, 0, -1)
        ]
        current = at(today)
        return GoalStatus(goal, current, [*history, (today.isoformat(), current.score)])

    def _store(
        self,
        candidates: list[sources.Candidate],
        bad: list[sources.Bad],
        *,
        extra: Callable[[], None] | None = None,
    ) -> ImportReport:
        """Store new candidates in one transaction (with `extra`, a write that belongs with them);
        the rest are reported as duplicates."""
        athlete = self.athlete()
        threshold = self._threshold_speed(athlete)
        tz = self._s.clock().tzinfo or UTC
        now = iso_utc(self._s.clock())
        imported: list[Activity] = []
        duplicates: list[str] = []
        with self._s.db.atomic() as conn:
            hashes = store_mod.known_hashes(conn, [c.sha256 for c in candidates if c.sha256])
            source_ids = store_mod.known_source_ids(conn)
            batch: list[tuple[datetime, float]] = []
            if extra is not None:
                extra()
            for candidate in sorted(candidates, key=lambda c: c.start):
                if candidate.sha256 in hashes:  # the same file as one imported before
                    duplicates.append(candidate.label)
                    continue
                values = self._row(candidate, athlete, threshold, tz, now)
                start = candidate.start
                duration = float(values["duration_s"])
                if (
                    (candidate.source_id and candidate.source_id in source_ids)
                    or any(sources.same_activity(start, duration, s, d) for s, d in batch)
                    or self._stored_twin(conn, start, duration)
                ):
                    duplicates.append(candidate.label)
                    continue
                store_mod.insert(conn, values)
                batch.append((start, duration))
                if candidate.sha256:
                    hashes.add(candidate.sha256)
                if candidate.source_id:
                    source_ids.add(candidate.source_id)
                values.pop("stream")
                values.pop("sha256")
                values.pop("created_at")
                imported.append(Activity(**values))
        return ImportReport(imported, duplicates, bad)

    # -- weekly reflection ---------------------------------------------------------------------

    def weekly_reflection(
        self, messages: list[tuple[date, str]], *, as_of: date | None = None
    ) -> reflection_mod.Reflection | None:
        """Last week's advice (the coach's `messages`, by local day) against what was run, and the
        coming week's plan; None when there is nothing to reflect on."""
        today = as_of or self._today()
        loads, _ = self._loads(today)
        advice = reflection_mod.advice_in(messages)
        return reflection_mod.reflect(advice, loads, today, self.load_status(as_of=today).rolling.ratio)

    # -- internals -----------------------------------------------------------------------------

    def _today(self) -> date:
        return self._s.clock().date()

    def _loads(self, today: date) -> tuple[dict[date, float], date | None]:
        db = self._s.db
        with db.lock:
            raw = store_mod.load_by_day(db.conn)
        loads = {date.fromisoformat(d): v for d, v in raw.items() if d <= today.isoformat()}
        return loads, (min(loads) if loads else None)

    def _threshold_speed(self, athlete: Athlete) -> float:
        if athlete.threshold_pace_s_per_km:
            return 1000 / athlete.threshold_pace_s_per_km
        goal = self.goal()
        if goal is not None:
            # The pace a goal implies for an hour's racing (Riegel): roughly threshold pace.
            hour_distance = goal.distance_m * (3600 / goal.target_s) ** (1 / science.RIEGEL_EXPONENT)
            return hour_distance / 3600
        return DEFAULT_THRESHOLD_MPS

    def _row(
        self, c: sources.Candidate, athlete: Athlete, threshold: float, tz: Any, now: str
    ) -> dict[str, Any]:
        stream = Stream.unpack(c.stream) if c.stream is not None else None
        if stream is not None:
            summary = summarise(stream)
            duration, moving, distance = summary.duration_s, summary.moving_s, summary.distance_m
            avg_hr, max_hr, gain = summary.avg_hr, summary.max_hr, summary.elevation_gain_m
        else:
            duration = float(c.duration_s or 0.0)
            moving, distance = duration, float(c.distance_m or 0.0)
            avg_hr = max_hr = None
            gain = 0.0
        trimp, method = _load(stream, c.sport, duration, distance, c.rpe, athlete, threshold)
        return {
            "id": new_id(),
            "started_at": iso_utc(c.start),
            "day": c.start.astimezone(tz).date().isoformat(),
            "sport": c.sport,
            "name": c.name or f"{c.sport.capitalize()} on {c.start.astimezone(tz):%Y-%m-%d}",
            "source": c.source,
            "source_file": c.label,
            "source_id": c.source_id,
            "duration_s": duration,
            "moving_s": moving,
            "distance_m": distance,
            "elevation_gain_m": gain,
            "avg_hr": avg_hr,
            "max_hr": max_hr,
            "rpe": c.rpe,
            "trimp": trimp,
            "trimp_method": method,
            "stream": c.stream,
            "sha256": c.sha256,
            "created_at": now,
        }

    def _stored_twin(self, conn: Any, start: datetime, duration: float) -> bool:
        window = timedelta(minutes=2)
        for _, started, stored_duration in store_mod.near(
            conn, iso_utc(start - window), iso_utc(start + window)
        ):
            other = datetime.fromisoformat(started.replace("Z", "+00:00"))
            if sources.same_activity(start, duration, other, float(stored_duration)):
                return True
        return False

    def _recompute_loads(self) -> None:
        athlete = self.athlete()
        threshold = self._threshold_speed(athlete)
        db = self._s.db
        with db.atomic() as conn:
            for activity_id, sport, duration, distance, rpe, blob in store_mod.streams_for_recompute(conn):
                stream = Stream.unpack(blob) if blob else None
                trimp, method = _load(stream, sport, duration, distance, rpe, athlete, threshold)
                store_mod.set_trimp(conn, activity_id, trimp, method)


def _load(
    stream: Stream | None,
    sport: str,
    duration: float,
    distance: float,
    rpe: float | None,
    athlete: Athlete,
    threshold: float,
) -> tuple[float, str]:
    """Banister's TRIMP from heart rate where there is one; else an estimate, and which."""
    if stream is not None:
        trimp = science.trimp_from_samples(
            stream.t, stream.hr, resting_hr=athlete.resting_hr, max_hr=athlete.max_hr, sex=athlete.sex
        )
        if trimp is not None:
            return trimp, "hr"
    minutes = duration / 60
    if rpe is not None:
        return science.banister_trimp(minutes, science.hrr_from_rpe(rpe), athlete.sex), "rpe"
    if sport == "run" and distance > 0 and duration > 0:
        hrr = science.hrr_from_pace(distance / duration, threshold)
        return science.banister_trimp(minutes, hrr, athlete.sex), "pace"
    return science.banister_trimp(minutes, DURATION_ONLY_HRR, athlete.sex), "duration"


def _rpe(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and 1 <= value <= 10 else None


def _day(text: str, what: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"{what} {text!r} should be a date like 2026-03-01") from None
