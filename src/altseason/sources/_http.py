"""The one HTTP client every connector shares.

:class:`HttpClient` wraps an ``httpx.Client`` and adds what every provider
needs: a User-Agent from :class:`~altseason.config.Settings`, timeouts,
bounded retries with exponential backoff and full jitter on HTTP 429 and 5xx
(honouring ``Retry-After``), a per-source rate limit (a token bucket), and
errors that never carry an API key (URLs and messages are scrubbed).

Tests inject an ``httpx.MockTransport`` through ``transport=`` and a fake
``sleep``/``clock`` pair so backoff and rate limiting never really wait.

Errors
------
* HTTP 451 -> :class:`~altseason.exceptions.RegionBlockedError` (no retry).
* HTTP 429 after the last attempt -> :class:`~altseason.exceptions.RateLimitError`.
* 5xx, timeouts and connection failures after the last attempt, other 4xx
  at once, and bodies that are not valid JSON -> :class:`~altseason.exceptions.SourceError`.
* A redirect to another origin (scheme, host or port) is not followed: it
  raises :class:`~altseason.exceptions.SourceError` at once, so API-key
  headers never travel to a host they were not meant for. Redirects within
  the same origin are followed (at most :data:`MAX_REDIRECTS`).

``Settings.base_url(source)`` (``ALTSEASON_<SOURCE>_BASE_URL``) replaces the
scheme and host of every request tagged with that source (mirrors, tests).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from altseason.config import Settings
from altseason.exceptions import RateLimitError, RegionBlockedError, SourceError

__all__ = ["HttpClient", "RateLimiter", "RetryPolicy", "scrub_url"]

log = logging.getLogger("altseason.sources")

#: Query parameters whose values are credentials, whatever the provider.
SECRET_PARAMS = frozenset(
    {"api_key", "apikey", "key", "token", "access_token", "x_cg_demo_api_key", "x_cg_pro_api_key"}
)
_MASK = "***"
#: Same-origin redirects followed per request.
MAX_REDIRECTS = 5


def scrub_url(url: str | httpx.URL, secrets: Iterable[str] = ()) -> str:
    """A URL safe to log or show: credential parameters and known secrets masked.

    Parameters
    ----------
    url
        The request URL.
    secrets
        Secret values (API keys) to mask wherever they appear.
    """
    text = str(url)
    parts = urlsplit(text)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        pairs = [(k, _MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
        text = urlunsplit(parts._replace(query=urlencode(pairs, safe=",:")))
    return scrub_text(text, secrets)


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret value replaced by ``***``."""
    for s in secrets:
        if s:
            text = text.replace(s, _MASK)
    return re.sub(r"(?i)(api_key=)[^&\s]+", r"\1" + _MASK, text)


class _ScrubFilter(logging.Filter):
    """Masks API keys in the records of the ``httpx`` logger, which logs every
    request URL at INFO (with the key when a provider takes it as a parameter)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = scrub_text(text, self.secrets)
        if clean != text:
            record.msg, record.args = clean, ()
        return True


_LOG_SCRUB = _ScrubFilter()
logging.getLogger("httpx").addFilter(_LOG_SCRUB)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries.

    Attributes
    ----------
    max_attempts
        Attempts per request, the first included (>= 1).
    backoff_base, backoff_max
        Seconds: the n-th retry waits ``uniform(0, min(max, base * 2**(n-1)))``
        (exponential backoff with full jitter) unless the server sent
        ``Retry-After``, which is honoured (capped at ``retry_after_max``).
    retry_statuses
        HTTP statuses that are retried.
    """

    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    retry_after_max: float = 300.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504, 520, 522, 524})

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based), with full jitter."""
        cap = min(self.backoff_max, self.backoff_base * 2 ** (retry - 1))
        return rng.uniform(0.0, cap)


class RateLimiter:
    """A token bucket: ``rate`` calls per second on average, bursts up to ``burst``.

    ``clock`` and ``sleep`` are injectable so tests run without waiting.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()

    @classmethod
    def per_minute(cls, calls: float, burst: int = 1, **kwargs: Any) -> RateLimiter:
        """A limiter allowing ``calls`` per minute."""
        return cls(calls / 60.0, burst, **kwargs)

    def acquire(self) -> float:
        """Take one token, sleeping until one is free; returns the seconds slept."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        wait = (1.0 - self._tokens) / self.rate
        self._sleep(wait)
        self._tokens = 0.0
        self._last = self._clock()
        return wait


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), if any."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """Shared HTTP client for the connectors.

    Parameters
    ----------
    settings
        Gives the User-Agent and the API keys to scrub. Optional: without it
        pass ``user_agent`` and ``secrets``.
    transport
        An ``httpx`` transport; tests pass ``httpx.MockTransport``.
    sleep, clock
        Injectable ``time.sleep`` / ``time.monotonic`` for backoff and rate limits.
    timeout
        Seconds for connect/read/write/pool.
    retry
        The :class:`RetryPolicy`.
    seed
        Seed of the jitter generator (reproducible tests).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        user_agent: str | None = None,
        secrets: Iterable[str] = (),
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        ua = user_agent or (settings.user_agent if settings else "altseason")
        self._secrets = [*(settings.secrets() if settings else []), *secrets]
        _LOG_SCRUB.secrets.update(s for s in self._secrets if s)
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self._rng = random.Random(seed)
        self._limits: dict[str, RateLimiter] = {}
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": ua, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,  # see _send: same-origin redirects only
        )
        self.requests_made = 0

    # ------------------------------------------------------------------ life cycle
    def close(self) -> None:
        """Close the underlying connection pool."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ configuration
    def add_secret(self, secret: str | None) -> None:
        """Register another value to scrub from URLs and messages."""
        if secret:
            self._secrets.append(secret)
            _LOG_SCRUB.secrets.add(secret)

    def set_rate_limit(self, source: str, calls_per_minute: float, burst: int = 1) -> None:
        """Limit requests tagged ``source`` to ``calls_per_minute`` (token bucket)."""
        self._limits[source] = RateLimiter.per_minute(
            calls_per_minute, burst, clock=self.clock, sleep=self.sleep
        )

    def scrub(self, text: str | httpx.URL) -> str:
        """``text`` (a URL or message) with every secret masked."""
        return scrub_url(text, self._secrets)

    # ------------------------------------------------------------------ requests
    def get(
        self,
        url: str,
        *,
        source: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        blocked_hint: str = "",
        hint: str = "",
    ) -> httpx.Response:
        """GET with rate limiting, retries and scrubbed errors.

        Parameters
        ----------
        url
            Absolute URL.
        source
            Tag selecting the rate limit (e.g. ``"coingecko"``).
        params, headers
            Query parameters and extra headers (API keys go in headers where
            the provider allows it).
        blocked_hint
            Appended to the :class:`RegionBlockedError` message on HTTP 451
            (the alternatives for that provider).
        hint
            Appended to the message of other non-retried HTTP errors.

        Returns
        -------
        httpx.Response
            A 2xx response.
        """
        url = self._rebase(url, source)
        try:
            request = self._client.build_request(
                "GET",
                url,
                params={k: v for k, v in params.items() if v is not None} if params else None,
                headers=dict(headers or {}),
            )
        except httpx.InvalidURL as exc:
            raise SourceError(
                f"{source}: cannot request {self.scrub(url)!r}: {self.scrub(str(exc))}; the "
                "provider sent a malformed link or the base URL is wrong."
            ) from None
        shown = self.scrub(request.url)
        limiter = self._limits.get(source)
        policy = self.retry
        last_status: int | None = None
        last_reason = ""
        for attempt in range(1, policy.max_attempts + 1):
            if limiter is not None:
                limiter.acquire()
            self.requests_made += 1
            log.debug("GET %s (attempt %d/%d)", shown, attempt, policy.max_attempts)
            try:
                response = self._send(request, source, shown)
            except httpx.TimeoutException as exc:
                last_status, last_reason = None, f"timed out ({type(exc).__name__})"
                wait = policy.backoff(attempt, self._rng)
            except httpx.TransportError as exc:
                last_status = None
                last_reason = f"connection failed: {self.scrub(str(exc)) or type(exc).__name__}"
                wait = policy.backoff(attempt, self._rng)
            except httpx.DecodingError as exc:
                raise SourceError(
                    f"{source} sent a body that cannot be decoded ({type(exc).__name__}: "
                    f"{self.scrub(str(exc))}); the response is corrupt or mislabelled. Retry later.",
                    url=shown,
                ) from None
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return response
                if status == 451:
                    raise RegionBlockedError(
                        f"{source} refuses requests from this region (HTTP 451 Unavailable For "
                        f"Legal Reasons). {blocked_hint}".strip(),
                        url=shown,
                        status=status,
                    )
                if status not in policy.retry_statuses:
                    raise SourceError(
                        f"{source} answered HTTP {status} {response.reason_phrase}"
                        f"{self._body_hint(response)}. {hint or _status_fix(status, source)}",
                        url=shown,
                        status=status,
                    )
                last_status, last_reason = status, f"HTTP {status}"
                advised = _retry_after(response)
                if advised is not None:
                    wait = min(advised, policy.retry_after_max)
                else:
                    wait = policy.backoff(attempt, self._rng)
                response.close()
            if attempt < policy.max_attempts:
                log.info("%s %s; retry %d in %.1f s", shown, last_reason, attempt, wait)
                self.sleep(wait)
        if last_status == 429:
            raise RateLimitError(
                f"{source} kept answering HTTP 429 Too Many Requests after "
                f"{policy.max_attempts} attempts. Wait a few minutes, fetch fewer assets, or "
                "configure an API key for a higher rate limit.",
                url=shown,
                status=429,
            )
        raise SourceError(
            f"{source} request failed after {policy.max_attempts} attempts: {last_reason}. "
            "Check the connection and retry later; the fetch resumes where it stopped.",
            url=shown,
            status=last_status,
        )

    def _rebase(self, url: str, source: str) -> str:
        """``url`` sent to the source's base-URL override (scheme and host), if any."""
        base = self.settings.base_url(source) if self.settings is not None else None
        if not base:
            return url
        parts, target = urlsplit(url), urlsplit(base)
        if (parts.scheme, parts.netloc) == (target.scheme, target.netloc):
            return url
        return urlunsplit(parts._replace(scheme=target.scheme, netloc=target.netloc))

    def _send(self, request: httpx.Request, source: str, shown: str) -> httpx.Response:
        """Send, following redirects only within the request's origin."""
        origin = (request.url.scheme, request.url.host, request.url.port)
        response = self._client.send(request)
        for _ in range(MAX_REDIRECTS):
            nxt = response.next_request
            if nxt is None:
                return response
            response.close()
            if (nxt.url.scheme, nxt.url.host, nxt.url.port) != origin:
                raise SourceError(
                    f"{source} redirected the request to another origin "
                    f"({self.scrub(nxt.url)}); redirects to other hosts are not followed. "
                    "The provider moved or a proxy intercepts the request; check the URL.",
                    url=shown,
                    status=response.status_code,
                )
            response = self._client.send(nxt)
        if response.next_request is None:
            return response
        response.close()
        raise SourceError(
            f"{source} redirected more than {MAX_REDIRECTS} times; giving up.",
            url=shown,
            status=response.status_code,
        )

    def get_json(
        self,
        url: str,
        *,
        source: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        blocked_hint: str = "",
        hint: str = "",
    ) -> tuple[Any, str]:
        """GET and decode JSON; returns ``(payload, scrubbed_url)``.

        Raises
        ------
        SourceError
            If the body is not valid JSON (truncated, HTML error page, ...).
        """
        response = self.get(
            url,
            source=source,
            params=params,
            headers=headers,
            blocked_hint=blocked_hint,
            hint=hint,
        )
        shown = self.scrub(response.request.url)
        try:
            return json.loads(response.content), shown
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise SourceError(
                f"{source} sent a body that is not valid JSON ({exc.__class__.__name__}: "
                f"{exc}){self._body_hint(response)}. The response may be truncated or an "
                "error page; retry later.",
                url=shown,
                status=response.status_code,
            ) from exc

    def get_text(
        self,
        url: str,
        *,
        source: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        blocked_hint: str = "",
        hint: str = "",
    ) -> tuple[str, str]:
        """GET and decode text; returns ``(text, scrubbed_url)``."""
        response = self.get(
            url,
            source=source,
            params=params,
            headers=headers,
            blocked_hint=blocked_hint,
            hint=hint,
        )
        return response.text, self.scrub(response.request.url)

    def _body_hint(self, response: httpx.Response) -> str:
        try:
            body = response.text.strip().replace("\n", " ")
        except (httpx.ResponseNotRead, UnicodeDecodeError):
            return ""
        if not body:
            return ""
        return f" (body starts: {self.scrub(body[:160])!r})"


def _status_fix(status: int, source: str) -> str:
    if status in (401, 403):
        return (
            f"Check the {source} API key and plan in the environment (see 'altseason fetch "
            "--help'); some sites also refuse automated clients."
        )
    if status == 404:
        return "The id or endpoint does not exist; check the asset or series id."
    if status == 400:
        return "The provider rejected the request parameters; check dates and ids."
    return "Retry later; if it persists the provider may have changed its API."
