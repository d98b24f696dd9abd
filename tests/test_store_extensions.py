"""FTS5 and sqlite-vec work inside the encrypted connection, and notes search behaves well."""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path

import numpy as np
import pytest

from engine.api import Engine
from engine.errors import DataError, UsageError
from engine.retrieval import vectors
from engine.store.connection import open_encrypted
from engine.store.migrations import migrate
from engine.store.schema import EMBEDDING_DIM


def _unit(rng: random.Random) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(EMBEDDING_DIM)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def test_vec0_knn_int8_and_float_in_encrypted_db(tmp_path: Path) -> None:
    conn = open_encrypted(tmp_path / "v.db", os.urandom(32))
    migrate(conn)
    rng = random.Random(7)
    unit = {seq: _unit(rng) for seq in range(1, 201)}
    assert vectors.upsert(conn, "notes", unit.items(), "model-a") == 200
    hits = vectors.nearest(conn, "notes", unit[42], "model-a", k=3)
    assert hits[0].seq == 42 and hits[0].distance == pytest.approx(0.0, abs=3e-3)  # int8 rounding
    assert len(hits) == 3 and hits[1].distance > 0.5  # random 384-d unit vectors are near-orthogonal
    # sqlite-vec's own KNN over the same encrypted twin agrees.
    knn = conn.execute(
        "SELECT rowid FROM notes_vec WHERE embedding MATCH vec_int8(?) AND k = 3 ORDER BY distance",
        (vectors.quantize_int8(unit[42]),),
    ).fetchall()
    assert [r[0] for r in knn] == [h.seq for h in hits]
    # The in-memory scan follows the twin: an added row is found, a removed one is gone.
    new = _unit(rng)
    vectors.upsert(conn, "notes", [(500, new)], "model-a")
    assert vectors.nearest(conn, "notes", new, "model-a", k=1)[0].seq == 500
    conn.execute("DELETE FROM notes_vec WHERE rowid = 42")
    assert 42 not in {h.seq for h in vectors.nearest(conn, "notes", unit[42], "model-a", k=5)}
    # One space per twin: another model's vectors are refused, and its queries find nothing.
    with pytest.raises(DataError):
        vectors.upsert(conn, "notes", [(1, unit[1])], "model-b")
    assert vectors.nearest(conn, "notes", unit[42], "model-b") == []
    vectors.reset_space(conn, "notes", "model-b")
    assert vectors.count(conn, "notes") == 0 and vectors.space(conn, "notes") == "model-b"

    conn.execute("CREATE VIRTUAL TABLE scratch USING vec0(embedding float[4])")
    conn.execute("INSERT INTO scratch (rowid, embedding) VALUES (1, '[1,0,0,0]'), (2, '[0,1,0,0]')")
    nearest = conn.execute(
        "SELECT rowid FROM scratch WHERE embedding MATCH '[0.1,0.9,0,0]' AND k = 1"
    ).fetchone()
    assert nearest[0] == 2
    conn.close()


def test_fts5_bm25_in_encrypted_db(engine: Engine) -> None:
    engine.notes.add("Long run along the river on Sunday with Sarah", title="Marathon training")
    engine.notes.add("Budget review: cut subscriptions, raise the savings rate")
    engine.notes.add("Read Seneca on anger before the team meeting")
    hits = engine.notes.search("running with sarah")  # porter stemming: running → run
    assert [h.note.title for h in hits] == ["Marathon training"]
    assert "[Sarah]" in hits[0].snippet
    assert engine.notes.search("savings") and engine.notes.search("savings")[0].note.body.startswith("Budget")


@pytest.mark.parametrize("query", ['"', "NEAR(", "-", "*", "a OR", "col:x", "((", "'"])
def test_search_survives_fts_syntax_in_user_text(engine: Engine, query: str) -> None:
    engine.notes.add("something ordinary")
    assert isinstance(engine.notes.search(query), list)


def test_search_prefers_all_words_then_any(engine: Engine) -> None:
    engine.notes.add("coffee with Maya about the launch")
    engine.notes.add("launch checklist")
    assert [h.note.body for h in engine.notes.search("Maya launch")] == ["coffee with Maya about the launch"]
    assert len(engine.notes.search("launch unicorn")) == 2  # no note has both: fall back to any word


def test_notes_list_newest_first_and_validation(engine: Engine) -> None:
    first = engine.notes.add("first")
    second = engine.notes.add("second\nmore lines", kind="capture")
    assert [n.id for n in engine.notes.list()] == [second.id, first.id]
    assert [n.id for n in engine.notes.list(kind="capture")] == [second.id]
    assert [n.id for n in engine.notes.list(kind=("daily", "capture"))] == [second.id, first.id]
    assert engine.notes.list(kind=("chat",)) == []
    with pytest.raises(UsageError):
        engine.notes.list(kind=("daily", "diary"))
    assert second.title == "second"
    assert engine.notes.get(first.id) == first
    with pytest.raises(UsageError):
        engine.notes.add("   ")
    with pytest.raises(UsageError):
        engine.notes.add("x", kind="bogus")
    assert engine.notes.count() == 2


def test_every_write_lands_in_the_sync_outbox(engine: Engine, home: Path) -> None:
    notes = [engine.notes.add(f"n{i}").id for i in range(3)]
    db = engine._session.db
    rows = db.query("SELECT row_id, op, hlc FROM changes ORDER BY seq")
    assert [r[0] for r in rows] == notes and {r[1] for r in rows} == {"insert"}
    hlcs = [r[2] for r in rows]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == 3


def test_m003_moves_existing_knowledge_vectors_out_of_vec0(tmp_path: Path) -> None:
    """A profile at schema 2 with passage and window vectors in `chunks_vec` keeps them all."""
    from engine.store import migrations

    conn = open_encrypted(tmp_path / "old.db", os.urandom(32))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for number, name, step in migrations.MIGRATIONS[:2]:
        step(conn)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (number, name))
    rng = random.Random(3)
    for seq in (1, 2):
        conn.execute(
            "INSERT INTO chunks (seq, id, coach_id, doc_id, text, meta) VALUES (?, ?, 'c', 'd', 't', ?)",
            (seq, f"id{seq}", json.dumps({"vectors": seq})),
        )
    old = {1: _unit(rng), 2: _unit(rng), 2 + (1 << 40): _unit(rng)}  # passage 2 has one window
    conn.execute("INSERT INTO meta VALUES ('vectors.chunks.embedder_id', 'model-a')")
    for rowid, vec in old.items():
        conn.execute(
            "INSERT INTO chunks_vec (rowid, embedding) VALUES (?, vec_int8(?))",
            (rowid, vectors.quantize_int8(vec)),
        )
    assert migrate(conn) == [number for number, _, _ in migrations.MIGRATIONS[2:]]  # 3 onwards
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'chunks_vec'").fetchone() is None
    rows = conn.execute("SELECT seq, part FROM chunks_vectors ORDER BY seq, part").fetchall()
    assert rows == [(1, 0), (2, 0), (2, 1)] and vectors.count(conn, "chunks") == 3
    back = vectors.fetch(conn, "chunks", list(old), "model-a")
    for rowid, vec in old.items():
        assert vectors.dequantize_int8(vectors.quantize_int8(vec)) == pytest.approx(back[rowid])
    hits = vectors.nearest(conn, "chunks", old[2 + (1 << 40)], "model-a", k=2)
    assert hits[0].seq == 2 + (1 << 40) and hits[0].distance == pytest.approx(0.0, abs=1e-3)
    conn.close()


def test_knowledge_matrix_is_reloaded_after_any_write(tmp_path: Path) -> None:
    conn = open_encrypted(tmp_path / "m.db", os.urandom(32))
    migrate(conn)
    rng = random.Random(5)
    unit = {seq: _unit(rng) for seq in range(1, 21)}
    for seq in unit:
        conn.execute(
            "INSERT INTO chunks (seq, id, coach_id, doc_id, text) VALUES (?, ?, ?, 'd', 't')",
            (seq, f"id{seq}", "a" if seq <= 10 else "b"),
        )
    vectors.upsert(conn, "chunks", unit.items(), "model-a")
    first = vectors.matrix(conn, "chunks", "model-a", "a")
    assert first is not None and list(first.seqs) == list(range(1, 11))
    assert vectors.matrix(conn, "chunks", "model-a", "a") is first  # cached
    assert vectors.matrix(conn, "chunks", "model-b", "a") is None  # another space
    vectors.upsert(conn, "chunks", [(3 + (1 << 40), unit[15])], "model-a")  # a window for passage 3
    second = vectors.matrix(conn, "chunks", "model-a", "a")
    assert second is not first and len(second.vectors) == 11
    best, whole, window = second.passage_scores(unit[15])
    i = list(second.seqs).index(3)
    assert best[i] == pytest.approx(1.0, abs=1e-3) and window[i] == best[i] and whole[i] < 0.5
    # the search's two steps (one product over passage vectors, then a passage's rows) agree with it
    assert second.head_cosines(unit[15]) == pytest.approx(whole, abs=1e-6)
    some = np.asarray([i, 0, len(second.seqs) - 1])
    exact_whole, exact_window = second.exact_scores(unit[15], some)
    assert exact_whole == pytest.approx(whole[some], abs=1e-6)
    assert exact_window == pytest.approx(window[some], abs=1e-6)
    conn.execute("DELETE FROM chunks_vectors WHERE seq = 3")  # as a coach's removal does
    third = vectors.matrix(conn, "chunks", "model-a", "a")
    assert third is not None and 3 not in set(third.seqs.tolist())
    conn.close()
