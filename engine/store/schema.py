"""The initial schema (migration 1), as SQL, so it reads as one document.

Conventions: every table has `seq INTEGER PRIMARY KEY` (a stable rowid that VACUUM cannot renumber, so
FTS5 and vec0 twins can point at it) and a text `id` (UUIDv7, made offline, the same on every synced
device). Text tables have an external-content FTS5 twin kept in step by triggers; embedded tables have
a vec0 twin of int8 vectors, one vector space per twin whose embedder id is recorded in `meta`, so a
change of model is detected and re-embedded rather than mixed. Nothing is deleted by the app's own logic: facts and notes carry a
status and `superseded_by` (the no-deletion rule, DESIGN.md §5).
"""

from __future__ import annotations

EMBEDDING_DIM = 384

_TABLES = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE notes (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL DEFAULT 'daily' CHECK (kind IN ('daily', 'capture', 'import', 'chat')),
    title         TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL,
    day           TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT 'user',
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'archived')),
    superseded_by TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX notes_day ON notes (day, created_at);
CREATE INDEX notes_kind_created ON notes (kind, created_at);

CREATE TABLE entities (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL CHECK (type IN ('project', 'area', 'resource', 'archive', 'person')),
    name        TEXT NOT NULL,
    aliases     TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL DEFAULT 'active',
    deadline    TEXT,
    summary_md  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    archived_at TEXT
);
CREATE INDEX entities_type_name ON entities (type, name COLLATE NOCASE);

CREATE TABLE facts (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    content          TEXT NOT NULL,
    category         TEXT NOT NULL DEFAULT 'general',
    timestamp        TEXT NOT NULL,
    source           TEXT NOT NULL DEFAULT 'user',
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded')),
    superseded_by    TEXT REFERENCES facts (id),
    related_entities TEXT NOT NULL DEFAULT '[]',
    last_accessed    TEXT,
    access_count     INTEGER NOT NULL DEFAULT 0,
    evergreen        INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL
);
CREATE INDEX facts_status ON facts (status, category);

CREATE TABLE fact_entities (
    fact_id   TEXT NOT NULL REFERENCES facts (id),
    entity_id TEXT NOT NULL REFERENCES entities (id),
    PRIMARY KEY (fact_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX fact_entities_entity ON fact_entities (entity_id);

CREATE TABLE edges (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    src_id     TEXT NOT NULL,
    dst_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    weight     REAL NOT NULL DEFAULT 1.0,
    created_at TEXT NOT NULL,
    UNIQUE (src_id, dst_id, kind)
);
CREATE INDEX edges_dst ON edges (dst_id);

CREATE TABLE coaches (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    domain       TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    installed_at TEXT NOT NULL
);

CREATE TABLE chunks (
    seq      INTEGER PRIMARY KEY,
    id       TEXT NOT NULL UNIQUE,
    coach_id TEXT NOT NULL,
    doc_id   TEXT NOT NULL,
    title    TEXT NOT NULL DEFAULT '',
    text     TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    meta     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX chunks_coach ON chunks (coach_id, doc_id, position);

CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    coach_id        TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    content         TEXT NOT NULL,
    meta            TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

CREATE TABLE notifications (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL DEFAULT '{}',
    dedupe_key    TEXT UNIQUE,
    created_at    TEXT NOT NULL,
    read_at       TEXT,
    snoozed_until TEXT,
    done_at       TEXT
);

CREATE TABLE jobs (
    name        TEXT PRIMARY KEY,
    schedule    TEXT NOT NULL,
    last_run    TEXT,
    next_run    TEXT,
    lock_owner  TEXT,
    lock_until  TEXT,
    state       TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    hlc        TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    pushed_at  TEXT
);
CREATE INDEX changes_unpushed ON changes (pushed_at, seq);
"""

# (table, FTS columns). Each twin is external-content: the text lives once, in the base table.
FTS_TWINS: dict[str, tuple[str, ...]] = {
    "notes": ("title", "body"),
    "entities": ("name", "aliases", "summary_md"),
    "facts": ("content", "category"),
    "chunks": ("title", "text"),
    "messages": ("content",),
}

VEC_TWINS: tuple[str, ...] = ("notes", "facts", "chunks", "messages", "entities")


FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
"""Every FTS5 twin's tokenizer (and the snippet scratch table's, which must split words the same way)."""


def _fts_sql(table: str, columns: tuple[str, ...]) -> str:
    cols = ", ".join(columns)
    new_vals = ", ".join(f"new.{c}" for c in columns)
    old_vals = ", ".join(f"old.{c}" for c in columns)
    return f"""
CREATE VIRTUAL TABLE {table}_fts USING fts5(
    {cols}, content='{table}', content_rowid='seq', tokenize='{FTS_TOKENIZE}'
);
CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN
    INSERT INTO {table}_fts (rowid, {cols}) VALUES (new.seq, {new_vals});
END;
CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN
    INSERT INTO {table}_fts ({table}_fts, rowid, {cols}) VALUES ('delete', old.seq, {old_vals});
END;
CREATE TRIGGER {table}_fts_au AFTER UPDATE ON {table} BEGIN
    INSERT INTO {table}_fts ({table}_fts, rowid, {cols}) VALUES ('delete', old.seq, {old_vals});
    INSERT INTO {table}_fts (rowid, {cols}) VALUES (new.seq, {new_vals});
END;
"""


def _vec_sql(table: str) -> str:
    # L2 on int8, not cosine: the vectors are unit length before quantisation, so the ranking is the
    # same, and sqlite-vec's L2 kernel scans 100k int8 vectors in about half the time of its cosine
    # one. No metadata column either (filtering on one doubled the scan): each twin holds a single
    # vector space, whose embedder id is kept in `meta` (see engine/retrieval/vectors.py).
    return f"""
CREATE VIRTUAL TABLE {table}_vec USING vec0(
    embedding int8[{EMBEDDING_DIM}]
);
"""


INITIAL_SCHEMA = (
    _TABLES + "".join(_fts_sql(t, c) for t, c in FTS_TWINS.items()) + "".join(_vec_sql(t) for t in VEC_TWINS)
)


# Migration 2: memory upkeep.
MEMORY_SCHEMA = """
ALTER TABLE facts ADD COLUMN occurs_on TEXT;
ALTER TABLE facts ADD COLUMN note_id TEXT;

CREATE TABLE suggestions (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('supersede')),
    fact_id      TEXT NOT NULL REFERENCES facts (id),
    target_id    TEXT NOT NULL REFERENCES facts (id),
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'dismissed')),
    created_at   TEXT NOT NULL,
    resolved_at  TEXT
);
CREATE INDEX suggestions_open ON suggestions (status, created_at);

-- What a purge removed, without the content: the right to deletion is exercised, and visibly so.
CREATE TABLE purge_log (
    seq        INTEGER PRIMARY KEY,
    purged_at  TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    reason     TEXT NOT NULL
);

-- Evergreen documents such as tacit knowledge (one Markdown body per name).
CREATE TABLE documents (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


# Migration 3: a coach's knowledge vectors move from the `chunks_vec` vec0 twin to a plain table.
# A vec0 KNN scans every vector of every coach through sqlite-vec's kernel (150 ms at 100k passages
# with their windows) and fetches candidates one row at a time (100 ms more); search now loads one
# coach's int8 vectors once into memory (engine/retrieval/vectors.py, `matrix`) and scores them all
# with one matrix product (~10 ms), and candidates' vectors are read by `seq` from a B-tree. Rows are
# (passage seq, part): part 0 is the passage vector, parts 1… its windows (the old rowid layout
# seq + part × 2⁴⁰, split in two). Every write to the table stamps a fresh random generation in
# `meta`, so an in-memory copy is never used after the vectors change, whoever changed them.
KNOWLEDGE_VECTORS_TABLE = "chunks_vectors"
KNOWLEDGE_GENERATION_KEY = "vectors.chunks.generation"
_STAMP = f"""
    INSERT INTO meta (key, value) VALUES ('{KNOWLEDGE_GENERATION_KEY}', hex(randomblob(16)))
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;"""
KNOWLEDGE_VECTORS_SCHEMA = f"""
CREATE TABLE chunks_vectors (
    seq       INTEGER NOT NULL,
    part      INTEGER NOT NULL,
    embedding BLOB NOT NULL,
    PRIMARY KEY (seq, part)
) WITHOUT ROWID;
CREATE TRIGGER chunks_vectors_ai AFTER INSERT ON chunks_vectors BEGIN{_STAMP}
END;
CREATE TRIGGER chunks_vectors_ad AFTER DELETE ON chunks_vectors BEGIN{_STAMP}
END;
CREATE TRIGGER chunks_vectors_au AFTER UPDATE ON chunks_vectors BEGIN{_STAMP}
END;
INSERT INTO chunks_vectors (seq, part, embedding)
    SELECT rowid & {(1 << 40) - 1}, rowid >> 40, embedding FROM chunks_vec;
DROP TABLE chunks_vec;
INSERT INTO meta (key, value) VALUES ('{KNOWLEDGE_GENERATION_KEY}', hex(randomblob(16)))
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"""


# Migration 4: attachments (the original audio of a voice memo), and passages found by their ref.
# The audio is kept in the encrypted database itself, not beside it as a file: it is as private as
# the transcript, and one file to back up, sync and purge. `sha256` lets sync and export check a blob
# without reading it twice. The expression index serves `Engine.knowledge_passage` (a cited ref opened
# from an earlier conversation) without scanning a coach's passages' JSON.
ATTACHMENTS_SCHEMA = """
CREATE TABLE attachments (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    note_id    TEXT NOT NULL REFERENCES notes (id),
    name       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_note ON attachments (note_id, seq);

CREATE INDEX chunks_ref ON chunks (coach_id, json_extract(meta, '$.ref'));
"""


# Migration 7: imports (engine/io). One row per imported note: which tool it came from, its key there
# (a vault path, a Keep file, an IMAP Message-ID) and the hash of what was imported, so importing the
# same source again adds nothing twice and a changed source supersedes its note instead of doubling
# it; `meta` keeps what the notes table has no column for (pinned, trashed, aliases, the folder, the
# original times). `learned_at` marks the notes the background learning has been through. Tags (an
# Obsidian #tag, a Keep label) are their own table so that they can be listed and searched.
IMPORTS_SCHEMA = """
CREATE TABLE import_sources (
    seq         INTEGER PRIMARY KEY,
    origin      TEXT NOT NULL,
    source_key  TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    note_id     TEXT NOT NULL REFERENCES notes (id),
    meta        TEXT NOT NULL DEFAULT '{}',
    imported_at TEXT NOT NULL,
    learned_at  TEXT,
    UNIQUE (origin, source_key, sha256)
);
CREATE INDEX import_sources_sha ON import_sources (sha256);
CREATE INDEX import_sources_unlearned ON import_sources (learned_at, seq);

CREATE TABLE note_tags (
    note_id TEXT NOT NULL REFERENCES notes (id),
    tag     TEXT NOT NULL,
    PRIMARY KEY (note_id, tag)
) WITHOUT ROWID;
CREATE INDEX note_tags_tag ON note_tags (tag);
"""


# Migration 5: training (engine/training). One row per activity with its summary and its load; the
# 5-second stream is one zstd-compressed JSON blob per activity (read for a chart or a recompute of
# the load, never scanned). `day` is the local date the activity started on, the unit of daily load.
# `source_id` is the activity's id at its source (Strava's), `sha256` the file's, so a re-import
# finds it again.
TRAINING_SCHEMA = """
CREATE TABLE activities (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    started_at       TEXT NOT NULL,
    day              TEXT NOT NULL,
    sport            TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL,
    source_file      TEXT NOT NULL DEFAULT '',
    source_id        TEXT,
    sha256           TEXT,
    duration_s       REAL NOT NULL,
    moving_s         REAL NOT NULL,
    distance_m       REAL NOT NULL,
    elevation_gain_m REAL NOT NULL DEFAULT 0,
    avg_hr           REAL,
    max_hr           REAL,
    rpe              REAL,
    trimp            REAL NOT NULL,
    trimp_method     TEXT NOT NULL,
    stream           BLOB,
    created_at       TEXT NOT NULL
);
CREATE INDEX activities_day ON activities (day, seq);
CREATE INDEX activities_started ON activities (started_at);
CREATE INDEX activities_sha ON activities (sha256);
"""


# Migration 8: the coach studio's drafts (engine/studio): a creator's sources as extracted page by
# page, the chunks made from them, and the preview turns its analytics count. Local only (capture.py).
STUDIO_SCHEMA = """
CREATE TABLE studio_drafts (
    id          TEXT PRIMARY KEY,
    coach_id    TEXT NOT NULL UNIQUE,
    body        TEXT NOT NULL,          -- JSON: name, version, domain, persona, soul, agent, examples, playbook, changelog
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE studio_sources (
    id          TEXT PRIMARY KEY,
    draft_id    TEXT NOT NULL REFERENCES studio_drafts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,          -- the file's name
    code        TEXT NOT NULL,          -- letters only: the prefix of its passages' citation ids
    bytes       INTEGER NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    author      TEXT NOT NULL DEFAULT '',
    origin      TEXT NOT NULL DEFAULT '',
    licence     TEXT NOT NULL DEFAULT '',
    next_ref    INTEGER NOT NULL DEFAULT 1,
    added_at    TEXT NOT NULL,
    UNIQUE (draft_id, code)
);

CREATE TABLE studio_pages (
    source_id   TEXT NOT NULL REFERENCES studio_sources(id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    text        TEXT NOT NULL,
    flag        TEXT,                   -- NULL, 'no-text', 'images' or 'chart'
    reason      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source_id, number)
);

CREATE TABLE studio_chunks (
    id          TEXT PRIMARY KEY,
    draft_id    TEXT NOT NULL REFERENCES studio_drafts(id) ON DELETE CASCADE,
    source_id   TEXT NOT NULL REFERENCES studio_sources(id) ON DELETE CASCADE,
    ref         TEXT NOT NULL,          -- the citation id, kept across versions
    position    REAL NOT NULL,
    title       TEXT NOT NULL,
    text        TEXT NOT NULL,
    excluded    INTEGER NOT NULL DEFAULT 0,
    edited      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (draft_id, ref)
);
CREATE INDEX studio_chunks_order ON studio_chunks (draft_id, source_id, position);

CREATE TABLE studio_turns (
    id          TEXT PRIMARY KEY,
    draft_id    TEXT NOT NULL REFERENCES studio_drafts(id) ON DELETE CASCADE,
    version     TEXT NOT NULL,
    message     TEXT NOT NULL,
    reply       TEXT NOT NULL,
    moves       TEXT NOT NULL,          -- JSON list of move ids the reply made
    passages    TEXT NOT NULL,          -- JSON list of citation ids it quoted
    reasoner    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
"""
