"""Notes sources built on the spot: Obsidian vaults, Google Keep Takeouts, Apple Notes messages.

Tests and `bench/io_bench.py` make their inputs here instead of shipping fixtures, so sizes can be
chosen (a 1,000-note vault) and hostile variants are written by the code that checks them. The
notes are generated from small word lists with a seed: varied enough that no two are near-duplicates
by meaning, and the same on every run.
"""

from __future__ import annotations

import json
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "0000050001e226059b0000000049454e44ae426082"
)
_TOPICS = [
    ("marathon training", "long run", "intervals", "recovery day"),
    ("budget review", "savings rate", "index funds", "rent"),
    ("website launch", "landing page", "copywriting", "analytics"),
    ("sleep routine", "caffeine cut-off", "wind-down", "morning light"),
    ("reading list", "Seneca's letters", "deep work", "note taking"),
    ("family dinner", "grandmother's recipe", "Sunday visit", "birthday gift"),
    ("guitar practice", "barre chords", "metronome", "fingerpicking"),
    ("job interview", "portfolio", "salary range", "follow-up email"),
    ("garden plan", "tomatoes", "compost", "watering schedule"),
    ("meditation", "breathing count", "body scan", "evening session"),
]
_PEOPLE = ["Sarah", "Tom", "Priya", "Marco", "Lena", "Yusuf", "Akiko", "Dmitri", "Chloe", "Ben"]
_VERBS = [
    "discussed",
    "planned",
    "reviewed",
    "worried about",
    "celebrated",
    "sketched",
    "questioned",
    "finished",
]
_MOODS = ["calm", "tired", "excited", "restless", "focused", "hopeful", "annoyed", "grateful"]


def sentence(rng: random.Random, i: int) -> str:
    topic = _TOPICS[i % len(_TOPICS)]
    person = rng.choice(_PEOPLE)
    return (
        f"Note {i}: {rng.choice(_VERBS)} the {topic[0]} with {person}; {topic[rng.randrange(1, 4)]} came up "
        f"again and I felt {rng.choice(_MOODS)}. Next step {i * 7 % 13}: {topic[rng.randrange(1, 4)]} "
        f"on day {i % 28 + 1}."
    )


@dataclass(frozen=True)
class VaultSpec:
    notes: int = 40
    daily: int = 10
    seed: int = 7


def write_vault(root: Path, spec: VaultSpec = VaultSpec()) -> Path:
    """A PARA-shaped Obsidian vault: Projects/<name>/…, Areas/, People/, Daily/, Inbox/, an embedded
    image, front matter with tags and aliases, wikilinks between notes, a `.obsidian` folder."""
    rng = random.Random(spec.seed)
    (root / ".obsidian").mkdir(parents=True, exist_ok=True)
    (root / ".obsidian" / "app.json").write_text("{}", encoding="utf-8")
    for folder in ("1 Projects/Website", "2 Areas", "People", "Daily", "Inbox", "assets"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "assets" / "diagram.png").write_bytes(PNG)
    (root / "People" / "Sarah Kim.md").write_text(
        "---\naliases: [Sarah, SK]\ntags: person\n---\nSarah is the designer on the website launch.\n",
        encoding="utf-8",
    )
    (root / "1 Projects" / "Website" / "Kickoff.md").write_text(
        "---\ntags: [work, launch]\ncreated: 2025-03-02\n---\n"
        "Kickoff of the website launch with [[Sarah Kim|Sarah]]. See [[Launch checklist]].\n"
        "![[diagram.png]]\n#design\n",
        encoding="utf-8",
    )
    (root / "1 Projects" / "Launch checklist.md").write_text("- [x] domain\n- [ ] copy\n", encoding="utf-8")
    (root / "2 Areas" / "Health.md").write_text(
        "Sleep and running, mostly. [[Daily/2025-01-01]]\n", encoding="utf-8"
    )
    start = date(2025, 1, 1)
    for d in range(spec.daily):
        day = start + timedelta(days=d)
        (root / "Daily" / f"{day.isoformat()}.md").write_text(
            sentence(rng, 10_000 + d) + "\n", encoding="utf-8"
        )
    for i in range(spec.notes):
        tags = f"tags: [{_TOPICS[i % len(_TOPICS)][0].split()[0]}]\n"
        (root / "Inbox" / f"idea {i:05d}.md").write_text(
            f"---\n{tags}created: 2024-06-{i % 28 + 1:02d}\n---\n{sentence(rng, i)}\n", encoding="utf-8"
        )
    return root


def keep_note(
    i: int,
    rng: random.Random,
    *,
    labels: tuple[str, ...] = (),
    checklist: bool = False,
    pinned: bool = False,
    archived: bool = False,
    trashed: bool = False,
    attachment: str | None = None,
) -> dict[str, object]:
    stamp = int(datetime(2023, 5, 1, 9, 30, tzinfo=UTC).timestamp() * 1_000_000) + i * 86_400_000_000
    note: dict[str, object] = {
        "color": "DEFAULT",
        "isTrashed": trashed,
        "isPinned": pinned,
        "isArchived": archived,
        "title": f"Keep {i}",
        "userEditedTimestampUsec": stamp + 3_600_000_000,
        "createdTimestampUsec": stamp,
        "labels": [{"name": label} for label in labels],
    }
    if checklist:
        note["listContent"] = [
            {"text": "milk", "isChecked": True},
            {"text": "eggs", "isChecked": False},
        ]
        note["textContent"] = ""
    else:
        note["textContent"] = sentence(rng, 50_000 + i)
    if attachment:
        note["attachments"] = [{"filePath": attachment, "mimetype": "image/png"}]
    return note


def write_takeout(path: Path, notes: int = 20, folder: str = "Takeout/Keep", seed: int = 3) -> Path:
    """A Keep Takeout ZIP: JSON + HTML twins, a checklist, labels, pinned/archived/trashed notes, an
    image attachment, and one note that exists only as HTML (older exports)."""
    rng = random.Random(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Takeout/archive_browser.html", "<html><body>Takeout index</body></html>")
        for i in range(notes):
            note = keep_note(
                i,
                rng,
                labels=(("Health",) if i % 3 == 0 else ("Work", "Ideas") if i % 3 == 1 else ()),
                checklist=i == 1,
                pinned=i == 2,
                archived=i == 3,
                trashed=i == 4,
                attachment="photo.png" if i == 5 else None,
            )
            zf.writestr(f"{folder}/Keep {i}.json", json.dumps(note))
            zf.writestr(
                f"{folder}/Keep {i}.html", f'<div class="note"><div class="title">Keep {i}</div></div>'
            )
        zf.writestr(f"{folder}/photo.png", PNG)
        zf.writestr(
            f"{folder}/Only html.html",
            '<html><body><div class="note"><div class="heading">May 1, 2023</div>'
            '<div class="title">Shopping</div><div class="content">'
            '<div class="listitem checked"><div class="bullet">☑</div><div class="text">bread</div></div>'
            '<div class="listitem"><div class="bullet">☐</div><div class="text">apples</div></div>'
            '</div><div class="chips"><span class="label"><span class="label-name">Home</span></span></div>'
            "</div></body></html>",
        )
    return path


def apple_note(title: str, html: str, when: datetime, uuid: str) -> bytes:
    """A note as iCloud stores it in the Notes IMAP folder."""
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = "me@icloud.test"
    msg["Date"] = format_datetime(when)
    msg["X-Uniform-Type-Identifier"] = "com.apple.mail-note"
    msg["X-Universally-Unique-Identifier"] = uuid
    msg["Message-Id"] = f"<{uuid}@icloud.test>"
    msg.set_content(f"<html><head></head><body><div>{title}</div>{html}</body></html>", subtype="html")
    return bytes(msg)
