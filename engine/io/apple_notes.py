"""Apple Notes as iCloud keeps them over IMAP: one message per note in the "Notes" folder tree.

iCloud stores notes synced "with IMAP" as mail messages in a `Notes` mailbox (and `Notes/<folder>`
below it): the subject is the title, the Date header the last edit, the HTML body the note, and
`X-Universally-Unique-Identifier` a stable id (the import key, so a re-import adds nothing twice).
Everything is read with `BODY.PEEK[]` on folders opened read-only: importing never marks a note
read or changes it. Each message's size is asked first and checked against the limits before its
body is fetched; the number of messages is bounded too.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import re
import ssl
from collections.abc import Callable
from dataclasses import replace
from datetime import tzinfo
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from engine.errors import ImportRejected
from engine.io.limits import Limits, human
from engine.io.model import PLACES, ImapAccount, ImportNote, ImportPlan
from engine.io.obsidian import propose

BATCH = 50
MAX_NOTE_CHARS = 1_000_000
Progress = Callable[[str, int, int], None]
_LIST = re.compile(rb'\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)')


class NoFiles:
    """The source of an IMAP import's attachments: none are imported (inline images stay in iCloud)."""

    label = "imap"

    def files(self) -> dict[str, int]:
        return {}

    def read(self, rel: str, cap: int) -> bytes:
        raise ImportRejected(rel, "attachments are not imported from IMAP")


def _connect(account: ImapAccount) -> imaplib.IMAP4:
    where = f"{account.host}:{account.port}"
    try:
        if account.tls:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                account.host, account.port, ssl_context=ssl.create_default_context(), timeout=account.timeout
            )
        else:
            client = imaplib.IMAP4(account.host, account.port, timeout=account.timeout)
    except (TimeoutError, OSError, imaplib.IMAP4.error) as exc:
        raise ImportRejected(
            where, f"cannot be reached ({exc}); check the host, the port and the network"
        ) from None
    try:
        client.login(account.user, account.password)
    except imaplib.IMAP4.error:
        client.shutdown()
        raise ImportRejected(
            where, f"refused the login for {account.user}; for iCloud use an app-specific password"
        ) from None
    return client


def _folders(client: imaplib.IMAP4, root: str) -> list[tuple[str, str]]:
    """(mailbox name, folder below the root) of the root and every mailbox under it."""
    typ, lines = client.list()
    if typ != "OK":
        return []
    out: list[tuple[str, str]] = []
    for line in lines:
        if not isinstance(line, bytes):
            continue
        m = _LIST.match(line)
        if not m or b"\\Noselect" in m["flags"]:
            continue
        delim = m["delim"].strip(b'"').decode() or "/"
        name = m["name"].strip().strip(b'"').decode("utf-8", "replace")
        if name == root:
            out.append((name, ""))
        elif name.startswith(root + delim):
            out.append((name, name[len(root) + 1 :].replace(delim, "/")))
    return sorted(out)


def read(
    account: ImapAccount,
    limits: Limits,
    tz: tzinfo | None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    label = f"imap://{account.user}@{account.host}:{account.port}/{account.folder}"
    client = _connect(account)
    notes: list[ImportNote] = []
    skipped: list[str] = []
    try:
        folders = _folders(client, account.folder)
        if not folders:
            raise ImportRejected(
                label, f"has no {account.folder!r} folder; is Notes syncing to this account?"
            )
        total = 0
        for mailbox, folder in folders:
            typ, _ = client.select(_quoted(mailbox), readonly=True)
            if typ != "OK":
                skipped.append(f"{mailbox}: cannot be opened")
                continue
            typ, data = client.uid("SEARCH", "ALL")
            uids = data[0].split() if typ == "OK" and data and data[0] else []
            total += len(uids)
            if total > limits.max_files:
                raise ImportRejected(
                    label, f"holds more than {limits.max_files:,} notes; import a part of it"
                )
            for start in range(0, len(uids), BATCH):
                batch = uids[start : start + BATCH]
                sizes = _sizes(client, batch)
                wanted = []
                for uid in batch:
                    size = sizes.get(uid, 0)
                    if size > limits.max_text_bytes:
                        raise ImportRejected(
                            f"{label}/{folder or account.folder} message {uid.decode()}",
                            f"is {human(size)}, over the {human(limits.max_text_bytes)} limit per note",
                        )
                    wanted.append(uid)
                for uid, raw in _bodies(client, wanted):
                    where = f"{label}/{folder or account.folder} message {uid}"
                    notes.append(_note(where, raw, folder, tz, skipped))
                if progress:
                    progress("reading", len(notes), total)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    groups = sorted({n.group for n in notes if n.group})
    proposed = {g: propose(g.split("/")[0]) for g in groups}
    for group, place in (mapping or {}).items():
        if place not in PLACES:
            raise ImportRejected(group, f"cannot be mapped to {place!r}; use one of: {', '.join(PLACES)}")
        if group not in proposed:
            raise ImportRejected(label, f"has no folder named {group!r}")
        proposed[group] = place
    notes = [
        replace(
            n, entity=n.group.split("/")[-1] if proposed.get(n.group, "none") not in ("none", "daily") else ""
        )
        for n in notes
    ]
    return ImportPlan("apple-notes", label, notes, proposed, {}, skipped)


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sizes(client: imaplib.IMAP4, uids: list[bytes]) -> dict[bytes, int]:
    typ, data = client.uid("FETCH", b",".join(uids).decode(), "(RFC822.SIZE)")
    out: dict[bytes, int] = {}
    for item in data if typ == "OK" else []:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid = re.search(rb"UID (\d+)", line)
        size = re.search(rb"RFC822\.SIZE (\d+)", line)
        if uid and size:
            out[uid[1]] = int(size[1])
    return out


def _bodies(client: imaplib.IMAP4, uids: list[bytes]) -> list[tuple[str, bytes]]:
    if not uids:
        return []
    typ, data = client.uid("FETCH", b",".join(uids).decode(), "(BODY.PEEK[])")
    out: list[tuple[str, bytes]] = []
    for item in data if typ == "OK" else []:
        if isinstance(item, tuple) and len(item) == 2:
            uid = re.search(rb"UID (\d+)", item[0])
            out.append((uid[1].decode() if uid else "?", item[1]))
    return out


def _note(where: str, raw: bytes, folder: str, tz: tzinfo | None, skipped: list[str]) -> ImportNote:
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the email package raises many kinds on a broken message
        raise ImportRejected(where, f"is not a readable message ({exc})") from None
    assert isinstance(msg, EmailMessage)
    title = str(msg.get("Subject", "") or "").strip()
    at = None
    if msg.get("Date"):
        try:
            at = parsedate_to_datetime(str(msg["Date"]))
            at = at.astimezone(tz) if at.tzinfo else at.replace(tzinfo=tz)
        except (TypeError, ValueError):
            at = None
    key = str(msg.get("X-Universally-Unique-Identifier") or msg.get("Message-ID") or where).strip()
    part = msg.get_body(preferencelist=("html", "plain"))
    if part is None:
        raise ImportRejected(where, "has no text or HTML body")
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError, ValueError) as exc:
        raise ImportRejected(where, f"has a body in an unreadable encoding ({exc})") from None
    body = html_to_text(content) if part.get_content_type() == "text/html" else str(content)
    body = body.strip()
    lines = body.splitlines()
    if title and lines and lines[0].strip() == title:
        body = "\n".join(lines[1:]).strip()  # Notes repeats the title as the first line
    others = [p for p in msg.iter_attachments()]
    if others:
        skipped.append(f"{where}: {len(others)} attachment(s) left in iCloud")
    if len(body) > MAX_NOTE_CHARS:
        raise ImportRejected(where, f"is longer than a note may be ({MAX_NOTE_CHARS:,} characters)")
    title = title or (lines[0][:80] if lines else "Untitled note")
    return ImportNote(
        key=key,
        title=title,
        body=body or f"# {title}",
        at=at,
        group=folder,
        meta={"folder": folder, "mailbox_title": title},
    )


class _Text(HTMLParser):
    BLOCK = frozenset({"div", "p", "br", "li", "h1", "h2", "h3", "tr", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")
            if tag == "li":
                self.out.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("div", "p", "h1", "h2", "h3"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.out)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines()))
