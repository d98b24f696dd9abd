"""A fake of Strava's API on a loopback socket, speaking its shapes: the OAuth token endpoint
(authorization code and refresh grants), the athlete's activity list, one activity, its streams
(`key_by_type=true`), 401 for an expired or revoked token, and 429 with `X-RateLimit-Limit` /
`X-RateLimit-Usage` headers. Strava itself cannot be reached from tests (nor should it be), so the
client is tested against this; the names of the tests say so.
"""

from __future__ import annotations

import http.server
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN_LIFETIME_S = 6 * 3600  # Strava's access tokens last six hours


@dataclass
class FakeStrava:
    client_id: str
    client_secret: str
    athlete_id: int
    now: Callable[[], float]
    codes: set[str] = field(default_factory=set)
    activities: list[dict[str, Any]] = field(default_factory=list)
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    access: dict[str, float] = field(default_factory=dict)  # token → expires at
    refresh_tokens: set[str] = field(default_factory=set)
    limit: tuple[int, int] = (100, 1000)
    usage: list[int] = field(default_factory=lambda: [0, 0])
    throttle: int = 0  # the next N API requests answer 429 (15-minute window used up)
    daily_exhausted: bool = False
    log: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    def add_run(self, activity_id: int, start: datetime, minutes: int, pace: float, hr: float | None) -> None:
        """An activity with its streams (one sample per second), or without streams when hr is None
        and no distance is wanted (entered by hand)."""
        seconds = minutes * 60
        summary = {
            "id": activity_id,
            "name": f"Run {activity_id}",
            "type": "Run",
            "sport_type": "Run",
            "start_date": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "elapsed_time": seconds,
            "moving_time": seconds,
            "distance": round(1000 / pace * seconds, 1),
            "has_heartrate": hr is not None,
        }
        self.activities.append(summary)
        if hr is not None:
            times = list(range(0, seconds + 1))
            self.streams[str(activity_id)] = {
                "time": {
                    "data": times,
                    "series_type": "distance",
                    "original_size": len(times),
                    "resolution": "high",
                },
                "distance": {"data": [round(1000 / pace * t, 1) for t in times]},
                "heartrate": {"data": [round(hr) for _ in times]},
                "latlng": {"data": [[51.5 + 1000 / pace * t / 111_195, -0.12] for t in times]},
                "altitude": {"data": [20.0 for _ in times]},
            }

    def revoke_access(self) -> None:
        """The coachee revoked the app, or Strava expired the token early: the next call gets 401."""
        self.access.clear()

    # -- the endpoints ----------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], auth: str
    ) -> tuple[int, dict[str, str], Any]:
        self.log.append((method, path, {**query, **form}))
        if method == "POST" and path == "/oauth/token":
            return self._token(form)
        if not path.startswith("/api/v3/"):
            return 404, {}, {"message": "Record Not Found"}
        headers = self._count()
        if self.daily_exhausted or self.throttle > 0:
            self.throttle = max(0, self.throttle - 1)
            return (
                429,
                headers,
                {
                    "message": "Rate Limit Exceeded",
                    "errors": [{"resource": "Application", "code": "exceeded"}],
                },
            )
        token = auth.removeprefix("Bearer ").strip()
        if self.access.get(token, 0) <= self.now():
            return (
                401,
                headers,
                {
                    "message": "Authorization Error",
                    "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
                },
            )
        if path == "/api/v3/athlete/activities":
            after = float(query.get("after", 0))
            page, per_page = int(query.get("page", 1)), int(query.get("per_page", 30))
            chosen = [a for a in self.activities if _epoch(a["start_date"]) > after]
            chosen.sort(key=lambda a: a["start_date"], reverse=True)
            return 200, headers, chosen[(page - 1) * per_page : page * per_page]
        parts = path.split("/")
        if len(parts) >= 5 and parts[3] == "activities":
            found = next((a for a in self.activities if str(a["id"]) == parts[4]), None)
            if found is None:
                return 404, headers, {"message": "Record Not Found"}
            if len(parts) == 6 and parts[5] == "streams":
                streams = self.streams.get(parts[4])
                return (200, headers, streams) if streams else (404, headers, {"message": "Record Not Found"})
            return 200, headers, found
        return 404, headers, {"message": "Record Not Found"}

    def _count(self) -> dict[str, str]:
        self.usage[0] += 1
        self.usage[1] += 1
        usage = (self.limit[0] + 1, self.usage[1]) if self.throttle else tuple(self.usage)
        if self.daily_exhausted:
            usage = (self.usage[0], self.limit[1])
        return {
            "X-RateLimit-Limit": f"{self.limit[0]},{self.limit[1]}",
            "X-RateLimit-Usage": f"{usage[0]},{usage[1]}",
        }

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return (
                401,
                {},
                {"message": "Bad Request", "errors": [{"resource": "Application", "code": "invalid"}]},
            )
        grant = form.get("grant_type")
        if grant == "authorization_code" and form.get("code") in self.codes:
            self.codes.discard(form["code"])  # a code is good once
        elif grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            self.refresh_tokens.discard(form["refresh_token"])
        else:
            return (
                400,
                {},
                {
                    "message": "Bad Request",
                    "errors": [{"resource": "RequestToken", "field": "code", "code": "invalid"}],
                },
            )
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        expires_at = int(self.now()) + TOKEN_LIFETIME_S
        self.access[access] = expires_at
        self.refresh_tokens.add(refresh)
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": expires_at,
            "expires_in": TOKEN_LIFETIME_S,
        }
        if grant == "authorization_code":
            body["athlete"] = {"id": self.athlete_id, "firstname": "Test", "lastname": "Runner"}
        return 200, {}, body


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@contextmanager
def serve_strava(fake: FakeStrava) -> Iterator[FakeStrava]:
    """Serve `fake` on 127.0.0.1 (a free port) for the block; `fake.url` is its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            parts = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            status, headers, body = fake.handle(
                method, parts.path, query, form, self.headers.get("Authorization", "")
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
