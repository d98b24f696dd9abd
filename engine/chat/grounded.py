"""The offline reasoner: a coaching turn composed from the persona, the passages and the coachee's memory.

No language model runs here, so the reply is built the way a good coach structures a short answer:
  1. acknowledge: the persona's opener, the coachee's own words reflected back ("your boss criticised
     you…"), and a line that names what the situation does to a person (from a small table of common
     situations: criticism, anger, worry, grief, overwhelm, …);
  2. draw on one to three passages, quoted (the sentences that best match the situation, never the
     whole passage) and cited by id, introduced in the persona's voice;
  3. connect to the coachee's own projects or facts when the context holds a relevant one;
  4. end with one question, about their project when one was connected, else about the situation.
Phrases vary with the message (a stable hash, so the same message gives the same reply: replies are
reproducible in tests and in the benchmark). The persona's phrases come from its soul.md front matter.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engine.chat.context import ChatContext, ContextPassage, MemoryItem
from engine.chat.reasoners import Event, Reasoner, ReplyRequest, TextDelta
from engine.retrieval.chunking import split_sentences

MAX_QUOTE_WORDS = 48
SECOND_PASSAGE_SHARE = 0.8  # a second passage is quoted when it scores at least this share of the first
MEMORY_RELEVANCE = 0.3  # cosine similarity from which a fact is "about" the message

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


@dataclass(frozen=True)
class Theme:
    """A common situation: words that signal it, what to say about it, what to ask, and what to
    look for in a passage when choosing the sentences to quote."""

    name: str
    signals: tuple[str, ...]
    acknowledge: str
    reframe: str
    question: str
    quote_words: tuple[str, ...]


THEMES: tuple[Theme, ...] = (
    Theme(
        "criticism",
        (
            "critic",
            "insult",
            "humiliat",
            "embarrass",
            "mock",
            "blame",
            "told off",
            "shout",
            "yell",
            "in front of",
            "judg",
            "reviled",
        ),
        "Criticism in front of others stings twice: once when it happens, and again every time the mind replays it.",
        "What was said belongs to the person who said it; the replaying, and the meaning you give it, are yours to work with.",
        "If you set aside how it was delivered, is there anything in the criticism worth keeping, and what would it take to let the rest go?",
        (
            "opinion",
            "judgement",
            "harm",
            "insult",
            "revil",
            "blame",
            "abuse",
            "outrage",
            "disturb",
            "words",
            "offend",
        ),
    ),
    Theme(
        "anger",
        ("angry", "anger", "furious", "rage", "annoy", "irritat", "resent", "unfair", "betray", "hate"),
        "Anger usually means something you care about feels violated, and it is exhausting to carry.",
        "The other person's conduct is theirs; how long you let it run in you is yours.",
        "What would you do next if you acted from your values rather than from the anger?",
        ("anger", "wrong", "fault", "harm", "forgive", "error", "patience", "passion", "kind"),
    ),
    Theme(
        "worry",
        (
            "worr",
            "anxi",
            "nervous",
            "afraid",
            "fear",
            "scared",
            "panic",
            "overthink",
            "what if",
            "uncertain",
            "dread",
            "can't sleep",
        ),
        "Worry pulls you into a future that has not happened yet, and the body pays for it now.",
        "Separate what is in your power from what is not, and put your effort only on the first.",
        "Of everything you are worried about, which part is actually in your control, and what is one step you could take on it tomorrow?",
        ("power", "control", "fear", "future", "present", "disturb", "depend"),
    ),
    Theme(
        "grief",
        (
            "died",
            "death",
            "grief",
            "griev",
            "loss",
            "lost my",
            "passed away",
            "miss him",
            "miss her",
            "funeral",
            "mourn",
        ),
        "Loss changes the shape of ordinary days, and there is no schedule for grief.",
        "Love does not end when someone is gone; it changes into how you remember them and how you live.",
        "What would the person you lost hope for you this week?",
        ("death", "loss", "lost", "mortal", "gone", "return", "grief", "tears"),
    ),
    Theme(
        "overwhelm",
        (
            "overwhelm",
            "too much",
            "stress",
            "burn",
            "exhaust",
            "swamped",
            "drowning",
            "slipping",
            "letting",
            "let down",
            "responsib",
            "pressure",
            "deadline",
            "behind",
        ),
        "When everything arrives at once, it is hard to see where to begin, and that feeling alone is draining.",
        "You cannot do everything at once, but you can do the next thing well.",
        "If you could only finish one thing this week, which one would make the rest easier?",
        ("present", "task", "each", "now", "duty", "moment", "busy"),
    ),
    Theme(
        "motivation",
        (
            "motivat",
            "procrastinat",
            "lazy",
            "can't start",
            "putting off",
            "discipline",
            "habit",
            "stuck",
            "bored",
        ),
        "Starting is often the hardest part, and waiting to feel ready rarely helps.",
        "Action tends to come before motivation, not after it.",
        "What is the smallest piece of it you could start in the next ten minutes?",
        ("work", "rise", "morning", "practice", "habit", "labour", "effort", "begin"),
    ),
    Theme(
        "confidence",
        (
            "fail",
            "not good enough",
            "imposter",
            "impostor",
            "confiden",
            "doubt",
            "useless",
            "stupid",
            "rejected",
            "compare",
        ),
        "Doubting yourself after a setback is human; it does not mean the doubt is right.",
        "Your worth is not decided by one result or by other people's opinion of it.",
        "What would you tell a friend in exactly your position?",
        ("opinion", "others", "praise", "reputation", "worth", "progress", "fail"),
    ),
    Theme(
        "relationships",
        (
            "friend",
            "partner",
            "wife",
            "husband",
            "brother",
            "sister",
            "mother",
            "father",
            "dad",
            "mum",
            "mom",
            "colleague",
            "argument",
            "conflict",
            "fight",
        ),
        "Friction with someone close to you is hard precisely because they matter to you.",
        "You cannot choose how they act, but you can choose who you are in the relationship.",
        "What do you want this relationship to look like a year from now, and what is one thing you can do toward it?",
        ("friend", "brother", "father", "kind", "others", "relation", "duty", "social"),
    ),
    Theme(
        "money",
        (
            "money",
            "debt",
            "loan",
            "budget",
            "saving",
            "savings",
            "spend",
            "salary",
            "rent",
            "bills",
            "invest",
            "afford",
            "pension",
        ),
        "Money worries have a way of following you everywhere, and it takes courage to look at them squarely.",
        "Clarity comes first: once the numbers are on paper, the problem becomes a plan.",
        "What is one number you could find out this week that would make the picture clearer?",
        (
            "money",
            "wealth",
            "rich",
            "poor",
            "possess",
            "want",
            "little",
            "enough",
            "spend",
            "save",
            "budget",
            "debt",
        ),
    ),
    Theme(
        "health",
        (
            "sleep",
            "tired",
            "energy",
            "exercise",
            "weight",
            "diet",
            "eat",
            "walk",
            "run",
            "sick",
            "pain",
            "health",
            "body",
        ),
        "Your body and your energy shape everything else, so this is worth taking seriously.",
        "Small, repeatable changes beat heroic plans that last a week.",
        "What is one small change you could keep for the next seven days?",
        ("body", "sleep", "food", "exercise", "health", "rest", "walk", "habit", "energy"),
    ),
)

GENERIC = Theme(
    "general",
    (),
    "Thank you for bringing it here; putting it into words is already a step.",
    "The useful question is what part of this is yours to act on.",
    "What part of this is within your control, and what is one step you could take on it today?",
    (),
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


def pick(options: Sequence[str], seed: str, salt: str) -> str:
    """A stable choice among phrasings: same message, same reply; different messages vary."""
    if not options:
        return ""
    digest = hashlib.sha256(f"{salt}|{seed}".encode()).digest()
    return options[digest[0] % len(options)]


def detect_theme(message: str) -> Theme:
    text = message.lower()
    best, best_hits = GENERIC, 0
    for theme in THEMES:
        hits = sum(1 for s in theme.signals if re.search(r"\b" + re.escape(s), text))
        if hits > best_hits:
            best, best_hits = theme, hits
    return best


def reflect(text: str) -> str:
    """First person → second person ("my boss criticised me" → "Your boss criticised you")."""
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
    result = "".join(out)
    return result[:1].upper() + result[1:]


def situation(message: str) -> str:
    """The coachee's situation in their words, reflected, when it is a short statement (not a question)."""
    first = split_sentences(message.strip())[0] if message.strip() else ""
    if not first or first.rstrip().endswith("?") or len(first.split()) > 32 or len(first.split()) < 4:
        return ""
    if not re.search(r"\b(i|i'm|i've|my|me|we)\b", first.lower()):
        return ""
    return reflect(first.rstrip(" .!")) + "."


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


def _cite(p: ContextPassage) -> str:
    return f"[{p.ref}]"


def choose_passages(
    passages: Sequence[ContextPassage], recent_refs: set[str], words: set[str]
) -> list[tuple[ContextPassage, str]]:
    """One to three passages with their quotes: the best by retrieval, then others close to it in
    score, from other documents, whose quotes share at least two words with the situation (a second
    quotation that does not obviously fit weakens a reply more than it helps). Passages quoted in
    the last few turns are passed over, so the coach does not repeat itself."""
    fresh = [p for p in passages if p.ref not in recent_refs] or list(passages)
    if not fresh:
        return []
    first = fresh[0]
    chosen = [(first, pick_quote(first.text, words)[0])]
    for p in fresh[1:]:
        if len(chosen) == 3:
            break
        if p.score < SECOND_PASSAGE_SHARE * first.score:
            break
        if any(_document(p) == _document(c) for c, _ in chosen):
            continue
        quote, overlap = pick_quote(p.text, words, 36)
        if overlap >= 2:
            chosen.append((p, quote))
    return chosen


def _document(p: ContextPassage) -> str:
    return p.title.split("(")[0].strip()


def relevant_memory(memory: Sequence[MemoryItem], message: str) -> MemoryItem | None:
    """The fact most clearly about what the coachee just said (shared words or close meaning)."""
    words = content_words(message)
    best: tuple[float, MemoryItem] | None = None
    for item in memory:
        if item.kind != "fact":
            continue
        overlap = len(content_words(item.text + " " + (item.entity or "")) & words)
        score = item.relevance + 0.15 * overlap
        if (overlap or item.relevance >= MEMORY_RELEVANCE) and (best is None or score > best[0]):
            best = (score, item)
    return best[1] if best else None


def project_of(item: MemoryItem) -> str | None:
    """How to name the project a fact is about, with its article ("the Q3 launch project")."""
    if item.entity:
        return f"the {item.entity} project" if "project" not in item.entity.lower() else item.entity
    match = re.search(r"\b(?:the|my|our) ((?:[\w-]+ ){0,3}?project)\b", item.text, re.IGNORECASE)
    return f"the {match.group(1)}" if match else None


def compose(
    ctx: ChatContext, recent_refs: set[str] | None = None
) -> tuple[str, list[ContextPassage], MemoryItem | None]:
    """The reply text, the passages it cites, and the memory item it used."""
    voice = ctx.voice
    seed = ctx.message
    theme = detect_theme(ctx.message)
    paragraphs: list[str] = []

    opener = pick(voice.get("acknowledge", []), seed, "ack")
    reflected = situation(ctx.message)
    paragraphs.append(" ".join(x for x in (opener, reflected, theme.acknowledge) if x))

    words = content_words(ctx.message) | {_stem(w) for w in theme.quote_words}
    chosen = choose_passages(ctx.passages, recent_refs or set(), words)
    if chosen:
        first, quote = chosen[0]
        bridge = pick(voice.get("bridge", ["{author} wrote:"]), seed, "bridge").format(author=_author(first))
        lines = [bridge, "", f"> {quote} {_cite(first)}"]
        for extra, extra_quote in chosen[1:]:
            also = pick(voice.get("also", ["And {author} adds:"]), seed, "also").format(author=_author(extra))
            lines += ["", also, "", f"> {extra_quote} {_cite(extra)}"]
        paragraphs.append("\n".join(lines))
        paragraphs.append(theme.reframe)
    else:
        paragraphs.append(theme.reframe)

    used = relevant_memory(ctx.memory, ctx.message)
    if used is not None:
        template = pick(voice.get("connect", ["You've told me that {fact}."]), seed, "connect")
        fact = reflect(used.text.rstrip(" ."))
        fact = fact[:1].lower() + fact[1:] if not fact[:2].isupper() else fact
        paragraphs.append(template.format(fact=fact))

    ask = pick(voice.get("ask", ["One question:"]), seed, "ask")
    project = project_of(used) if used is not None else None
    if project:
        question = f"With {project} in mind, what is one thing there that is within your control this week, and what would doing it well look like?"
    else:
        question = theme.question
    paragraphs.append(f"{ask} {question}".strip())
    return "\n\n".join(paragraphs), [p for p, _ in chosen], used


class GroundedReasoner(Reasoner):
    """The offline default (DESIGN.md §3): no model, a composed coaching turn that cites its passages."""

    name = "grounded"
    offline = True

    def __init__(self) -> None:
        self.last_citations: list[ContextPassage] = []
        self.last_memory: MemoryItem | None = None

    def reply(self, request: ReplyRequest) -> Iterator[Event]:
        recent = set(
            re.findall(
                r"\[([a-z0-9][\w.-]*)\]",
                " ".join(t["content"] for t in request.context.history[-6:] if t["role"] == "assistant"),
            )
        )
        text, cited, used = compose(request.context, recent)
        self.last_citations, self.last_memory = cited, used
        for paragraph in re.split(r"(?<=\n\n)", text):  # stream paragraph by paragraph, as a model would
            yield TextDelta(paragraph)
