"""The loopback links a voice memo is played through: served from memory, short-lived, few uses.

A real server on 127.0.0.1 answers real HTTP requests; the clock is moved by hand for expiry.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from app.ui.memo_links import MAX_FETCHES, MemoLinks

MEMO = b"RIFF....WAVEfmt " + bytes(range(256)) * 4


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def links(clock: Clock) -> Iterator[MemoLinks]:
    served = MemoLinks(ttl_s=60, clock=clock)
    yield served
    served.close()


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urlopen(url, timeout=5) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def test_a_link_serves_the_memo_from_loopback_with_no_caching(links: MemoLinks) -> None:
    url = links.link(MEMO, "audio/wav")
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    assert len(parts.path.rsplit("/", 1)[1]) >= 43  # 32 random bytes, URL-safe base64
    with urlopen(url, timeout=5) as response:
        assert response.read() == MEMO
        assert response.headers["Content-Type"] == "audio/wav"
        assert response.headers["Cache-Control"] == "no-store"


def test_a_link_answers_a_few_requests_then_is_gone(links: MemoLinks) -> None:
    url = links.link(MEMO, "audio/wav")
    for _ in range(MAX_FETCHES):
        assert fetch(url)[0] == 200
    status, body, mime = fetch(url)
    assert (status, mime) == (404, "text/plain; charset=utf-8")
    assert b"Press Play again" in body


def test_a_link_expires_and_a_new_one_drops_the_old(links: MemoLinks, clock: Clock) -> None:
    old = links.link(MEMO, "audio/wav")
    new = links.link(b"another memo", "audio/ogg")
    assert fetch(old)[0] == 404
    assert fetch(new)[:2] == (200, b"another memo")
    clock.now += 61
    assert fetch(new)[0] == 404


def test_guessed_and_foreign_paths_get_nothing(links: MemoLinks) -> None:
    url = links.link(MEMO, "audio/wav")
    base = url.rsplit("/", 1)[0]
    assert fetch(base + "/not-the-token")[0] == 404
    assert fetch(url.replace("/voice-memo/", "/other/"))[0] == 404
