"""`engine.heartbeat`: run the four roles, see their status, the check-in hours, the inbox.

Silence is the normal case: a role with nothing to do loads no model, writes no note and sends no
notification. Every role takes its lock first (see jobs.py), so a heartbeat started by the OS while
the app is open does not run a role the app is running.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.clock import iso_utc, new_id
from engine.errors import NotFound, UsageError
from engine.heartbeat import jobs
from engine.heartbeat.checkins import (
    DEFAULT_ACTIVE,
    FREQUENCIES,
    AreaInfo,
    CoachInfo,
    ProjectInfo,
    due_check_ins,
    silence_reason,
)
from engine.heartbeat.notify import CheckIn, InboxItem, deliver, os_notify
from engine.heartbeat.notify import inbox as inbox_items
from engine.heartbeat.notify import update as update_item
from engine.heartbeat.power import PowerState, power_state
from engine.heartbeat.training_rule import rest_day_check_in
from engine.memory.notes_part import Notes
from engine.memory.part import Memory
from engine.memory.tacit import HourWindow
from engine.session import Part, Session, guarded
from engine.settings import Setting, Settings

if TYPE_CHECKING:
    from engine.training.part import Training

DEFAULT_FREQUENCY = "weekly"
QUIET_HOURS: Setting[str | None] = Setting("settings.quiet_hours", None)  # None: the default; "": none
ACTIVE_HOURS: Setting[str | None] = Setting("settings.active_hours", None)  # None: learned
CHECKIN_PREFIX = "settings.checkin."
RUNNING_COACH = "dyno"  # whose advice the weekly reflection reads
PLAN_ENTITY = "Running"  # the area the running coach's stated plan is kept under


def checkin_setting(coach_id: str) -> Setting[str]:
    return Setting(CHECKIN_PREFIX + coach_id, DEFAULT_FREQUENCY)


@dataclass(frozen=True)
class RoleResult:
    role: str
    ran: bool
    reason: str  # why it ran or did not
    model_calls: int = 0
    delivered: list[str] = field(default_factory=list)  # titles of check-ins sent
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HeartbeatReport:
    at: str
    results: list[RoleResult]

    @property
    def delivered(self) -> list[str]:
        return [t for r in self.results for t in r.delivered]


def parse_windows(text: str) -> list[HourWindow]:
    """'7-9,19-22' → windows; the end hour is exclusive. Raises a clear error on anything else."""
    windows = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            start, end = (int(x) for x in part.split("-", 1))
        except ValueError:
            raise UsageError(f"hours {part!r} should look like 7-9") from None
        if not (0 <= start <= 23 and 1 <= end <= 24):
            raise UsageError(f"hours {part!r} are outside 0-24")
        windows.append(HourWindow(start, end))
    return windows


@guarded
class Heartbeat(Part):
    """The four roles build on memory (synthesis, extraction, index refresh) and notes."""

    def __init__(
        self,
        session: Session,
        memory: Memory,
        notes: Notes,
        settings: Settings,
        *,
        training: Training | None = None,
    ) -> None:
        super().__init__(session)
        self._training = training
        self._memory = memory
        self._notes = notes
        self._settings = settings

    # -- settings --------------------------------------------------------------------------------

    def set_quiet_hours(self, text: str | None) -> None:
        """'22-7' (wraps midnight), or None/'' for no quiet hours beyond the active hours."""
        if text and len(parse_windows(text)) != 1:
            raise UsageError("quiet hours are one range, such as 22-7")
        self._settings.set(QUIET_HOURS, text or "")

    def quiet_hours(self) -> HourWindow | None:
        text = self._settings.get(QUIET_HOURS)
        if text is None:
            from engine.heartbeat.checkins import DEFAULT_QUIET

            return DEFAULT_QUIET
        return parse_windows(text)[0] if text else None

    def set_active_hours(self, text: str | None) -> None:
        """Override the learned active hours ('7-9,19-22'); None goes back to learning them."""
        if text:
            parse_windows(text)
        self._settings.set(ACTIVE_HOURS, text or None)

    def checkin_hours(self) -> list[HourWindow]:
        """The hours check-ins may arrive in: the coachee's own, else learned from when they write,
        else 8–21 (a new profile has nothing to learn from, and an empty answer read as "never")."""
        text = self._settings.get(ACTIVE_HOURS)
        if text:
            return parse_windows(text)
        return self._memory.active_hours() or list(DEFAULT_ACTIVE)

    def active_hours_chosen(self) -> bool:
        """Whether the coachee typed their active hours (else they are learned, or the default)."""
        return bool(self._settings.get(ACTIVE_HOURS))

    def set_checkin_frequency(self, coach_id: str, frequency: str) -> None:
        if frequency not in (*FREQUENCIES, "off"):
            raise UsageError(f"frequency must be one of: {', '.join((*FREQUENCIES, 'off'))}")
        self._settings.set(checkin_setting(coach_id), frequency)

    def checkin_frequency(self, coach_id: str) -> str:
        return self._settings.get(checkin_setting(coach_id)) or DEFAULT_FREQUENCY

    # -- running ---------------------------------------------------------------------------------

    def run(
        self, *, roles: list[str] | None = None, force: bool = False, notify_os: bool = True
    ) -> HeartbeatReport:
        """Run every due role once (a missed run catches up once, not once per missed slot)."""
        unknown = [r for r in roles or [] if r not in jobs.ROLES]
        if unknown:
            raise UsageError(f"unknown role {unknown[0]!r}; roles: {', '.join(jobs.ROLES)}")
        db = self._s.db
        now = self._s.clock()
        owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        with db.atomic() as conn:
            jobs.ensure(conn, now)
        results: list[RoleResult] = []
        for role in roles or list(jobs.ROLES):
            self._s.check_open()  # a safe point: a waiting lock stops the run between roles
            with db.atomic() as conn:
                taken = jobs.take(conn, role, owner, now, force=force)
            if not taken:
                results.append(RoleResult(role, False, self._why_not_taken(role)))
                continue
            try:
                result, state = self._run_role(role, now, notify_os=notify_os)
            except BaseException:
                with db.atomic() as conn:
                    jobs.release(conn, role, owner)
                raise
            with db.atomic() as conn:
                jobs.finish(conn, role, owner, now, state)
            results.append(result)
        return HeartbeatReport(now.isoformat(), results)

    def _why_not_taken(self, role: str) -> str:
        found = next((j for j in self.status() if j.role == role), None)
        if found is not None and found.locked_by:
            pid = found.locked_by.split("-", 1)[0]
            if pid == str(os.getpid()):  # the app's own background heartbeat, mid-run
                return "already running in the background"
            return f"running in another process ({pid})"
        if found is not None and found.next_run:
            return f"not due until {found.next_run}"
        return "not due"

    def status(self) -> list[jobs.JobStatus]:
        db = self._s.db
        now = self._s.clock()
        with db.atomic() as conn:
            jobs.ensure(conn, now)
            return jobs.status(conn, now)

    def set_schedule(self, role: str, schedule: str) -> None:
        if role not in jobs.ROLES:
            raise UsageError(f"unknown role {role!r}; roles: {', '.join(jobs.ROLES)}")
        db = self._s.db
        with db.atomic() as conn:
            jobs.ensure(conn, self._s.clock())
            jobs.set_schedule(conn, role, schedule, self._s.clock())

    def _run_role(
        self, role: str, now: datetime, *, notify_os: bool
    ) -> tuple[RoleResult, dict[str, Any] | None]:
        if role == "synthesis":
            return self._role_synthesis(now, notify_os)
        if role == "extract":
            return self._role_extract(now)
        if role == "checkins":
            return self._role_checkins(now, notify_os)
        if role == "reflection":
            return self._role_reflection(now)
        return self._role_index(now)

    def _deliver(self, check_ins: list[CheckIn], now: datetime, notify_os: bool) -> list[str]:
        sent: list[str] = []
        with self._s.db.atomic() as conn:
            for check_in in check_ins:
                if deliver(conn, check_in, now=now):
                    sent.append(check_in.title)  # and logged in today's notes, in the same transaction
                    self._notes.add(
                        f"Check-in: {check_in.title}\n{check_in.body}\nWhy: {check_in.reason}",
                        title=f"Check-in: {check_in.title}",
                        kind="daily",
                        source="heartbeat",
                    )
        if notify_os:
            for check_in in check_ins:
                if check_in.title in sent:
                    os_notify(check_in.title, check_in.body)
        return sent

    # A · weekly synthesis
    def _role_synthesis(self, now: datetime, notify_os: bool) -> tuple[RoleResult, dict[str, Any] | None]:
        db = self._s.db
        # Only what the index holds counts: every synced table writes to `changes` (the tacit
        # knowledge document, settings, sync history), and none of those needs re-embedding.
        changes = int(
            db.query_one(
                "SELECT coalesce(max(seq), 0) FROM changes WHERE table_name IN ('notes', 'facts', 'entities')"
            )[0]
        )
        state = self._role_state("synthesis")
        if not db.query_one("SELECT 1 FROM entities LIMIT 1") and not db.query_one(
            "SELECT 1 FROM facts LIMIT 1"
        ):
            return RoleResult("synthesis", False, "no memory yet"), state
        report = self._memory.weekly_synthesis()
        archive = [
            CheckIn(
                "archive",
                f"Archive {p.entity.name}?",
                f"{p.entity.name} looks finished or dormant. Archive it to keep your projects list focused.",
                f"{p.entity.name}: {p.reason}",
                f"archive:{p.entity.id}:{p.entity.status}:{p.entity.updated_at[:10]}",
                {"type": "archive", "entity_id": p.entity.id},
            )
            for p in report.proposals
        ]
        sent = self._deliver(archive, now, notify_os)
        detail = {"tiers": report.tiers, "summaries": report.summaries, "proposals": len(report.proposals)}
        return RoleResult("synthesis", True, "weekly pass", 0, sent, detail), {
            **state,
            "changes_seq": changes,
        }

    # B · fact extraction from new daily notes
    def _role_extract(self, now: datetime) -> tuple[RoleResult, dict[str, Any] | None]:
        db = self._s.db
        state = self._role_state("extract")
        since = int(state.get("note_seq", 0))
        rows = db.query(
            "SELECT seq, id FROM notes WHERE seq > ? AND kind = 'daily' "
            "AND source NOT IN ('heartbeat', 'import') ORDER BY seq LIMIT 500",
            (since,),
        )
        if not rows:
            return RoleResult("extract", False, "no new daily notes"), state
        power: PowerState = power_state()
        if power == "battery":
            return RoleResult("extract", False, "waiting for mains power"), state
        facts = 0
        for seq, note_id in rows:
            self._s.check_open()
            result = self._memory.learn_from_note(note_id)
            facts += sum(1 for r in result.facts if r.outcome != "duplicate")
            since = seq
        calls = len(rows)  # one NER pass per note
        detail = {"notes": len(rows), "facts": facts, "power": power}
        return RoleResult("extract", True, f"{len(rows)} new note(s)", calls, [], detail), {"note_seq": since}

    # C · proactive check-ins
    def _role_checkins(self, now: datetime, notify_os: bool) -> tuple[RoleResult, dict[str, Any] | None]:
        active, quiet = self.checkin_hours(), self.quiet_hours()
        closed = silence_reason(now, active, quiet)
        if closed is not None:
            return RoleResult("checkins", False, f"{closed} (it is {now:%H:%M})"), None
        projects, areas = self._snapshot()
        coaches = self._chosen_coaches()
        check_ins = due_check_ins(
            now,
            projects,
            areas,
            coaches,
            active=active,
            quiet=quiet,
            default_coach_id=coaches[0].id if coaches else None,
        )
        if self._training is not None:
            ids = [c.id for c in coaches]
            rest = rest_day_check_in(
                self._training.load_spike(as_of=now.date()),
                now,
                active=active,
                quiet=quiet,
                coach_id="dyno" if "dyno" in ids else (ids[0] if ids else None),
            )
            if rest is not None:
                check_ins.append(rest)
        if not check_ins:
            return RoleResult("checkins", False, "nothing due"), None
        sent = self._deliver(check_ins, now, notify_os)
        if not sent:
            return RoleResult("checkins", False, "nothing new: what is due was sent already"), None
        return RoleResult("checkins", True, f"{len(sent)} check-in(s)", 0, sent), None

    def _chosen_coaches(self) -> list[CoachInfo]:
        """The coaches the coachee chose (installed; a coach being previewed is not chosen yet), in
        the order they were installed, each knowing whether the coachee has written to it: one they
        never spoke to asks what to start with, not how things went "since we last spoke"."""
        with self._s.db.lock:
            rows = self._s.db.conn.execute(
                "SELECT c.id, c.name, EXISTS (SELECT 1 FROM messages m WHERE m.coach_id = c.id "
                "AND m.role = 'user') FROM coaches c WHERE c.id NOT IN "
                "(SELECT substr(key, 15) FROM meta WHERE key LIKE 'coach.preview.%') "  # coaches.PREVIEW_KEY
                "ORDER BY c.seq"
            ).fetchall()
        return [CoachInfo(r[0], r[1], self.checkin_frequency(r[0]), bool(r[2])) for r in rows]

    def _snapshot(self) -> tuple[list[ProjectInfo], list[AreaInfo]]:
        projects, areas = [], []
        tz = self._s.clock().tzinfo
        for entity, seen in self._memory.activity():
            if entity.type == "project":
                deadline = date.fromisoformat(entity.deadline[:10]) if entity.deadline else None
                projects.append(ProjectInfo(entity.id, entity.name, deadline, entity.status))
            else:
                areas.append(AreaInfo(entity.id, entity.name, seen.astimezone(tz), entity.status))
        return projects, areas

    # D · index refresh
    def _role_index(self, now: datetime) -> tuple[RoleResult, dict[str, Any] | None]:
        db = self._s.db
        state = self._role_state("index")
        # Only what the index holds counts: every synced table writes to `changes` (the tacit
        # knowledge document, settings, sync history), and none of those needs re-embedding.
        changes = int(
            db.query_one(
                "SELECT coalesce(max(seq), 0) FROM changes WHERE table_name IN ('notes', 'facts', 'entities')"
            )[0]
        )
        if changes <= int(state.get("changes_seq", 0)):
            return RoleResult("index", False, "nothing changed"), state
        report = self._memory.refresh_index()
        self._notes.optimize_indexes()
        pruned = self._memory.prune_orphan_edges()
        embedded = report.notes + report.facts
        detail = {"embedded": embedded, "pruned_edges": pruned}
        return RoleResult("index", True, "changes since last refresh", int(embedded > 0), [], detail), {
            "changes_seq": changes
        }

    # E · the running coach's weekly reflection
    def _role_reflection(self, now: datetime) -> tuple[RoleResult, dict[str, Any] | None]:
        """Last week's advice from the running coach (its chat) against the runs: a note in today's
        daily notes, and the coach's stated plan kept in memory as a fact that each week supersedes
        (so "what was the plan on date X" stays answerable)."""
        state = self._role_state("reflection")
        if self._training is None:
            return RoleResult("reflection", False, "no training part"), state
        tz = now.tzinfo
        rows = self._s.db.query(
            "SELECT created_at, content FROM messages WHERE conversation_id = ? AND role = 'assistant' "
            "AND created_at >= ? ORDER BY seq",
            (f"coach:{RUNNING_COACH}", iso_utc(now - timedelta(days=8))),
        )
        said = [
            (datetime.fromisoformat(r[0].replace("Z", "+00:00")).astimezone(tz).date(), r[1]) for r in rows
        ]
        week_end = now.date() - timedelta(days=1)  # the week that ended yesterday
        if state.get("week") == week_end.isoformat():
            return RoleResult("reflection", False, "this week was reflected on already"), state
        reflection = self._training.weekly_reflection(said, as_of=week_end)
        if reflection is None:
            return RoleResult("reflection", False, "no advice and no training last week"), state
        with self._s.db.atomic():
            self._notes.add(
                reflection.note,
                title=f"Weekly reflection {reflection.week_start.isoformat()}",
                kind="daily",
                source="heartbeat",
            )
            previous = state.get("plan_fact")
            if previous:
                result = self._memory.supersede_fact(previous, reflection.plan)
            else:
                try:
                    self._memory.entity(PLAN_ENTITY)
                except NotFound:
                    self._memory.create_entity("area", PLAN_ENTITY)
                result = self._memory.add_fact(
                    reflection.plan, PLAN_ENTITY, category="goal", source=f"coach:{RUNNING_COACH}"
                )
        detail = {"followed": len(reflection.followed), "not_followed": len(reflection.not_followed)}
        return RoleResult("reflection", True, "weekly reflection written", 0, [], detail), {
            "plan_fact": result.fact.id,
            "week": week_end.isoformat(),
        }

    def _role_state(self, role: str) -> dict[str, Any]:
        with self._s.db.lock:
            return jobs.state_of(self._s.db.conn, role)

    # -- inbox -----------------------------------------------------------------------------------

    def inbox(self, *, include_done: bool = False) -> list[InboxItem]:
        db = self._s.db
        with db.lock:
            return inbox_items(db.conn, self._s.clock(), include_done=include_done)

    def snooze(self, item_id: str, until: datetime) -> None:
        with self._s.db.atomic() as conn:
            update_item(conn, item_id, now=self._s.clock(), action="snooze", until=until)

    def mark_done(self, item_id: str) -> None:
        with self._s.db.atomic() as conn:
            update_item(conn, item_id, now=self._s.clock(), action="done")

    def mark_read(self, item_id: str) -> None:
        with self._s.db.atomic() as conn:
            update_item(conn, item_id, now=self._s.clock(), action="read")

    def open_check_in(self, item_id: str) -> str | None:
        """Act on a check-in that leads to a chat: its question becomes the coach's message in that
        coach's conversation (once, however often it is opened), and the item is marked read.

        Returns the coach whose chat to show, or None when the check-in names no installed coach
        (then any chat will do). Without this, "Open chat" showed a conversation that did not
        contain the question the coachee had just tapped on."""
        db = self._s.db
        now = self._s.clock()
        with db.atomic() as conn:
            row = conn.execute("SELECT body, action FROM notifications WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise NotFound(f"no inbox item with id {item_id}")
            action = json.loads(row[1])
            coach_id = action.get("coach_id") if action.get("type") == "open_chat" else None
            installed = (
                coach_id and conn.execute("SELECT 1 FROM coaches WHERE id = ?", (coach_id,)).fetchone()
            )
            if not installed:
                update_item(conn, item_id, now=now, action="read")
                return None
            asked = conn.execute(
                "SELECT 1 FROM messages WHERE coach_id = ? AND json_extract(meta, '$.check_in') = ?",
                (coach_id, item_id),
            ).fetchone()
            if asked is None:
                conn.execute(
                    "INSERT INTO messages (id, conversation_id, coach_id, role, content, meta, created_at) "
                    "VALUES (?, ?, ?, 'assistant', ?, ?, ?)",
                    (
                        new_id(now),
                        f"coach:{coach_id}",  # chat.conversation_id: one conversation per coach
                        coach_id,
                        str(action.get("question") or row[0]),
                        json.dumps({"check_in": item_id}),
                        iso_utc(now),
                    ),
                )
            update_item(conn, item_id, now=now, action="read")
        return str(coach_id)
