"""Test support for coach packs and chat: the Stoic pack built once, a mock of a cloud LLM (an
OpenAI-compatible chat-completions server, in-process or on a loopback socket), and a loopback file
server that honours Range requests and can cut its first response short."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from engine.types import Models, build_pack, token_counter

REPO = Path(__file__).resolve().parents[1]
STOIC_SRC = REPO / "assets" / "coaches" / "stoic"
VECTOR_CACHE = REPO / "testkit" / "data" / "stoic_vectors.npz"


def build_stoic(models: Models, out: Path) -> Any:
    """Build the Stoic pack with the real embedder. Vectors of unchanged passages come from the saved
    output of the same embedder (testkit/data/stoic_vectors.npz): embedding 3,139 windows takes minutes
    on two busy cores. `test_pack_vectors_are_the_embedders` re-embeds a sample live to prove it."""
    embedder = models.embedder
    return build_pack(
        STOIC_SRC,
        out,
        embedder=embedder,
        count_tokens=token_counter(embedder),
        window=embedder.max_tokens,
        reuse=VECTOR_CACHE if VECTOR_CACHE.is_file() else None,
    )


# -- a mock of a cloud LLM: an OpenAI-compatible /v1/chat/completions ------------------------------


class MockCloudLLM:
    """Speaks the OpenAI chat-completions wire format (SSE streaming, tool calls, error bodies).

    Behaviour follows the request, as a model's would: offered tools and asked to "look it up", it
    calls `search_knowledge`; given a tool result, it answers citing the first passage id in it;
    otherwise it streams a short reply word by word. `fail` lists status codes to answer first
    (e.g. [429]), and `delay` holds the response back to provoke client timeouts.
    """

    def __init__(self, *, fail: list[int] | None = None, delay: float = 0.0) -> None:
        self.fail = list(fail or [])
        self.delay = delay
        self.requests: list[dict[str, Any]] = []

    def respond(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], list[bytes]]:
        if not path.endswith("/chat/completions"):
            return 404, {"content-type": "application/json"}, [b'{"error": {"message": "not found"}}']
        request = json.loads(body)
        self.requests.append({"body": request, "authorization": headers.get("authorization", "")})
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            status = self.fail.pop(0)
            extra = {"retry-after": "0"} if status == 429 else {}
            message = json.dumps(
                {
                    "error": {
                        "message": f"mock error {status}",
                        "type": "rate_limit" if status == 429 else "server",
                    }
                }
            )
            return status, {"content-type": "application/json", **extra}, [message.encode()]
        messages = request["messages"]
        last = messages[-1]
        if last["role"] == "tool":
            found = json.loads(last["content"]).get("passages", [])
            ref = found[0]["id"] if found else "none"
            chunks = self._text(
                f"From what I found, this passage speaks to you [{ref}]. What will you try first?"
            )
        elif request.get("tools") and "look it up" in last["content"]:
            call = {
                "index": 0,
                "id": "call_1",
                "type": "function",
                "function": {"name": "search_knowledge", "arguments": ""},
            }
            args = json.dumps({"query": "things in our power"})
            chunks = [
                _sse({"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}}]}),
                _sse(
                    {
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": args[:10]}}]},
                            }
                        ]
                    }
                ),
                _sse(
                    {
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": args[10:]}}]},
                            }
                        ]
                    }
                ),
                _sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
                b"data: [DONE]\n\n",
            ]
        else:
            system = messages[0]["content"]
            cite = next(
                (line[1 : line.index("]")] for line in system.splitlines() if line.startswith("[")), ""
            )
            chunks = self._text(
                f"I hear you. Epictetus says to focus on what is yours [{cite}]. What is in your control?"
            )
        return 200, {"content-type": "text/event-stream"}, chunks

    def _text(self, text: str) -> list[bytes]:
        words = text.split(" ")
        out = [_sse({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})]
        out += [
            _sse({"choices": [{"index": 0, "delta": {"content": w + (" " if i < len(words) - 1 else "")}}]})
            for i, w in enumerate(words)
        ]
        out += [_sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}), b"data: [DONE]\n\n"]
        return out

    def transport(self) -> httpx.BaseTransport:
        return _InProcess(self)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """The same server on a real loopback socket; yields its base URL."""
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, headers, chunks = app.respond(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("connection", "close")
                    self.end_headers()
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        with _serving(Handler) as base:
            yield base + "/v1"


class _InProcess(httpx.BaseTransport):
    def __init__(self, app: MockCloudLLM) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        status, headers, chunks = self.app.respond(request.url.path, dict(request.headers), request.read())
        return httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(b"".join(chunks)) if status != 200 else _Stream(chunks),
        )


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def _sse(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


# -- a file server with Range support that can cut a response short -------------------------------


class FileServer:
    """Serves files from a folder on 127.0.0.1 with `Range: bytes=N-`; the first `cut` responses
    stop after `cut_at` bytes (the connection closes mid-body, as a dropped download does)."""

    def __init__(self, root: Path, *, cut: int = 0, cut_at: int = 0) -> None:
        self.root = root
        self.cut = cut
        self.cut_at = cut_at
        self.ranges: list[str | None] = []

    @contextmanager
    def serve(self) -> Iterator[str]:
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = app.root / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                header = self.headers.get("Range")
                app.ranges.append(header)
                start = int(header.split("=")[1].split("-")[0]) if header else 0
                body = data[start:]
                self.send_response(206 if header else 200)
                if header:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if app.cut > 0 and path.suffix == ".coach":
                    app.cut -= 1
                    self.wfile.write(body[: app.cut_at])
                    self.wfile.flush()
                    return  # the connection closes short of Content-Length
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        with _serving(Handler) as base:
            yield base


@contextmanager
def _serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
