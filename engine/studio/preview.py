"""A reasoner that remembers what it was offered, so a preview reply can say which moves it made.

Replies report the passages they cite (`Citations` events) but not the playbook moves behind them:
a model paraphrases, the grounded composer quotes. Wrapping whichever reasoner answers, this keeps
the moves ranked for the turn; a move counts as made when its text is in the reply, which is exact
for the offline composer (it speaks moves verbatim) and conservative for a model.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.chat.reasoners import Event, Reasoner, ReplyRequest


class RecordingReasoner(Reasoner):
    def __init__(self, inner: Reasoner) -> None:
        self.inner = inner
        self.name = inner.name
        self.offline = inner.offline
        self.offered: dict[str, str] = {}  # move id → its text

    def reply(self, request: ReplyRequest) -> Iterator[Event]:
        for scored in request.context.moves:
            self.offered.setdefault(scored.move.id, scored.move.text)
        yield from self.inner.reply(request)

    def moves_made(self, text: str) -> list[str]:
        flat = " ".join(text.split())
        return [move_id for move_id, move_text in self.offered.items() if move_text in flat]

    def close(self) -> None:
        self.inner.close()
