"""A coach's playbook: the coaching moves its creator wrote, each tagged with when it fits.

The offline reply is composed from these moves, so the coach's voice comes from its pack and not from
code (DESIGN.md §3). A move is one short piece a coach would say: an acknowledgement, a reframe, a
technique or exercise with steps, words to say (a script), a plan with days, a closing question, or
a follow-up that builds on what the person just answered. Its `situations` are phrases in the
coachee's words; they are embedded with the move's text, so moves are found by meaning.

Source format (`playbook/*.toml` in a coach's folder and in its pack), one table per move:

    [[moves]]
    id = "control-sort"             # unique within the coach
    kind = "technique"              # see KINDS
    situations = ["worry about things I can't control", "overthinking"]
    moments = ["opening", "continuing"]   # see MOMENTS
    intents = ["advice"]            # optional; see INTENTS ([] or absent: any)
    text = "Take a sheet of paper and draw a line down the middle."
    steps = ["Left: what is yours to act on.", "Right: everything else."]   # technique/plan/script
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from engine.errors import PackError

KINDS = ("acknowledge", "reframe", "technique", "script", "plan", "question", "followup")
MOMENTS = ("opening", "continuing")
INTENTS = ("vent", "advice", "plan", "words", "decision")
WITH_STEPS = ("technique", "plan", "script")
PLAYBOOK_DIR = "playbook/"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MAX_MOVES = 2000
MAX_TEXT = 1200


@dataclass(frozen=True)
class Move:
    id: str
    kind: str
    situations: tuple[str, ...]
    moments: tuple[str, ...]
    intents: tuple[str, ...]
    text: str
    steps: tuple[str, ...] = ()

    def fits(self, moment: str, intent: str | None = None) -> bool:
        """Whether the move suits this point of the conversation and what the person wants."""
        if moment not in self.moments:
            return False
        return intent is None or not self.intents or intent in self.intents

    def render(self) -> str:
        """The move as a reply shows it: its text, then its steps (numbered, quoted for a script)."""
        if not self.steps:
            return self.text
        if self.kind == "script":
            return self.text + "\n\n" + "\n>\n".join(f"> {s}" for s in self.steps)
        if self.kind == "plan":
            return self.text + "\n\n" + "\n".join(f"- {s}" for s in self.steps)
        return self.text + "\n\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(self.steps, 1))

    def embedding_texts(self) -> list[str]:
        """What is embedded, one vector each: every situation (when it fits) and the text (what it
        is about). A message matches a move by its closest one, so one apt situation is enough."""
        return [*self.situations, self.text]


def parse_file(name: str, data: bytes) -> list[Move]:
    """The moves of one playbook file; a clear `PackError` names the file and the move at fault."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PackError(f"{name}: not a readable TOML playbook ({exc})") from None
    raw = doc.get("moves", [])
    if not isinstance(raw, list):
        raise PackError(f"{name}: 'moves' must be a list of [[moves]] tables")
    return [_move(name, i, item) for i, item in enumerate(raw, 1)]


def parse_files(files: Mapping[str, bytes]) -> list[Move]:
    """Every move of a playbook, in file order; ids must be unique across its files."""
    moves: list[Move] = []
    seen: dict[str, str] = {}
    for name in sorted(files):
        for move in parse_file(name, files[name]):
            if move.id in seen:
                raise PackError(f"{name}: move id {move.id!r} is already used in {seen[move.id]}")
            seen[move.id] = name
            moves.append(move)
    if len(moves) > MAX_MOVES:
        raise PackError(f"the playbook has {len(moves)} moves; at most {MAX_MOVES} are allowed")
    return moves


def _move(name: str, index: int, item: object) -> Move:
    where = f"{name}, move {index}"
    if not isinstance(item, dict):
        raise PackError(f"{where}: each move is a [[moves]] table")
    move_id = item.get("id")
    if not isinstance(move_id, str) or not _ID.match(move_id):
        raise PackError(f"{where}: 'id' must be lowercase letters, digits and '-'")
    where = f"{name}, move {move_id!r}"
    kind = item.get("kind")
    if kind not in KINDS:
        raise PackError(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise PackError(f"{where}: 'text' must be 1 to {MAX_TEXT} characters")
    situations = _strings(item.get("situations"), where, "situations")
    if not situations:
        raise PackError(f"{where}: list at least one situation it suits")
    moments = _strings(item.get("moments", list(MOMENTS)), where, "moments")
    if not moments or any(m not in MOMENTS for m in moments):
        raise PackError(f"{where}: 'moments' must be taken from {', '.join(MOMENTS)}")
    intents = _strings(item.get("intents", []), where, "intents")
    if any(i not in INTENTS for i in intents):
        raise PackError(f"{where}: 'intents' must be taken from {', '.join(INTENTS)}")
    steps = _strings(item.get("steps", []), where, "steps")
    if kind in WITH_STEPS and not steps:
        raise PackError(f"{where}: a {kind} needs its 'steps'")
    return Move(move_id, str(kind), situations, moments, intents, " ".join(text.split()), steps)


def _strings(value: object, where: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PackError(f"{where}: '{field}' must be a list of non-empty strings")
    if any(len(v) > MAX_TEXT for v in value):
        raise PackError(f"{where}: an entry of '{field}' is longer than {MAX_TEXT} characters")
    return tuple(" ".join(v.split()) for v in value)


def to_json(moves: Sequence[Move]) -> str:
    return json.dumps([asdict(m) for m in moves], ensure_ascii=False)


def from_json(text: str) -> list[Move]:
    return [
        Move(
            d["id"],
            d["kind"],
            tuple(d["situations"]),
            tuple(d["moments"]),
            tuple(d["intents"]),
            d["text"],
            tuple(d.get("steps", ())),
        )
        for d in json.loads(text)
    ]
