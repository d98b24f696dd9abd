"""The offline reasoner: a coaching turn composed from the coach's playbook, books and the coachee's memory.

No language model runs here. The coach's voice comes from its pack: its *playbook* of moves, each
written by the coach's creator and retrieved by meaning for this message and this point of the
conversation (the chat part scores them; see `engine.coaches.playbook`). A turn is built the way a
coach answers:

  1. meet the person: on the first message an acknowledgement of the situation they are in; later,
     a follow-up that takes up what they just answered (never their own words read back);
  2. answer what they asked (`engine.chat.intent`): a script for "what should I say", a plan with
     days for "give me a plan", a technique for "how do I…", a reframe when they are telling what
     happened;
  3. quote the coach's books only when a passage clears the calibrated relevance threshold (at most
     one; two when both are strong): no quote is better than a wrong one;
  4. connect to the coachee's own memory when a fact is clearly about this, spoken as a person would;
  5. hand them one question they have not been asked yet in this conversation.
Nothing said earlier in the conversation is said again: moves, quotes, facts and the persona's
phrases already used in the last turns are passed over. The same context gives the same reply, so
replies are reproducible in tests and benchmarks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

from engine.chat import training_tools
from engine.chat.context import ChatContext, ContextPassage, MemoryItem, ScoredMove
from engine.chat.intent import ADVICE, DECISION, PLAN, VENT, WORDS
from engine.chat.reasoners import Citations, Event, MemoryUsed, Reasoner, ReplyRequest, TextDelta
from engine.coaches.playbook import Move
from engine.retrieval.chunking import split_sentences

MAX_QUOTE_WORDS = 48
# Calibrated on the public Stoic queries (`lifeos eval chat --calibrate`, README): the lowest quote
# relevance (engine.chat.quotes) of the search's best passage at which that passage is judged
# relevant in at least 80 % of replies: 0.44 (87 % on topic, 19 % of first messages quote; at 0.40,
# 70 % and 29 %).
QUOTE_THRESHOLD = 0.44
STRONG_QUOTE = 0.50  # a second quote only when both clear this
MEMORY_RELEVANCE = 0.45  # cosine similarity from which a fact is "about" the message
MEMORY_OVERLAP = 2  # or this many shared content words (lexical profiles, no vectors)
# Fits are cosine similarities less part of each move's hubness (engine.chat.moves), so they sit
# lower than raw cosines: about 0.3-0.45 for a move written for the situation, near 0 for none.
ACK_FLOOR = 0.05  # below this no acknowledgement in the playbook fits; the persona's own is used
FOLLOW_FLOOR = 0.12  # a follow-up must fit more clearly: a generic one is worse than the persona's own
QUESTION_FLOOR = 0.05  # and for the closing question
CORE_BY_INTENT: dict[str, tuple[str, ...]] = {
    WORDS: ("script", "technique"),
    PLAN: ("plan", "technique"),
    ADVICE: ("technique", "reframe"),
    DECISION: ("technique", "reframe"),
    VENT: ("reframe", "technique"),
}
CONTINUING_VENT = ("technique", "reframe")  # told more: offer something to do with it
INTENT_ONLY = ("script", "plan")  # offered only to someone who asked for words or a plan
INTENT_BONUS = 0.05
CORE_FLOOR = 0.05  # a core move that fits less than this is left out: nothing beats something off-topic

STOP = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves can't don't i'm i've it's keep get got really feel feeling know want
    everyone anything something thing things much many even still always never lot""".split()  # noqa: SIM905
)

_REFLECT = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "i've": "you've",
    "i'll": "you'll",
    "i'd": "you'd",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "we're": "you're",
    "im": "you're",
}


def _stem(word: str) -> str:
    """A crude stem that is enough to match "leading" with "lead" and "criticised" with "critic"."""
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:5]


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z][a-z']+", text.lower()) if w not in STOP and len(w) > 2}


def pick(options: Sequence[str], seed: str, salt: str, avoid: str = "", spent: str = "") -> str:
    """A stable choice among phrasings (same message, same reply), skipping those already said in
    `avoid`; when every one has been said, `spent` (a phrase too short to count as repeating)."""
    fresh = [o for o in options if o and o.format(author="", fact="") not in avoid]
    if not fresh:
        return spent
    digest = hashlib.sha256(f"{salt}|{seed}".encode()).digest()
    return fresh[digest[0] % len(fresh)]


def reflect(text: str) -> str:
    """First person → second person ("my boss moved my review" → "your boss moved your review")."""
    out: list[str] = []
    previous = ""
    for token in re.findall(r"[A-Za-z']+|[^A-Za-z']+", text):
        low = token.lower()
        if not token[0].isalpha():
            out.append(token)
            continue
        if low == "was" and previous in ("i", "we"):
            out.append("were")
        elif low == "am":
            out.append("are")
        else:
            out.append(_REFLECT.get(low, token))
        previous = low
    return "".join(out)


# -- quotes ----------------------------------------------------------------------------------------


def pick_quote(text: str, words: set[str], max_words: int = MAX_QUOTE_WORDS) -> tuple[str, int]:
    """The run of consecutive sentences (at most `max_words`) that best matches `words`, and how many
    of the words it holds.

    A short passage is quoted whole; a long one is cut at sentence ends around its best run, and a
    cut is marked with an ellipsis so the quotation stays honest. Runs starting at the passage's
    beginning win ties (an author's opening usually states the point).
    """
    flat = " ".join(text.split())
    sentences = split_sentences(flat)
    if len(flat.split()) <= max_words or len(sentences) <= 1:
        quote = flat if len(flat.split()) <= max_words * 1.5 else _cut(flat, max_words)
        return _tidy(quote), len(content_words(quote) & words)
    overlaps = [len(content_words(s) & words) for s in sentences]
    best: tuple[float, int, int] | None = None
    for start in range(len(sentences)):
        if len(sentences[start].split()) < 4 and start + 1 < len(sentences):
            continue  # a run should not open on a fragment ("Money.")
        end, count = start, 0
        while end < len(sentences) and (end == start or count + len(sentences[end].split()) <= max_words):
            count += len(sentences[end].split())
            end += 1
        score = sum(overlaps[start:end]) + (0.5 if start == 0 else 0.0)
        if best is None or score > best[0]:
            best = (score, start, end)
    assert best is not None
    _, start, end = best
    quote = " ".join(sentences[start:end])
    if len(quote.split()) > max_words * 1.5:
        quote = _cut(quote, max_words)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(sentences) and not quote.endswith("…") else ""
    return _tidy(prefix + quote + suffix), sum(overlaps[start:end])


def _tidy(quote: str) -> str:
    """Old editions set a chapter's first words in capitals ("OF ALL existing things"): soften them."""
    return re.sub(
        r"^(… )?((?:[A-Z]{2,}\b ?)+)", lambda m: (m.group(1) or "") + m.group(2).capitalize(), quote
    )


def _cut(text: str, max_words: int) -> str:
    return " ".join(text.split()[:max_words]).rstrip(",;:") + " …"


def _author(p: ContextPassage) -> str:
    return p.author or p.title.split(",")[0] or "the text"


def choose_passages(
    passages: Sequence[ContextPassage], quoted_before: set[str], words: set[str]
) -> list[tuple[ContextPassage, str]]:
    """The search's best passage not quoted earlier in the conversation, when its similarity to the
    message clears the calibrated threshold; a second, from another book, only when both are strong.
    Passages come in the search's order (fusion and rerank), which ranks better than similarity
    alone; the similarity only decides whether the best is good enough to quote."""
    fresh = [p for p in passages if p.ref not in quoted_before]
    if not fresh or fresh[0].relevance < QUOTE_THRESHOLD:
        return []
    first = fresh[0]
    chosen = [(first, pick_quote(first.text, words)[0])]
    if first.relevance >= STRONG_QUOTE:
        for p in fresh[1:]:
            if p.relevance >= STRONG_QUOTE and _document(p) != _document(first):
                chosen.append((p, pick_quote(p.text, words, 36)[0]))
                break
    return chosen


def _document(p: ContextPassage) -> str:
    return p.title.split(",")[0].split("(")[0].strip()


# -- memory ----------------------------------------------------------------------------------------


def relevant_memory(memory: Sequence[MemoryItem], message: str, said: str) -> MemoryItem | None:
    """The fact most clearly about what the coachee just said, not brought up earlier."""
    words = content_words(message)
    best: tuple[float, MemoryItem] | None = None
    for item in memory:
        if item.kind != "fact" or _spoken(item) in said:
            continue
        overlap = len(content_words(item.text) & words)
        score = item.relevance + 0.1 * overlap
        if (overlap >= MEMORY_OVERLAP or item.relevance >= MEMORY_RELEVANCE) and (
            best is None or score > best[0]
        ):
            best = (score, item)
    return best[1] if best else None


def _spoken(item: MemoryItem) -> str:
    """The fact turned to the second person, without its markup, as a coach would say it back."""
    text = re.sub(r"(?<!\w)[@#]([\w/-]+)", lambda m: m.group(1).split("/")[-1].replace("-", " "), item.text)
    text = reflect(text.strip().rstrip(" .!"))
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


def speak_memory(item: MemoryItem, voice: dict[str, object], seed: str, said: str) -> str:
    """'You mentioned that your one-to-one with Mark moved to Friday.' — with the right words for the
    project, area or person it is about when the fact itself does not name it."""
    fact = _spoken(item)
    about = ""
    if item.entity and item.entity.lower() not in fact.lower():
        name = item.entity
        if item.entity_type == "person":
            about = f" (that was about {name})"
        elif item.entity_type == "project":
            about = f", for {name}" if "project" in name.lower() else f", for your {name} project"
        elif item.entity_type in ("area", "resource"):
            about = f", about your {name}"
    templates = voice.get("connect") if isinstance(voice.get("connect"), list) else None
    options = [str(t) for t in templates or []] or [
        "You mentioned that {fact}.",
        "Earlier you told me that {fact}.",
    ]
    template = pick(options, seed, "connect", said)
    if "{fact}" not in template:
        template = "You mentioned that {fact}."
    return template.format(fact=fact + about)


# -- moves -----------------------------------------------------------------------------------------


def used_moves(moves: Sequence[ScoredMove], said: str) -> set[str]:
    """Moves whose text already appears in an earlier reply of this conversation."""
    return {m.move.id for m in moves if m.move.text in said}


def best_move(
    moves: Sequence[ScoredMove], kinds: Sequence[str], moment: str, intent: str | None, used: set[str]
) -> ScoredMove | None:
    """The best-fitting unused move of the first kind in `kinds` that has one.

    Words to say and plans are only offered to someone who asked for them (their `intents` must
    include this one); for the other kinds a move written for this request gets a small preference,
    but a move that fits the situation better still wins."""
    for kind in kinds:
        strict = kind in INTENT_ONLY
        best: tuple[float, ScoredMove] | None = None
        for scored in moves:
            m = scored.move
            if m.kind != kind or m.id in used or not m.fits(moment, intent if strict else None):
                continue
            value = scored.score + (INTENT_BONUS if intent is not None and intent in m.intents else 0.0)
            if best is None or value > best[0]:
                best = (value, scored)
        if best is not None:
            return best[1]
    return None


def compose(ctx: ChatContext) -> tuple[str, list[ContextPassage], MemoryItem | None, list[Move]]:
    """The reply text, the passages it quotes, the memory item it used, and the moves it made."""
    voice = ctx.voice
    said = "\n".join(t["content"] for t in ctx.history if t["role"] == "assistant")
    seed = ctx.message + "|" + str(len(ctx.history))
    used = used_moves(ctx.moves, said)
    made: list[Move] = []
    paragraphs: list[str] = []

    def take(kinds: Sequence[str], intent: str | None, floor: float = 0.0) -> Move | None:
        found = best_move(ctx.moves, kinds, ctx.moment, intent, used)
        if found is None or found.score < floor:
            return None
        used.add(found.move.id)
        made.append(found.move)
        return found.move

    # 1 · meet the person
    if ctx.moment == "opening":
        opener = take(("acknowledge",), None, ACK_FLOOR)
        first = opener.text if opener else pick(_strings(voice, "acknowledge"), seed, "ack", said)
    else:
        follow = take(("followup",), None, FOLLOW_FLOOR)
        first = follow.text if follow else pick(_strings(voice, "follow"), seed, "follow", said)
    if first:
        paragraphs.append(first)

    # 2 · answer what was asked
    kinds = CORE_BY_INTENT.get(ctx.intent, CORE_BY_INTENT[VENT])
    if ctx.intent == VENT and ctx.moment == "continuing":
        kinds = CONTINUING_VENT
    core = take(kinds, ctx.intent, CORE_FLOOR)

    # 3 · the books, only when a passage fits
    quoted_before = set(re.findall(r"\[([A-Za-z0-9][\w.-]*)\]", said))
    words = content_words(ctx.message)
    chosen = choose_passages(ctx.passages, quoted_before, words)
    if chosen:
        lead, quote = chosen[0]
        bridge = pick(_strings(voice, "bridge") or ["{author} wrote:"], seed, "bridge", said, "{author}:")
        lines = [_sentence(bridge.format(author=_author(lead))), "", f"> {quote} [{lead.ref}]"]
        for extra, extra_quote in chosen[1:]:
            also = pick(_strings(voice, "also") or ["And {author} adds:"], seed, "also", said, "{author}:")
            lines += ["", _sentence(also.format(author=_author(extra))), "", f"> {extra_quote} [{extra.ref}]"]
        paragraphs.append("\n".join(lines))
    if core is not None:
        paragraphs.append(core.render())

    # 4 · their own memory
    memory = relevant_memory(ctx.memory, ctx.message, said)
    if memory is not None:
        paragraphs.append(speak_memory(memory, voice, seed, said))

    # 5 · one question not asked before: one that fits, else the persona's own, else the best unused
    question = take(("question",), None, QUESTION_FLOOR)
    closing = question.text if question else pick(_strings(voice, "question"), seed, "question", said)
    if not closing:
        spare = take(("question",), None)
        closing = spare.text if spare else ""
    if closing and not (paragraphs and paragraphs[-1].rstrip().endswith("?")):
        paragraphs.append(closing)
    if not any(paragraphs):
        # A long conversation can use up every move that fits; saying something is still better
        # than an empty bubble: the best unused move of any kind, else the persona's own words.
        last = take(("reframe", "technique", "acknowledge", "followup"), None)
        paragraphs.append(
            last.render() if last else pick(_strings(voice, "acknowledge") or ["Tell me more."], seed, "last")
        )
    return "\n\n".join(p for p in paragraphs if p), [p for p, _ in chosen], memory, made


def _sentence(text: str) -> str:
    """A phrase that opens with a source's name ("our Health Notes has…") still opens a sentence."""
    return text[:1].upper() + text[1:]


def _strings(voice: dict[str, object], key: str) -> list[str]:
    value = voice.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


class GroundedReasoner(Reasoner):
    """The offline default (DESIGN.md §3): no model, a composed coaching turn that cites its passages."""

    name = "grounded"
    offline = True

    def reply(self, request: ReplyRequest) -> Iterator[Event]:
        # A training question is answered from the training tools' numbers: call them first, then
        # speak their results after the opening (engine.chat.training_tools).
        calls = training_tools.offline_calls(request)
        if calls:
            yield from calls
            return
        text, cited, used, _moves = compose(request.context)
        results = training_tools.tool_results(request.messages)
        if results:
            said = "\n".join(t["content"] for t in request.context.history if t["role"] == "assistant")
            numbers = [p for p in training_tools.answer(results).split("\n\n") if p not in said]
            opening, _, rest = text.partition("\n\n")
            text = "\n\n".join(p for p in (opening, *numbers, rest) if p)
        for paragraph in re.split(r"(?<=\n\n)", text):  # stream paragraph by paragraph, as a model would
            yield TextDelta(paragraph)
        yield Citations(tuple(p.ref for p in cited))
        yield MemoryUsed((used.id,) if used is not None else ())
