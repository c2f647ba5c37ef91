"""Security for the local dashboard.

Threat model (see SECURITY.md): the dashboard serves one user's research store.
By default it binds 127.0.0.1 and needs no token. Binding any other address
requires an access token, checked in constant time on every request. The
store is opened read-only; every parameter is validated; no SQL is built
from request strings; static files come from a fixed whitelist; responses
carry a strict Content-Security-Policy (no inline script, no eval), no-sniff
and frame denial; oversized requests are refused.

DNS rebinding: a page on another site can make the browser resolve its own
name to 127.0.0.1 and read the dashboard as "same origin". Every request's
``Host`` must therefore be a name this server expects (:func:`allowed_hosts`);
any other answers 421 before the app sees the request.

The access cookie is per instance (its name carries the port) and holds a
value derived from the token, never the token itself; a ``?token=`` in the URL
is checked before the cookie, so the URL printed by a restarted server works
at once and replaces a stale cookie. Tokens are masked in every log record
of the web server (:data:`TOKEN_LOG_FILTER`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

__all__ = [
    "CSP",
    "MAX_BODY_BYTES",
    "MAX_URL_CHARS",
    "TOKEN_LOG_FILTER",
    "SecurityMiddleware",
    "allowed_hosts",
    "cookie_name",
    "generate_token",
    "host_allowed",
    "is_loopback_host",
    "token_matches",
]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
"""Content-Security-Policy: scripts only from this origin, never inline or eval."""

MAX_BODY_BYTES = 16 * 1024
"""Largest request body accepted (the API only reads; bodies are not needed)."""

MAX_URL_CHARS = 2048
"""Longest request target (path + query) accepted."""

TOKEN_COOKIE = "altseason_token"
"""Prefix of the per-instance cookie name (see :func:`cookie_name`)."""

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def _split_host(value: str) -> str:
    """The host name of a ``Host`` header value (port and IPv6 brackets removed), lower-case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host names a request may carry for a server bound to ``bind_host``.

    * loopback bind: the loopback names (``localhost``, ``127.0.0.1``, ``::1``);
    * a named or specific address: that name;
    * a wildcard bind (``0.0.0.0``, ``::``): the loopback names and this machine's
      host names (IP literals are accepted separately by :func:`host_allowed`);
    * plus ``extra`` (``--allow-host`` / ``ALTSEASON_DASHBOARD_HOSTS``).
    """
    bind = _split_host(bind_host) if bind_host.startswith("[") else bind_host.strip().lower()
    names: set[str] = {_split_host(h) for h in extra if h.strip()}
    if is_loopback_host(bind) or bind in _WILDCARDS:
        names |= _LOOPBACK_NAMES | {"127.0.0.1", "::1"}
    if bind in _WILDCARDS:
        for name in (socket.gethostname(), socket.getfqdn()):
            if name:
                names.add(name.lower().rstrip("."))
    else:
        names.add(bind)
    return frozenset(names)


def host_allowed(host_header: str | None, allowed: frozenset[str], bind_host: str) -> bool:
    """True when a request's ``Host`` header names this server.

    An IP literal is accepted on a wildcard bind (a rebinding page can only
    make the browser send its own *name*); on a loopback bind any 127.0.0.0/8
    address or ``::1``.
    """
    if not host_header:
        return False
    name = _split_host(host_header)
    if not name:
        return False
    if name in allowed:
        return True
    bind = bind_host.strip("[]").lower()
    if _is_ip(name):
        if bind in _WILDCARDS:
            return True
        if is_loopback_host(bind) and is_loopback_host(name):
            return True
    return False


def cookie_name(instance: str) -> str:
    """The access cookie of one dashboard instance (``instance`` = its port or an id)."""
    return f"{TOKEN_COOKIE}_{re.sub(r'[^A-Za-z0-9]', '', instance)}"


def cookie_value(token: str) -> str:
    """What the cookie holds: an HMAC of the token, so the token itself never
    travels in a cookie (which browsers also send to other ports of the host)."""
    return hmac.new(
        token.encode("utf-8"), b"altseason-dashboard-cookie", hashlib.sha256
    ).hexdigest()


class _TokenLogFilter(logging.Filter):
    """Masks ``token=...`` and bearer tokens in log records."""

    _PATTERN = re.compile(r"(?i)(token=|bearer\s+)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = self._PATTERN.sub(r"\1***", text)
        if clean != text:
            record.msg, record.args = clean, ()
        return True


TOKEN_LOG_FILTER = _TokenLogFilter()
"""Attached to uvicorn's loggers: no access token reaches a log line."""
for _name in ("uvicorn", "uvicorn.access", "uvicorn.error", "altseason.dashboard"):
    logging.getLogger(_name).addFilter(TOKEN_LOG_FILTER)


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def generate_token() -> str:
    """A fresh URL-safe access token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the expected one."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class SecurityMiddleware(BaseHTTPMiddleware):
    """Host check, size limits, optional token auth and security headers on every response.

    Parameters
    ----------
    token
        The access token, or ``None`` (loopback only).
    bind_host
        The address the server binds; decides the accepted ``Host`` names.
    port
        The bound port: names the instance's cookie (else a random instance id).
    extra_hosts
        More accepted ``Host`` names (a reverse proxy's, a LAN name).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        bind_host: str = "127.0.0.1",
        port: int | None = None,
        extra_hosts: Iterable[str] = (),
    ) -> None:
        super().__init__(app)
        self.token = token
        self.bind_host = bind_host
        self.allowed = allowed_hosts(bind_host, extra_hosts)
        self.cookie = cookie_name(str(port) if port else secrets.token_hex(4))
        self.cookie_value = cookie_value(token) if token is not None else ""

    def _authorised(self, request: Request) -> tuple[bool, bool]:
        """``(ok, set_cookie)``: bearer header, then ``?token=`` (wins over a stale
        cookie and renews it), then this instance's cookie."""
        assert self.token is not None
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return token_matches(auth[7:].strip(), self.token), False
        given = request.query_params.get("token")
        if given is not None:
            ok = token_matches(given, self.token)
            return ok, ok
        return token_matches(request.cookies.get(self.cookie), self.cookie_value), False

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not host_allowed(request.headers.get("host"), self.allowed, self.bind_host):
            return self._secure(
                JSONResponse(
                    {
                        "error": "unexpected Host header: open the dashboard through the URL "
                        "'altseason serve' printed, or allow the name with --allow-host"
                    },
                    status_code=421,
                )
            )
        target = request.url.path + (("?" + request.url.query) if request.url.query else "")
        if len(target) > MAX_URL_CHARS:
            return self._secure(JSONResponse({"error": "request URL too long"}, status_code=414))
        length = request.headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > MAX_BODY_BYTES
            except ValueError:
                return self._secure(
                    JSONResponse({"error": "invalid Content-Length header"}, status_code=400)
                )
            if too_big:
                return self._secure(
                    JSONResponse({"error": "request body too large"}, status_code=413)
                )
        if request.method != "GET":  # HEAD too: the routes answer GET only
            return self._secure(
                JSONResponse(
                    {"error": "the dashboard is read-only; only GET is allowed"}, status_code=405
                )
            )
        set_cookie = False
        if self.token is not None:
            ok, set_cookie = self._authorised(request)
            if not ok:
                return self._secure(
                    JSONResponse(
                        {
                            "error": "access token required: open the URL printed by 'altseason serve'"
                        },
                        status_code=401,
                    )
                )
        response = await call_next(request)
        if set_cookie:
            response.set_cookie(
                self.cookie, self.cookie_value, httponly=True, samesite="strict", secure=False
            )
        return self._secure(response)

    @staticmethod
    def _secure(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = CSP
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "no-referrer"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        h["Cache-Control"] = "no-store"
        return response
