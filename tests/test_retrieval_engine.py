"""Knowledge search through the Engine: BM25 without an embedder, scopes, windows, provenance, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.api import Engine
from engine.types import KnowledgeDoc, Models
from tests.conftest import PASSPHRASE, run_cli

THEMES = [
    (
        "anger",
        "When a man wrongs you, consider what opinion of good and evil led him to it; then you pity him.",
    ),
    ("death", "Death is nothing to fear: it is the end of sensation, and what does not feel cannot suffer."),
    ("wealth", "Riches are not among the goods; a man may live well with little and badly with much gold."),
    ("sleep", "At dawn, when you rise unwillingly, remember that you rise to do the work of a human being."),
    ("fame", "Soon you will have forgotten all things, and soon all things will have forgotten you."),
    (
        "grief",
        "Let your tears flow, but let them also cease; mourning without end is not love but indulgence.",
    ),
]
LONG = " ".join(
    [f"Sentence {i} is about the weather of the harbour and the ships that come and go." for i in range(30)]
    + [
        "Above all, a friend is tested in adversity: whoever flatters you in good fortune is no friend.",
        "A true friend is one who stays when you have nothing left to give him.",
        "Judge a friendship by whether your friend wants your good or only his own advantage.",
    ]
)


def _docs(prefix: str = "") -> list[KnowledgeDoc]:
    docs = [KnowledgeDoc(f"{prefix}{name}", text, f"On {name.title()}") for name, text in THEMES]
    docs.append(KnowledgeDoc(f"{prefix}long", LONG, "Letter 9: Harbours (part 1)"))
    return docs


@pytest.fixture(scope="module")
def models():
    m = Models()
    yield m
    m.close()


@pytest.fixture
def lexical(tmp_path: Path):
    with Engine.create(tmp_path / "lex", PASSPHRASE, use_embedder=False) as eng:
        yield eng


@pytest.fixture(scope="module")
def semantic(tmp_path_factory: pytest.TempPathFactory, models: Models):
    home = tmp_path_factory.mktemp("semantic") / "profile"
    with Engine.create(home, PASSPHRASE, models=models) as eng:
        eng.knowledge.add("stoa", _docs())
        eng.knowledge.add("other", [KnowledgeDoc("o-anger", THEMES[0][1], "Elsewhere")])
        yield eng


def test_bm25_alone_works_without_an_embedder_and_says_so(lexical: Engine):
    report = lexical.knowledge.add("stoa", _docs())
    assert (report.passages, report.vectors, report.embedder_id) == (7, 0, None)
    result = lexical.knowledge.search("stoa", "what is death to me?", method="full")
    assert (result.method, result.dense_available) == ("bm25", False)
    top = result.hits[0]
    assert (top.ref, top.title, top.found_by, top.ranks) == ("death", "On Death", ("bm25",), {"bm25": 1})
    assert top.text.startswith("Death is nothing")
    assert lexical.knowledge.search("stoa", "what is death", method="dense").method == "bm25"


def test_progress_reports_every_vector(semantic: Engine, tmp_path: Path, models: Models):
    calls: list[tuple[int, int]] = []
    with Engine.create(tmp_path / "p", PASSPHRASE, models=models) as eng:
        report = eng.knowledge.add("c", _docs()[:3], progress=lambda d, t: calls.append((d, t)))
    assert report.vectors == 3 and report.embedder_id
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)


@pytest.mark.parametrize("method", ["dense", "hybrid", "full"])
def test_paraphrase_finds_the_passage(semantic: Engine, method: str):
    result = semantic.knowledge.search("stoa", "I am terrified of dying", method=method, limit=3)
    assert result.dense_available and result.method == method
    assert result.hits[0].ref == "death"
    assert "dense" in result.hits[0].found_by
    assert result.hits[0].scores["dense"] > 0


def test_a_match_in_a_late_window_points_at_its_passage(semantic: Engine):
    # The friendship sentence lies past the embedder's 256-token cut: only a window sees it.
    result = semantic.knowledge.search("stoa", "how do I know if a friend is a real friend", method="dense")
    assert result.hits[0].ref == "long"
    assert result.hits[0].title == "Letter 9: Harbours (part 1)"


def test_coaches_are_searched_separately(semantic: Engine):
    for method in ("bm25", "dense", "full"):
        refs = [h.ref for h in semantic.knowledge.search("other", "anger and wrongs", method=method).hits]
        assert refs == ["o-anger"]
        refs = [h.ref for h in semantic.knowledge.search("stoa", "anger and wrongs", method=method).hits]
        assert "o-anger" not in refs


def test_same_text_twice_is_returned_once(lexical: Engine):
    lexical.knowledge.add(
        "c", [KnowledgeDoc("a", "Fortune is fickle."), KnowledgeDoc("b", "Fortune  is fickle.")]
    )
    assert [h.ref for h in lexical.knowledge.search("c", "fortune").hits] == ["a"]


def test_bad_method_and_limit_are_usage_errors(lexical: Engine):
    from engine.errors import UsageError

    with pytest.raises(UsageError):
        lexical.knowledge.search("c", "x", method="magic")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        lexical.knowledge.search("c", "x", limit=0)


# -- lifeos eval retrieval ---------------------------------------------------------------------


def _beir(tmp_path: Path) -> tuple[Path, Path, Path]:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps({"_id": d.ref, "title": d.title, "text": d.text}) + "\n" for d in _docs())
    )
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"_id": "q1", "text": "I am terrified of dying"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "gold and riches"})
        + "\n"
        + json.dumps({"_id": "q3", "text": "never judged"})
        + "\n"
    )
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\tdeath\t2\nq2\twealth\t2\nq2\tlong\t0\n")
    return corpus, queries, qrels


def test_cli_eval_retrieval_prints_metrics_per_method(tmp_path: Path):
    corpus, queries, qrels = _beir(tmp_path)
    out = run_cli(
        "eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels)
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["method", "ndcg@10", "recall@10", "recall@100", "mrr@10", "s/query"]
    rows = {line.split()[0]: [float(x) for x in line.split()[1:]] for line in lines[1:5]}
    assert set(rows) == {"bm25", "dense", "hybrid", "full"}
    assert rows["full"][0] == pytest.approx(1.0)  # both judged queries answered first
    assert "indexing" in out.stderr


def test_cli_eval_retrieval_json_has_per_query_results(tmp_path: Path):
    corpus, queries, qrels = _beir(tmp_path)
    out = run_cli(
        "eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels),
        "--method", "bm25", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["queries"] == 2 and report["corpus_size"] == 7
    (method,) = report["methods"]
    assert method["method"] == "bm25"
    assert method["per_query"]["q2"]["top10"][0] == "wealth"
    assert set(method["per_query"]["q2"]) >= {"ndcg@10", "recall@10", "recall@100", "mrr@10"}


def test_cli_eval_retrieval_errors_are_one_line(tmp_path: Path):
    corpus, queries, qrels = _beir(tmp_path)
    missing = run_cli("eval", "retrieval", "--corpus", str(tmp_path / "no.jsonl"), "--queries", str(queries),
                      "--qrels", str(qrels))  # fmt: skip
    assert missing.returncode == 4
    assert missing.stderr.strip().count("\n") == 0 and "corpus file not found" in missing.stderr
    qrels.write_text("q1\tdeath\n")
    broken = run_cli(
        "eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels)
    )
    assert broken.returncode == 4 and "qrels.tsv:1" in broken.stderr
    usage = run_cli("eval", "retrieval", "--corpus", str(corpus), "--method", "magic")
    assert usage.returncode == 2


# -- short personal items: where BM25 is strong, the full pipeline must keep its wins ----------

PEOPLE = ["Priya", "Tomasz", "Aiyana", "Bogdan", "Chiara", "Dmitri", "Ingrid", "Kwame"]
PLACES = [
    "the Lebanese cafe",
    "Kew Gardens",
    "the climbing wall",
    "Borough Market",
    "the lido",
    "the library",
]
ACTS = ["had lunch", "went running", "argued about money", "planned the trip", "talked about my new job"]


def _chat_turns() -> list[KnowledgeDoc]:
    turns = []
    for i in range(48):
        person, place, act = PEOPLE[i % 8], PLACES[(i * 5) % 6], ACTS[(i * 3) % 5]
        session = f"Session {i // 8 + 1}"
        text = f"On day {i + 1} I {act} with {person} at {place}."
        turns.append(KnowledgeDoc(f"t{i}", text, session))
        turns.append(KnowledgeDoc(f"f{i}", f"Coach: how did that leave you feeling? ({i})", session))
    return turns


def test_short_chat_turns_keep_bm25s_exact_matches(tmp_path: Path, models: Models):
    with Engine.create(tmp_path / "chat", PASSPHRASE, models=models) as eng:
        eng.knowledge.add("me", _chat_turns())
        for method in ("bm25", "full"):
            first = 0
            for i in range(0, 48, 3):
                person, place = PEOPLE[i % 8], PLACES[(i * 5) % 6]
                query = f"what did I do with {person} at {place}?"
                hits = eng.knowledge.search("me", query, method=method, limit=5).hits
                expected = {
                    f"t{j}" for j in range(48) if PEOPLE[j % 8] == person and PLACES[(j * 5) % 6] == place
                }
                first += hits[0].ref in expected
            if method == "bm25":
                bm25_first = first
        assert first >= bm25_first
        assert first >= 14  # of 16


def test_prebuilt_vectors_round_trip_and_score_exactly(lexical: Engine):
    """A pack's prebuilt vectors go in without a model, come back out, and every requested row is
    scored (sqlite-vec 0.1.9's KNN with `rowid IN` drops rows for some lists, so it is not used)."""
    import numpy as np

    from engine.retrieval import knowledge, vectors
    from engine.retrieval.knowledge import Prebuilt

    rng = np.random.default_rng(7)
    docs = [KnowledgeDoc(f"d{i}", f"passage {i}") for i in range(12)]
    made = {}
    for i, d in enumerate(docs):
        m = rng.normal(size=(1 + i % 3, 384)).astype(np.float32)
        made[d.ref] = m / np.linalg.norm(m, axis=1, keepdims=True)
    report = lexical.knowledge.add("c", docs, prebuilt=Prebuilt("fake@1", made))
    assert (report.passages, report.vectors, report.embedder_id) == (12, 24, "fake@1")
    back = lexical.knowledge.export_vectors("c")
    assert back is not None and back.embedder_id == "fake@1"
    for ref, matrix in made.items():
        assert back.vectors[ref].shape == matrix.shape
        assert np.allclose(back.vectors[ref], matrix, atol=1 / 127)
    conn = lexical._session.db.conn
    rowids = [r for (r,) in conn.execute("SELECT seq + (part << 40) FROM chunks_vectors").fetchall()]
    query = made["d5"][0]
    for sample in (rowids[:1], rowids[-1:], rowids[3:9], rowids):
        sims = vectors.similarities(conn, "chunks", query, sample, "fake@1")
        assert set(sims) == set(sample)
    best = vectors.similarities(conn, "chunks", query, rowids, "fake@1")
    (d5,) = conn.execute("SELECT seq FROM chunks WHERE json_extract(meta, '$.ref') = 'd5'").fetchone()
    assert knowledge.passage_seq(max(best, key=best.__getitem__)) == d5
