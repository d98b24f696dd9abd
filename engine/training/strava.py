"""Strava's API when online: the OAuth code exchange and refresh, a harvest of recent activities
with their streams, webhook events, and rate limits honoured.

The coachee creates their own Strava API application (Strava gives each one a client id and
secret), authorises it once in a browser and pastes the code it returns; the tokens are kept in the
encrypted profile and refreshed when they expire (Strava's access tokens last six hours). Requests
go through httpx with a `transport=` so tests run the real client against a loopback server that
speaks Strava's shapes.

Rate limits: Strava counts requests per 15 minutes and per day and says so in `X-RateLimit-Limit`
and `X-RateLimit-Usage` ("200,2000" / "201,350"). A 429 over the 15-minute limit waits for the next
quarter hour; one over the daily limit stops with a clear error (tomorrow it works again); any
other 429 or 5xx backs off exponentially. Retries are bounded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from engine.errors import StravaError
from engine.training.parsers import Track, normal_sport

DEFAULT_BASE_URL = "https://www.strava.com"
STREAM_KEYS = "time,heartrate,distance,latlng,altitude"
PER_PAGE = 100
MAX_PAGES = 50  # 5,000 activities in one harvest; the next sync continues after the newest
MAX_RETRIES = 4
REFRESH_MARGIN_S = 300  # refresh a token that expires within five minutes
Sleep = Callable[[float], None]


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: int  # epoch seconds
    athlete_id: str

    @classmethod
    def from_response(cls, data: dict[str, Any], athlete_id: str | None = None) -> Tokens:
        try:
            athlete = data.get("athlete") or {}
            return cls(
                str(data["access_token"]),
                str(data["refresh_token"]),
                int(data["expires_at"]),
                str(athlete.get("id", athlete_id or "")),
            )
        except (KeyError, TypeError, ValueError):
            raise StravaError("Strava's token response is missing the tokens") from None


def wait_for_rate_limit(headers: httpx.Headers, now: float, attempt: int) -> float:
    """Seconds to wait after a 429: to the next quarter hour when the 15-minute window is used up;
    an error when the day's is; else exponential back-off (1, 2, 4, … s)."""
    limits = _pair(headers.get("X-RateLimit-Limit"))
    usage = _pair(headers.get("X-RateLimit-Usage"))
    if limits and usage:
        if usage[1] >= limits[1]:
            raise StravaError(
                f"Strava's daily request limit is used up ({usage[1]} of {limits[1]}); try again tomorrow"
            )
        if usage[0] >= limits[0]:
            return math.ceil(now / 900) * 900 - now or 900.0
    return float(2**attempt)


def _pair(text: str | None) -> tuple[int, int] | None:
    try:
        short, daily = (int(x) for x in (text or "").split(","))
    except ValueError:
        return None
    return short, daily


class StravaClient:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        now: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        self._sleep = sleep
        self._now = now
        self.waited: list[float] = []  # what the rate limit made us wait, for the caller's report

    def close(self) -> None:
        self._http.close()

    # -- OAuth ---------------------------------------------------------------------------------

    def exchange(self, code: str) -> Tokens:
        data = self._token({"grant_type": "authorization_code", "code": code})
        return Tokens.from_response(data)

    def refresh(self, tokens: Tokens) -> Tokens:
        data = self._token({"grant_type": "refresh_token", "refresh_token": tokens.refresh_token})
        return Tokens.from_response(data, tokens.athlete_id)

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        body = {"client_id": self.client_id, "client_secret": self.client_secret, **form}
        response = self._send("POST", "/oauth/token", data=body)
        if response.status_code in (400, 401):
            raise StravaError(f"Strava refused the authorisation ({_message(response)}); authorise again")
        return _json(response)

    # -- the API -------------------------------------------------------------------------------

    def activities(self, tokens: Tokens, after: int) -> Iterator[dict[str, Any]]:
        """Summaries of the athlete's activities that started after `after` (epoch s), oldest first."""
        for page in range(1, MAX_PAGES + 1):
            response = self._api(
                tokens, "/api/v3/athlete/activities", {"after": after, "page": page, "per_page": PER_PAGE}
            )
            batch = _json(response)
            if not isinstance(batch, list):
                raise StravaError("Strava's activity list is not a list")
            yield from sorted(batch, key=lambda a: str(a.get("start_date", "")))
            if len(batch) < PER_PAGE:
                return

    def activity(self, tokens: Tokens, activity_id: str) -> dict[str, Any]:
        return _json(self._api(tokens, f"/api/v3/activities/{activity_id}", {}))

    def streams(self, tokens: Tokens, activity_id: str) -> dict[str, Any]:
        response = self._api(
            tokens, f"/api/v3/activities/{activity_id}/streams", {"keys": STREAM_KEYS, "key_by_type": "true"}
        )
        if response.status_code == 404:
            return {}  # an activity without streams (entered by hand)
        return _json(response)

    def _api(self, tokens: Tokens, path: str, params: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        response = self._send("GET", path, params=params, headers=headers)
        if response.status_code == 401:
            raise TokenExpired
        if response.status_code == 404 and path.endswith("/streams"):
            return response
        if response.status_code >= 400:
            raise StravaError(f"Strava answered {response.status_code} for {path} ({_message(response)})")
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                if attempt == MAX_RETRIES:
                    raise StravaError(f"Strava cannot be reached ({exc})") from None
                self._wait(float(2**attempt))
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == MAX_RETRIES:
                    raise StravaError(
                        f"Strava is still refusing after {MAX_RETRIES} retries ({response.status_code})"
                    )
                wait = (
                    wait_for_rate_limit(response.headers, self._now(), attempt)
                    if response.status_code == 429
                    else float(2**attempt)
                )
                self._wait(wait)
                continue
            return response
        raise AssertionError("unreachable")

    def _wait(self, seconds: float) -> None:
        self.waited.append(seconds)
        self._sleep(seconds)


class TokenExpired(Exception):
    """The access token was refused (401): refresh it and ask again, once."""


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise StravaError(f"Strava's answer is not JSON ({response.status_code})") from None


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return str(response.status_code)
    return (
        str(data.get("message", response.status_code))
        if isinstance(data, dict)
        else str(response.status_code)
    )


def start_of(summary: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(summary["start_date"]).replace("Z", "+00:00")).astimezone(UTC)
    except (KeyError, ValueError):
        raise StravaError(f"Strava activity {summary.get('id')} has no readable start date") from None


def track_from(summary: dict[str, Any], streams: dict[str, Any]) -> Track | None:
    """A `Track` from an activity's summary and its streams (None when it has no time stream)."""
    start = start_of(summary)
    times = (streams.get("time") or {}).get("data") or []
    if len(times) < 2:
        return None

    def channel(name: str) -> list[Any]:
        data = (streams.get(name) or {}).get("data") or []
        return data if len(data) == len(times) else [None] * len(times)

    hr, distance, latlng, altitude = (
        channel("heartrate"),
        channel("distance"),
        channel("latlng"),
        channel("altitude"),
    )
    track = Track(
        normal_sport(summary.get("sport_type") or summary.get("type")), start, str(summary.get("name", ""))
    )
    for i, t in enumerate(times):
        point = latlng[i] if isinstance(latlng[i], list | tuple) and len(latlng[i]) == 2 else (None, None)
        track.seconds.append(float(t))
        track.heart_rate.append(_f(hr[i]))
        track.distance.append(_f(distance[i]))
        track.lat.append(_f(point[0]))
        track.lon.append(_f(point[1]))
        track.altitude.append(_f(altitude[i]))
    return track


def _f(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def webhook_challenge(params: dict[str, str], verify_token: str) -> dict[str, str]:
    """The answer to Strava's subscription check (GET with hub.mode, hub.verify_token, hub.challenge)."""
    if params.get("hub.mode") != "subscribe" or params.get("hub.verify_token") != verify_token:
        raise StravaError("a webhook subscription check with the wrong verify token")
    return {"hub.challenge": params.get("hub.challenge", "")}
