"""PARA entities — projects, areas, resources, archives — and people.

Archiving is a state, not a move: an archived project keeps its type, facts and links, leaves the
active lists, and stays searchable. A rename keeps the old name as an alias, so `#old-name` in a later
capture still finds it. Names match case-insensitively, ignoring `-`, `_` and spaces, because people
write `#marathon-2026`, `Marathon 2026` and `marathon_2026` for the same thing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from engine.clock import iso_utc, new_id
from engine.errors import NotFound, UsageError
from engine.inference.dates import resolve_date
from engine.store.connection import Connection

ENTITY_TYPES = ("project", "area", "resource", "archive", "person")
STATUSES = ("active", "completed", "archived")

_COLUMNS = "id, type, name, aliases, status, deadline, summary_md, created_at, updated_at, archived_at"


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    name: str
    aliases: tuple[str, ...]
    status: str
    deadline: str | None
    summary_md: str
    created_at: str
    updated_at: str
    archived_at: str | None

    @property
    def archived(self) -> bool:
        return self.status == "archived"


def name_key(name: str) -> str:
    """The form names are compared in: lower case, separators folded, leading #/@ dropped."""
    return re.sub(r"[\s_\-]+", " ", name.strip().lstrip("#@").lower()).strip()


def _row(row: tuple) -> Entity:
    id_, type_, name, aliases, status, deadline, summary, created, updated, archived = row
    return Entity(
        id_, type_, name, tuple(json.loads(aliases)), status, deadline, summary, created, updated, archived
    )


def _validate_deadline(deadline: str | None, today: date) -> str | None:
    """A deadline is always stored as a calendar day (`YYYY-MM-DD`), whatever way it was written.

    Words a person types ("next friday", "March 3") are resolved against `today` once, here: kept as
    text they could never be counted down, sorted or checked in on, and would read "Due next friday"
    long after that Friday had passed.
    """
    text = (deadline or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        pass
    resolved = resolve_date(text, today)
    if resolved is None:
        raise UsageError(
            f"deadline {text!r} is not a date: write it as YYYY-MM-DD or in words such as 'next friday'"
        )
    return resolved.isoformat()


def create(
    conn: Connection,
    type_: str,
    name: str,
    *,
    now: datetime,
    device_id: str,
    deadline: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Entity:
    if type_ not in ENTITY_TYPES:
        raise UsageError(f"unknown type {type_!r}; use one of: {', '.join(ENTITY_TYPES)}")
    name = name.strip().lstrip("#@").strip()
    if not name:
        raise UsageError("a name is needed")
    if find(conn, name, type_=type_) is not None:
        raise UsageError(f"a {type_} called {name!r} already exists")
    stamp = iso_utc(now)
    entity = Entity(
        new_id(now),
        type_,
        name,
        tuple(aliases),
        "active",
        _validate_deadline(deadline, now.date()),
        "",
        stamp,
        stamp,
        None,
    )
    conn.execute(
        f"INSERT INTO entities ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entity.id,
            entity.type,
            entity.name,
            json.dumps(list(entity.aliases)),
            entity.status,
            entity.deadline,
            "",
            stamp,
            stamp,
            None,
        ),
    )
    return entity


def get(conn: Connection, entity_id: str) -> Entity:
    row = conn.execute(f"SELECT {_COLUMNS} FROM entities WHERE id = ?", (entity_id,)).fetchone()
    if row is None:
        raise NotFound(f"no entity with id {entity_id}")
    return _row(row)


def find(conn: Connection, name: str, *, type_: str | None = None) -> Entity | None:
    """By id, name or alias (see `name_key`); a type narrows the search."""
    key = name_key(name)
    if not key:
        return None
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM entities" + (" WHERE type = ?" if type_ else "") + " ORDER BY seq",
        (type_,) if type_ else (),
    ).fetchall()
    matches = [
        e
        for e in map(_row, rows)
        if e.id == name or name_key(e.name) == key or key in {name_key(a) for a in e.aliases}
    ]
    active = [e for e in matches if not e.archived]
    return (active or matches or [None])[0]


def resolve(conn: Connection, name_or_id: str) -> Entity:
    entity = find(conn, name_or_id)
    if entity is None:
        raise NotFound(f"nothing called {name_or_id!r} in your projects, areas, resources or people")
    return entity


def list_entities(
    conn: Connection, *, type_: str | None = None, include_archived: bool = False
) -> list[Entity]:
    if type_ is not None and type_ not in ENTITY_TYPES:
        raise UsageError(f"unknown type {type_!r}; use one of: {', '.join(ENTITY_TYPES)}")
    clauses, params = [], []
    if type_ == "archive":
        clauses.append("(status = 'archived' OR type = 'archive')")
    else:
        if type_:
            clauses.append("type = ?")
            params.append(type_)
        if not include_archived:
            clauses.append("status != 'archived'")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM entities {where} ORDER BY type, name COLLATE NOCASE", params
    ).fetchall()
    return [_row(r) for r in rows]


def _update(conn: Connection, entity: Entity, now: datetime, device_id: str, **fields: object) -> Entity:
    stamp = iso_utc(now)
    sets = ", ".join(f"{k} = ?" for k in fields)
    values = [json.dumps(list(v)) if k == "aliases" else v for k, v in fields.items()]
    conn.execute(f"UPDATE entities SET {sets}, updated_at = ? WHERE id = ?", (*values, stamp, entity.id))
    return get(conn, entity.id)


def rename(conn: Connection, entity: Entity, new_name: str, *, now: datetime, device_id: str) -> Entity:
    new_name = new_name.strip().lstrip("#@").strip()
    if not new_name:
        raise UsageError("a name is needed")
    clash = find(conn, new_name, type_=entity.type)
    if clash is not None and clash.id != entity.id:
        raise UsageError(f"a {entity.type} called {new_name!r} already exists")
    aliases = tuple(dict.fromkeys((*entity.aliases, entity.name)))
    return _update(conn, entity, now, device_id, name=new_name, aliases=aliases)


def set_status(conn: Connection, entity: Entity, status: str, *, now: datetime, device_id: str) -> Entity:
    if status not in STATUSES:
        raise UsageError(f"unknown status {status!r}")
    archived_at = iso_utc(now) if status == "archived" else None
    return _update(conn, entity, now, device_id, status=status, archived_at=archived_at)


def set_deadline(
    conn: Connection, entity: Entity, deadline: str | None, *, now: datetime, device_id: str
) -> Entity:
    return _update(conn, entity, now, device_id, deadline=_validate_deadline(deadline, now.date()))


def set_summary(conn: Connection, entity: Entity, summary_md: str) -> None:
    """Summaries are derived data: written without a sync change (each device renders its own)."""
    conn.execute("UPDATE entities SET summary_md = ? WHERE id = ?", (summary_md, entity.id))


def add_alias(conn: Connection, entity: Entity, alias: str, *, now: datetime, device_id: str) -> Entity:
    alias = alias.strip().lstrip("#@").strip()
    if not alias or name_key(alias) in {name_key(a) for a in (*entity.aliases, entity.name)}:
        return entity
    return _update(conn, entity, now, device_id, aliases=(*entity.aliases, alias))
