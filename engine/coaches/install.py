"""Installing a verified pack into a profile, updating it, and removing it.

A coach's definition (manifest, soul, agent, examples) goes to `coaches` and `documents`; its
knowledge goes through `engine.retrieval` (`engine.knowledge.add`), with the pack's prebuilt vectors
when they were made by this device's embedder, else embedded here with progress. An update replaces
the knowledge and the definition and keeps the conversations; removal deletes the coach's knowledge
and definition only, never the coachee's own memory (notes, facts, conversations stay).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np

from engine.clock import iso_utc
from engine.coaches import playbook as playbook_mod
from engine.coaches.builder import split_front_matter
from engine.coaches.manifest import Manifest, parse
from engine.coaches.pack import Pack
from engine.coaches.playbook import Move
from engine.coaches.signing import Publisher
from engine.retrieval import vectors as vectors_mod
from engine.store.connection import Connection
from engine.store.schema import KNOWLEDGE_VECTORS_TABLE

DOC_PREFIX = "coach/"
STAGING_PREFIX = "~staging~"
"""Knowledge being installed lives under this prefix plus the coach id until it is complete; no real
coach id can start with "~" (see `manifest.validate_id`)."""
PLAYBOOK_DOC = "playbook.json"
PLAYBOOK_VECTORS_DOC = "playbook.vectors.json"


@dataclass(frozen=True)
class Coach:
    """An installed coach: its manifest, persona and operating instructions."""

    id: str
    name: str
    version: str
    domain: str
    manifest: Manifest
    soul: str
    agent: str
    examples: list[str]
    installed_at: str
    passages: int
    playbook: list[Move] = field(default_factory=list)

    @property
    def description(self) -> str:
        return self.manifest.description

    @cached_property
    def voice(self) -> dict[str, Any]:
        """The persona's phrases for the offline composer (soul.md's front matter), parsed once."""
        return split_front_matter(self.soul)[0]

    @cached_property
    def persona(self) -> str:
        """soul.md without its front matter: who the coach is, for a model's system prompt."""
        return split_front_matter(self.soul)[1]


def doc_name(coach_id: str, part: str) -> str:
    return f"{DOC_PREFIX}{coach_id}/{part}"


def installed_version(conn: Connection, coach_id: str) -> str | None:
    row = conn.execute("SELECT version FROM coaches WHERE id = ?", (coach_id,)).fetchone()
    return str(row[0]) if row else None


def remove_knowledge(conn: Connection, coach_id: str) -> int:
    """Delete a coach's passages and every vector of them (passage and windows, keyed by seq)."""
    passages = conn.execute("SELECT count(*) FROM chunks WHERE coach_id = ?", (coach_id,)).fetchone()[0]
    conn.execute(
        f"DELETE FROM {KNOWLEDGE_VECTORS_TABLE} WHERE seq IN (SELECT seq FROM chunks WHERE coach_id = ?)",
        (coach_id,),
    )
    conn.execute("DELETE FROM chunks WHERE coach_id = ?", (coach_id,))
    return int(passages)


def move_knowledge(conn: Connection, source_id: str, coach_id: str) -> None:
    """Hand staged passages (and so their vectors, keyed by the same seq) to the coach."""
    conn.execute("UPDATE chunks SET coach_id = ? WHERE coach_id = ?", (coach_id, source_id))


def installed_publisher(conn: Connection, coach_id: str) -> Publisher | None:
    """The publisher an installed coach came from (its key is pinned), or None when unsigned."""
    row = conn.execute("SELECT manifest FROM coaches WHERE id = ?", (coach_id,)).fetchone()
    return parse(row[0]).publisher if row else None


def is_complete(conn: Connection, coach_id: str) -> bool:
    """Whether an installed coach holds what its own manifest says: its passages, and vectors for
    them when the profile has any. A coach left with none by an interrupted install of an older
    version is not "unchanged", it needs installing again."""
    row = conn.execute("SELECT manifest FROM coaches WHERE id = ?", (coach_id,)).fetchone()
    if row is None:
        return False
    manifest = parse(row[0])
    passages = conn.execute("SELECT count(*) FROM chunks WHERE coach_id = ?", (manifest.id,)).fetchone()[0]
    expected = manifest.sizes.get("passages")
    if passages == 0 or (expected is not None and passages != expected):
        return False
    if manifest.sizes.get("vectors", 0) == 0 or vectors_mod.space(conn, "chunks") is None:
        return True  # a pack without vectors, or a profile that keeps knowledge lexical
    with_vectors = conn.execute(
        f"SELECT count(*) FROM {KNOWLEDGE_VECTORS_TABLE} WHERE seq IN "
        "(SELECT seq FROM chunks WHERE coach_id = ?)",
        (manifest.id,),
    ).fetchone()[0]
    return int(with_vectors) > 0


def write_definition(conn: Connection, pack: Pack, now: str) -> None:
    m = pack.manifest
    conn.execute(
        "INSERT INTO coaches (id, name, version, domain, manifest, installed_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version, "
        "domain = excluded.domain, manifest = excluded.manifest, installed_at = excluded.installed_at",
        (m.id, m.name, m.version, m.domain, m.to_json(), now),
    )
    conn.execute("DELETE FROM documents WHERE name LIKE ?", (doc_name(m.id, "%"),))
    parts = {"soul.md": pack.soul, "agent.md": pack.agent}
    parts.update({f"examples/{e.name}.md": e.text for e in pack.examples()})
    moves = pack.playbook()
    if moves:
        parts[PLAYBOOK_DOC] = playbook_mod.to_json(moves)
        vectors = pack.playbook_vectors()
        if vectors and m.embedder_id:
            parts[PLAYBOOK_VECTORS_DOC] = _vectors_json(m.embedder_id, vectors)
    for part, body in parts.items():
        conn.execute(
            "INSERT INTO documents (name, body, updated_at) VALUES (?, ?, ?)",
            (doc_name(m.id, part), body, now),
        )


def remove_definition(conn: Connection, coach_id: str) -> None:
    conn.execute("DELETE FROM coaches WHERE id = ?", (coach_id,))
    conn.execute("DELETE FROM documents WHERE name LIKE ?", (doc_name(coach_id, "%"),))


def load(conn: Connection, coach_id: str) -> Coach | None:
    row = conn.execute(
        "SELECT id, name, version, domain, manifest, installed_at FROM coaches WHERE id = ?", (coach_id,)
    ).fetchone()
    if row is None:
        return None
    docs = dict(
        conn.execute(
            "SELECT name, body FROM documents WHERE name LIKE ? ORDER BY name", (doc_name(coach_id, "%"),)
        ).fetchall()
    )
    passages = conn.execute("SELECT count(*) FROM chunks WHERE coach_id = ?", (coach_id,)).fetchone()[0]
    prefix = doc_name(coach_id, "")
    return Coach(
        id=str(row[0]),
        name=str(row[1]),
        version=str(row[2]),
        domain=str(row[3]),
        manifest=parse(row[4]),
        soul=docs.get(prefix + "soul.md", ""),
        agent=docs.get(prefix + "agent.md", ""),
        examples=[v for k, v in docs.items() if k.startswith(prefix + "examples/")],
        installed_at=str(row[5]),
        passages=int(passages),
        playbook=playbook_mod.from_json(docs[prefix + PLAYBOOK_DOC]) if prefix + PLAYBOOK_DOC in docs else [],
    )


def list_ids(conn: Connection) -> list[str]:
    return [str(r[0]) for r in conn.execute("SELECT id FROM coaches ORDER BY name COLLATE NOCASE")]


def stamp(now: datetime) -> str:
    return iso_utc(now)


def _vectors_json(embedder_id: str, vectors: tuple[list[str], np.ndarray]) -> str:
    ids, matrix = vectors[0], vectors[1].astype(np.float16)
    return json.dumps(
        {
            "embedder_id": embedder_id,
            "ids": ids,
            "dim": int(matrix.shape[1]),
            "f16": base64.b64encode(matrix.tobytes()).decode(),
        }
    )


def playbook_vectors(conn: Connection, coach_id: str) -> tuple[str, list[str], np.ndarray] | None:
    """The installed move vectors of a coach: (embedder id, the move id of each row, unit float32
    rows), if any."""
    row = conn.execute(
        "SELECT body FROM documents WHERE name = ?", (doc_name(coach_id, PLAYBOOK_VECTORS_DOC),)
    ).fetchone()
    if row is None:
        return None
    data = json.loads(row[0])
    matrix = np.frombuffer(base64.b64decode(data["f16"]), dtype=np.float16).reshape(-1, int(data["dim"]))
    matrix = matrix.astype(np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
    return str(data["embedder_id"]), [str(i) for i in data["ids"]], matrix
