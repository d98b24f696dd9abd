"""Measuring the coach's replies: does a quote fit, does the coach repeat or echo, how fast is it.

Used by `lifeos eval chat` and `bench/chat_eval.py`, so both report the same numbers.

(a) Single turn, on a BEIR set whose corpus is the coach's knowledge: every judged query is sent as
    the first message of a conversation. A reply that quotes is *on topic* when one of the passages
    it cites is judged relevant to the query; citation precision is the share of all cited passages
    that are relevant; and the share of replies that quote nothing is reported (no quote is better
    than a wrong one, but a coach that never quotes has lost its books).
(b) Multi-turn scenarios (`{"id", "coach", "turns": [...]}` per line): each conversation is replayed
    turn by turn. A reply sentence is *repeated* when the same sentence (ignoring case, spacing and
    punctuation) is in an earlier reply of that conversation; a reply *echoes* when it contains six
    or more consecutive words of the message it answers. Latency is the whole turn, retrieval and
    composition included (nothing is written back).
(c) Calibration of the quote threshold: for each judged query, the passage the coach would consider
    quoting (the search's best) with its quote relevance (engine.chat.quotes), and whether it is judged relevant; for each
    candidate threshold, how many replies would quote and how many of those would be on topic.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.chat.part import ChatReply
from engine.errors import UsageError
from engine.retrieval.chunking import split_sentences

ECHO_WORDS = 6
THRESHOLDS = tuple(round(0.20 + 0.02 * i, 2) for i in range(21))  # 0.20 … 0.60


class Replier(Protocol):
    def send(
        self,
        coach_id: str,
        message: str,
        *,
        history: Sequence[tuple[str, str]] | None = None,
        record: bool = True,
    ) -> ChatReply: ...


class Candidates(Protocol):
    def quote_candidates(self, coach_id: str, message: str) -> list[tuple[str, float]]: ...


@dataclass(frozen=True)
class Scenario:
    id: str
    coach: str
    turns: tuple[str, ...]


@dataclass
class SingleTurnReport:
    replies: int
    quoting: int
    on_topic: float  # of replies that quote, the share citing a judged-relevant passage
    citation_precision: float
    no_quote: float  # share of replies that quote nothing
    latency_ms: dict[str, float]
    per_query: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class MultiTurnReport:
    conversations: int
    replies: int
    repeated_sentences: float  # share of reply sentences already said earlier in the conversation
    echo: float  # share of replies echoing >= ECHO_WORDS consecutive words of the message
    latency_ms: dict[str, float]
    transcripts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Calibration:
    rows: list[dict[str, float]]  # threshold, quoting share, on-topic share
    chosen: float | None  # the lowest threshold whose quotes are on topic in >= `target` of replies
    target: float


def load_scenarios(path: Path) -> list[Scenario]:
    if not path.is_file():
        raise UsageError(f"no scenarios file at {path}")
    out: list[Scenario] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            out.append(Scenario(str(data["id"]), str(data["coach"]), tuple(str(t) for t in data["turns"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path.name} line {number}: not a scenario ({exc})") from None
    if not out:
        raise UsageError(f"{path} holds no scenarios")
    return out


def single_turn(
    chat: Replier,
    coach_id: str,
    queries: Sequence[tuple[str, str]],
    relevant: dict[str, set[str]],
    progress: Callable[[int, int], None] | None = None,
) -> SingleTurnReport:
    """(a): each judged query as the first message of its own conversation."""
    judged = [(qid, text) for qid, text in queries if relevant.get(qid)]
    per_query: list[dict[str, Any]] = []
    times: list[float] = []
    cited_total = cited_relevant = quoting = on_topic = 0
    for done, (qid, text) in enumerate(judged, 1):
        started = time.perf_counter()
        reply = chat.send(coach_id, text, history=[], record=False)
        times.append((time.perf_counter() - started) * 1000)
        refs = [c.ref for c in reply.citations]
        good = [r for r in refs if r in relevant[qid]]
        cited_total += len(refs)
        cited_relevant += len(good)
        if refs:
            quoting += 1
            on_topic += bool(good)
        per_query.append({"id": qid, "query": text, "cited": refs, "relevant_cited": good})
        if progress:
            progress(done, len(judged))
    return SingleTurnReport(
        len(judged),
        quoting,
        round(on_topic / quoting, 3) if quoting else 0.0,
        round(cited_relevant / cited_total, 3) if cited_total else 0.0,
        round(1 - quoting / len(judged), 3) if judged else 0.0,
        percentiles(times),
        per_query,
    )


def multi_turn(
    chat: Replier,
    scenarios: Sequence[Scenario],
    progress: Callable[[int, int], None] | None = None,
) -> MultiTurnReport:
    """(b): replay each conversation; count repeated sentences, echoes and time per turn."""
    times: list[float] = []
    sentences = repeated = replies = echoes = 0
    transcripts: list[dict[str, Any]] = []
    for done, scenario in enumerate(scenarios, 1):
        history: list[tuple[str, str]] = []
        said: set[str] = set()
        turns: list[dict[str, Any]] = []
        for message in scenario.turns:
            started = time.perf_counter()
            reply = chat.send(scenario.coach, message, history=list(history), record=False)
            times.append((time.perf_counter() - started) * 1000)
            own = reply_sentences(reply.text)
            again = [s for s in own if s in said]
            sentences += len(own)
            repeated += len(again)
            replies += 1
            echoed = echoes_message(reply.text, message)
            echoes += echoed
            said.update(own)
            history += [("user", message), ("assistant", reply.text)]
            turns.append({"user": message, "coach": reply.text, "repeated": len(again), "echo": echoed})
        transcripts.append({"id": scenario.id, "coach": scenario.coach, "turns": turns})
        if progress:
            progress(done, len(scenarios))
    return MultiTurnReport(
        len(scenarios),
        replies,
        round(repeated / sentences, 4) if sentences else 0.0,
        round(echoes / replies, 4) if replies else 0.0,
        percentiles(times),
        transcripts,
    )


def calibrate(
    chat: Candidates,
    coach_id: str,
    queries: Sequence[tuple[str, str]],
    relevant: dict[str, set[str]],
    *,
    target: float = 0.8,
    thresholds: Sequence[float] = THRESHOLDS,
) -> Calibration:
    """(c): the quote threshold's trade-off between quoting often and quoting what fits."""
    best: list[tuple[float, bool]] = []
    for qid, text in queries:
        if not relevant.get(qid):
            continue
        candidates = chat.quote_candidates(coach_id, text)
        if not candidates:
            continue
        ref, fit = candidates[0]  # the passage the composer would consider (grounded.choose_passages)
        best.append((fit, ref in relevant[qid]))
    rows: list[dict[str, float]] = []
    chosen: float | None = None
    for t in thresholds:
        kept = [good for score, good in best if score >= t]
        share = sum(kept) / len(kept) if kept else 0.0
        rows.append(
            {
                "threshold": t,
                "quoting": round(len(kept) / len(best), 3) if best else 0.0,
                "on_topic": round(share, 3),
            }
        )
        if chosen is None and len(kept) >= 5 and share >= target:
            chosen = t
    return Calibration(rows, chosen, target)


def reply_sentences(text: str) -> list[str]:
    """The reply's sentences, normalised, without quoted passages (a quote is the book's, and a
    script's lines are counted once each)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = paragraph.strip().lstrip(">-0123456789. ").strip()
        if not line or re.search(r"\[[A-Za-z0-9][\w.-]*\]\s*$", line):
            continue
        for sentence in split_sentences(line):
            norm = " ".join(re.findall(r"[a-z0-9']+", sentence.lower()))
            if len(norm.split()) >= 3:
                out.append(norm)
    return out


def echoes_message(reply: str, message: str, n: int = ECHO_WORDS) -> bool:
    """Whether the reply repeats `n` or more consecutive words of the message."""
    words = re.findall(r"[a-z0-9']+", message.lower())
    body = " " + " ".join(re.findall(r"[a-z0-9']+", reply.lower())) + " "
    return any(" " + " ".join(words[i : i + n]) + " " in body for i in range(len(words) - n + 1))


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    if not values_ms:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    ordered = sorted(values_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "max": round(ordered[-1], 1)}
