"""Short-lived, unguessable loopback links to one voice memo's audio, served from memory.

Why not flet-audio: its ``Audio`` service is compiled into flet-web 1.0.5's client, but in that client
it never acts: ``play()`` gets no answer and the browser makes no request (checked in Chromium with a
URL, a ``data:`` URL and raw bytes as the source). What a browser always does is play an audio file
opened in a window of its own. So the app hands the page a link and the page opens it
(``launch_url``) in a tab of its own, the player window.

The link is served by a tiny HTTP server of this process, bound to 127.0.0.1 only, from the
decrypted bytes held in memory: nothing is written to disk and nothing leaves the machine. Each link
carries a random 256-bit token, works for ``LINK_TTL_S`` seconds and answers at most
``MAX_FETCHES`` requests (a browser's media page asks for the file twice: once to learn it is audio,
once for its player), then is forgotten with its bytes. Asking for another memo drops the previous
link at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LINK_TTL_S = 120.0
MAX_FETCHES = 3
HOST = "127.0.0.1"
PATH = "/voice-memo/"
GONE = b"This link to a voice memo has been used or has expired. Press Play again in LifeOS Coach.\n"


@dataclass
class _Memo:
    data: bytes
    mime: str
    expires: float
    fetches: int = 0


class MemoLinks:
    """The links handed out by this process; the server starts with the first one."""

    def __init__(self, ttl_s: float = LINK_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_s
        self._now = clock
        self._memos: dict[str, _Memo] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def link(self, data: bytes, mime: str) -> str:
        """A fresh link to ``data``; every earlier link stops working."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._memos = {token: _Memo(data, mime or "application/octet-stream", self._now() + self._ttl)}
            port = self._serving()
        return f"http://{HOST}:{port}{PATH}{token}"

    def take(self, token: str) -> _Memo | None:
        """The memo behind ``token`` for one request, or None (unknown, expired, used up)."""
        with self._lock:
            memo = self._memos.get(token)
            if memo is None:
                return None
            if memo.expires <= self._now() or memo.fetches >= MAX_FETCHES:
                del self._memos[token]
                return None
            memo.fetches += 1
            return memo

    def close(self) -> None:
        with self._lock:
            self._memos.clear()
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None

    def _serving(self) -> int:
        if self._server is None:
            self._server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
            self._server.daemon_threads = True
            threading.Thread(target=self._server.serve_forever, name="voice-memo-links", daemon=True).start()
        return int(self._server.server_address[1])


def _handler_for(links: MemoLinks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            memo = links.take(self.path[len(PATH) :]) if self.path.startswith(PATH) else None
            if memo is None:
                self._send(404, "text/plain; charset=utf-8", GONE)
                return
            self._send(200, memo.mime, memo.data)

        def _send(self, status: int, mime: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'none'; media-src 'self'")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: a request line would put the token in the app's log."""

    return Handler


LINKS = MemoLinks()
"""This process's links (one app serves one person's profile)."""
