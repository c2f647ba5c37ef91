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

Limits (:class:`~altseason.config.Limits`, each set by an ``ALTSEASON_*`` variable)
-----------------------------------------------------------------------------------
* A deadline per request (every attempt, wait and body read) and one per run
  (the client's life); a ``Retry-After`` wait is capped at ``max_retry_wait``
  and a wait that would pass a deadline fails at once.
* Stall detection: no byte for ``stall_timeout`` seconds ends the attempt.
* Bodies are streamed and decompressed here, in bounded steps (gzip, deflate;
  other encodings are refused): reading stops as soon as the decompressed
  size passes ``max_response_bytes``, so neither a huge body nor a
  compression bomb is ever held in memory.
* :meth:`HttpClient.pages` guards pagination: at most ``max_pages`` pages per
  key, and a page URL seen twice (a ``next_page_url`` returning itself) stops
  at once.

Every message (status reason phrase, body excerpt, URL, exception text) passes
through :meth:`HttpClient.scrub`, which masks the API keys, credential query
parameters and ``user:password@`` in URLs.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import httpx

from altseason.config import Limits, Settings, limit_variable, mask_userinfo
from altseason.exceptions import RateLimitError, RegionBlockedError, SourceError

__all__ = ["HttpClient", "PageGuard", "RateLimiter", "RetryPolicy", "scrub_text", "scrub_url"]

log = logging.getLogger("altseason.sources")

#: Query parameters whose values are credentials, whatever the provider.
SECRET_PARAMS = frozenset(
    {"api_key", "apikey", "key", "token", "access_token", "x_cg_demo_api_key", "x_cg_pro_api_key"}
)
_MASK = "***"
#: Same-origin redirects followed per request.
MAX_REDIRECTS = 5
#: Bytes of an error response read for the message (the rest is not read).
ERROR_BODY_BYTES = 4096
#: Shortest secret masked by plain substring replacement (shorter ones, e.g. a
#: one-letter user name, would mangle every message; URLs still mask userinfo).
_MIN_SECRET = 4


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
    """``text`` with every secret value (also URL-encoded), ``api_key=`` values and
    URL credentials (``user:password@``) replaced by ``***``."""
    for s in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len, reverse=True):
        for form in {s, quote(s, safe=""), quote_plus(s, safe="")}:
            text = text.replace(form, _MASK)
    text = re.sub(r"(?i)\b((?:api_?key|access_token|token)=)[^&\s'\"]+", r"\1" + _MASK, text)
    return mask_userinfo(text)


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
#: Loggers whose records can hold a URL or a status line (httpcore logs per module).
_SCRUBBED_LOGGERS = (
    "httpx",
    "httpcore",
    *(
        f"httpcore.{m}"
        for m in ("connection", "connection_pool", "http11", "http2", "http_proxy", "socks_proxy")
    ),
    "altseason.sources",
)
for _name in _SCRUBBED_LOGGERS:
    logging.getLogger(_name).addFilter(_LOG_SCRUB)


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
    retry_after_max: float = Limits.max_retry_wait
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


class PageGuard:
    """Bounds one paginated walk: at most ``max_pages`` pages, no page twice.

    Get one from :meth:`HttpClient.pages` and call :meth:`visit` with each
    page's identity (its URL and parameters) before requesting it.
    """

    def __init__(self, source: str, what: str, max_pages: int) -> None:
        self.source = source
        self.what = what
        self.max_pages = max_pages
        self.seen: set[str] = set()

    def visit(self, url: str, params: Mapping[str, Any] | None = None, *, shown: str = "") -> None:
        """Record the next page; raises :class:`SourceError` on a repeat or past the cap."""
        key = url if not params else f"{url}?{sorted((k, str(v)) for k, v in params.items())}"
        where = shown or None
        if key in self.seen:
            raise SourceError(
                f"{self.source}: {self.what} pagination returned a page already fetched (the "
                "next-page link points back to a page seen before), so it would never end; "
                "stopped. The provider's paging is broken; retry later or report it.",
                url=where,
            )
        if len(self.seen) >= self.max_pages:
            raise SourceError(
                f"{self.source}: {self.what} needs more than {self.max_pages} pages; stopped at "
                f"the page cap ({limit_variable('max_pages')}={self.max_pages}). Raise it, or "
                "fetch a shorter period with --since.",
                url=where,
            )
        self.seen.add(key)


class _Deadline(Exception):
    """Internal: a deadline passed while reading (turned into a SourceError)."""


class _BoundedDecoder:
    """Content-Encoding decoding in bounded steps: never more than ``limit`` bytes out."""

    def __init__(self, encoding: str) -> None:
        enc = encoding.strip().lower()
        self.encoding = enc
        self._zlib: Any = None
        if enc in ("", "identity"):
            return
        if enc in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._zlib = None  # zlib-wrapped or raw: decided on the first bytes
            self._first = True
        else:
            raise ValueError(enc)

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decoded bytes of ``data``; at most ``limit + 1`` (more means over the cap)."""
        if self.encoding in ("", "identity"):
            return data
        if self._zlib is None:
            wbits = zlib.MAX_WBITS if data[:1] and (data[0] & 0x0F) == 8 else -zlib.MAX_WBITS
            self._zlib = zlib.decompressobj(wbits)
        out: bytes = self._zlib.decompress(data, limit + 1)
        return out

    def flush(self, limit: int) -> bytes:
        if self._zlib is None:
            return b""
        out: bytes = self._zlib.decompress(b"", limit + 1) if self._zlib.unconsumed_tail else b""
        return out + self._zlib.flush()[: limit + 1 - len(out)]

    @property
    def pending(self) -> bool:
        """True when input is waiting that did not fit under the limit."""
        return bool(self._zlib is not None and self._zlib.unconsumed_tail)


def _raw_chunks(response: httpx.Response, size: int) -> Iterable[bytes]:
    """The body as received (still encoded), in chunks."""
    if response.is_stream_consumed and isinstance(response.stream, Iterable):
        # built in memory (an httpx.MockTransport in tests): its raw stream replays
        yield from response.stream
    else:
        yield from response.iter_raw()  # as received: a chunk size would wait to fill it


class HttpClient:
    """Shared HTTP client for the connectors.

    Parameters
    ----------
    settings
        Gives the User-Agent, the API keys to scrub and the :class:`~altseason.config.Limits`.
        Optional: without it pass ``user_agent`` and ``secrets``.
    transport
        An ``httpx`` transport; tests pass ``httpx.MockTransport``.
    sleep, clock
        Injectable ``time.sleep`` / ``time.monotonic`` for backoff, rate limits
        and deadlines.
    timeout
        Seconds without progress (connect, read, write, pool) before an attempt
        is abandoned; default ``limits.stall_timeout``.
    retry
        The :class:`RetryPolicy` (default: 5 attempts, ``Retry-After`` capped at
        ``limits.max_retry_wait``).
    limits
        Deadlines and caps (default ``settings.limits``, else :class:`Limits()`).
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
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        user_agent: str | None = None,
        secrets: Iterable[str] = (),
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self.limits = limits or (settings.limits if settings else Limits())
        ua = user_agent or (settings.user_agent if settings else "altseason")
        self._secrets = [*(settings.secrets() if settings else []), *secrets]
        _LOG_SCRUB.secrets.update(s for s in self._secrets if s)
        self.retry = retry or RetryPolicy(retry_after_max=self.limits.max_retry_wait)
        self.sleep = sleep
        self.clock = clock
        self._rng = random.Random(seed)
        self._limits: dict[str, RateLimiter] = {}
        self.stall_timeout = float(timeout if timeout is not None else self.limits.stall_timeout)
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.stall_timeout),
            headers={"User-Agent": ua, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,  # see _send: same-origin redirects only
        )
        self.requests_made = 0
        self.run_deadline = clock() + self.limits.fetch_deadline

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

    def pages(self, source: str, what: str) -> PageGuard:
        """A :class:`PageGuard` for one paginated walk (``limits.max_pages``)."""
        return PageGuard(source, what, self.limits.max_pages)

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
        """GET with rate limiting, retries, deadlines, a size cap and scrubbed errors.

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
            A 2xx response whose body is read (and decoded) in full.
        """
        try:
            return self._get(url, source, params, headers, blocked_hint, hint)
        except SourceError as exc:
            # defence in depth: whatever a message was built from, no secret leaves
            clean = self.scrub(str(exc))
            if clean != str(exc):
                exc.args = (clean, *exc.args[1:])
            if exc.url:
                exc.url = self.scrub(exc.url)
            raise

    def _get(
        self,
        url: str,
        source: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        blocked_hint: str,
        hint: str,
    ) -> httpx.Response:
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
        limits = self.limits
        last_status: int | None = None
        last_reason = ""
        for attempt in range(1, policy.max_attempts + 1):
            if limiter is not None:
                limiter.acquire()
            deadline, which = self._deadline(self.clock() + limits.request_deadline)
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise self._deadline_error(source, which, shown, last_reason)
            self.requests_made += 1
            log.debug("GET %s (attempt %d/%d)", shown, attempt, policy.max_attempts)
            step = max(0.001, min(self.stall_timeout, remaining))
            request.extensions["timeout"] = httpx.Timeout(step).as_dict()
            try:
                response = self._send(request, source, shown)
                try:
                    status = response.status_code
                    if 200 <= status < 300:
                        return self._read(response, source, shown, deadline, which)
                    error_body = self._read_prefix(response)
                finally:
                    response.close()
            except _Deadline:
                raise self._deadline_error(
                    source, which, shown, "the body was still arriving"
                ) from None
            except httpx.DecodingError as exc:
                raise SourceError(
                    f"{source} sent a body that cannot be decoded ({type(exc).__name__}: "
                    f"{self.scrub(str(exc))}); the response is corrupt or mislabelled. Retry later.",
                    url=shown,
                ) from None
            except httpx.TimeoutException as exc:
                last_status = None
                last_reason = (
                    f"timed out ({type(exc).__name__}: no data for {step:.3g} s; "
                    f"{limit_variable('stall_timeout')})"
                )
                wait = policy.backoff(attempt, self._rng)
            except httpx.TransportError as exc:
                last_status = None
                last_reason = f"connection failed: {self.scrub(str(exc)) or type(exc).__name__}"
                wait = policy.backoff(attempt, self._rng)
            else:
                reason = self.scrub(response.reason_phrase)
                if status == 451:
                    raise RegionBlockedError(
                        f"{source} refuses requests from this region (HTTP 451 Unavailable For "
                        f"Legal Reasons). {blocked_hint}".strip(),
                        url=shown,
                        status=status,
                    )
                if status not in policy.retry_statuses:
                    raise SourceError(
                        f"{source} answered HTTP {status} {reason}"
                        f"{self._body_hint(error_body)}. {hint or _status_fix(status, source)}",
                        url=shown,
                        status=status,
                    )
                last_status, last_reason = status, f"HTTP {status}"
                advised = _retry_after(response)
                if advised is not None:
                    wait = min(advised, policy.retry_after_max)
                else:
                    wait = policy.backoff(attempt, self._rng)
            if attempt < policy.max_attempts:
                if self.clock() + wait > self.run_deadline:
                    raise self._deadline_error(
                        source,
                        "fetch_deadline",
                        shown,
                        f"{last_reason}; the next retry would wait {wait:.0f} s",
                    )
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

    def _deadline(self, request_deadline: float) -> tuple[float, str]:
        """The nearer of the request's and the run's deadline, and which it is."""
        if request_deadline <= self.run_deadline:
            return request_deadline, "request_deadline"
        return self.run_deadline, "fetch_deadline"

    def _deadline_error(self, source: str, which: str, shown: str, detail: str) -> SourceError:
        seconds = getattr(self.limits, which)
        what = "per-request" if which == "request_deadline" else "fetch run's"
        return SourceError(
            f"{source}: the {what} deadline of {seconds:g} s passed"
            + (f" ({detail})" if detail else "")
            + f"; stopped. Set {limit_variable(which)} to allow longer, or retry later "
            "(the fetch resumes where it stopped).",
            url=shown,
        )

    def _read(
        self, response: httpx.Response, source: str, shown: str, deadline: float, which: str
    ) -> httpx.Response:
        """Read a streamed 2xx body: decoded in bounded steps, capped, within the deadline."""
        cap = self.limits.max_response_bytes
        encoding = response.headers.get("content-encoding", "")
        try:
            decoder = _BoundedDecoder(encoding)
        except ValueError:
            raise SourceError(
                f"{source} sent a body in the Content-Encoding {self.scrub(encoding)!r}, which "
                "altseason does not decode (it asks for gzip or deflate); the server or a proxy "
                "is misconfigured.",
                url=shown,
                status=response.status_code,
            ) from None
        chunks: list[bytes] = []
        size = 0
        try:
            for raw in _raw_chunks(response, 16384):
                if self.clock() > deadline:
                    raise _Deadline
                data = decoder.feed(raw, cap - size)
                size += len(data)
                if size > cap or decoder.pending:
                    raise self._too_large(source, shown, response.status_code, encoding)
                chunks.append(data)
            tail = decoder.flush(cap - size)
        except zlib.error as exc:
            raise SourceError(
                f"{source} sent a body that cannot be decoded (corrupt {encoding} data: {exc}); "
                "the response is corrupt or mislabelled. Retry later.",
                url=shown,
                status=response.status_code,
            ) from None
        size += len(tail)
        if size > cap:
            raise self._too_large(source, shown, response.status_code, encoding)
        chunks.append(tail)
        keep = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        extensions = {
            k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")
        }
        return httpx.Response(
            response.status_code,
            headers=keep,
            content=b"".join(chunks),
            request=response.request,
            extensions=extensions,
        )

    def _too_large(self, source: str, shown: str, status: int, encoding: str) -> SourceError:
        cap = self.limits.max_response_bytes
        how = f" after {encoding} decompression" if encoding.strip() else ""
        return SourceError(
            f"{source} sent a response larger than {cap / 1048576:g} MiB{how}; stopped reading "
            f"at the cap ({limit_variable('max_response_bytes')}). Fetch a shorter period or "
            "fewer assets, or raise the cap if the provider really sends that much.",
            url=shown,
            status=status,
        )

    def _read_prefix(self, response: httpx.Response) -> str:
        """The first :data:`ERROR_BODY_BYTES` of an error body as text ("" if unreadable)."""
        try:
            decoder = _BoundedDecoder(response.headers.get("content-encoding", ""))
            out = b""
            for raw in _raw_chunks(response, ERROR_BODY_BYTES):
                out += decoder.feed(raw, ERROR_BODY_BYTES - len(out))
                if len(out) >= ERROR_BODY_BYTES or decoder.pending:
                    break
        except (ValueError, zlib.error, httpx.HTTPError):
            return ""
        return out[:ERROR_BODY_BYTES].decode("utf-8", errors="replace")

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
        """Send (streamed), following redirects only within the request's origin."""
        origin = (request.url.scheme, request.url.host, request.url.port)
        response = self._client.send(request, stream=True)
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
            nxt.extensions["timeout"] = request.extensions.get("timeout", {})
            response = self._client.send(nxt, stream=True)
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
                f"{self.scrub(str(exc))}){self._body_hint(response.text)}. The response may be "
                "truncated or an error page; retry later.",
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

    def _body_hint(self, body: str) -> str:
        body = body[:ERROR_BODY_BYTES].strip().replace("\n", " ")
        if not body:
            return ""
        return f" (body starts: {self.scrub(body)[:160]!r})"


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
