"""Security for the local dashboard.

Threat model (see SECURITY.md): the dashboard serves one user's research store.
By default it binds 127.0.0.1 and needs no token. Binding any other address
requires an access token, checked in constant time on every request. The
store is opened read-only; every parameter is validated; no SQL is built
from request strings; static files come from a fixed whitelist; responses
carry a strict Content-Security-Policy (no inline script, no eval), no-sniff
and frame denial; oversized requests are refused.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

__all__ = [
    "CSP",
    "MAX_BODY_BYTES",
    "MAX_URL_CHARS",
    "SecurityMiddleware",
    "generate_token",
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


def _presented_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    cookie = request.cookies.get(TOKEN_COOKIE)
    if cookie:
        return cookie
    return request.query_params.get("token")


class SecurityMiddleware(BaseHTTPMiddleware):
    """Size limits, optional token auth and security headers on every response."""

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
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
        if request.method not in ("GET", "HEAD"):
            return self._secure(
                JSONResponse(
                    {"error": "the dashboard is read-only; only GET is allowed"}, status_code=405
                )
            )
        set_cookie = False
        if self.token is not None:
            presented = _presented_token(request)
            if not token_matches(presented, self.token):
                return self._secure(
                    JSONResponse(
                        {
                            "error": "access token required: open the URL printed by 'altseason serve'"
                        },
                        status_code=401,
                    )
                )
            set_cookie = request.query_params.get("token") is not None
        response = await call_next(request)
        if set_cookie and self.token is not None:
            response.set_cookie(
                TOKEN_COOKIE, self.token, httponly=True, samesite="strict", secure=False
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
