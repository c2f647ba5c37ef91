"""The local web dashboard (``altseason serve``): pages and a JSON API over a read-only store."""

from altseason.dashboard._app import PageBuilder, create_app
from altseason.dashboard._pages import PAGE_SECTIONS, build_page
from altseason.dashboard._params import PAGES, PageParams, ParamError, parse_params
from altseason.dashboard._security import (
    CSP,
    SecurityMiddleware,
    generate_token,
    is_loopback_host,
    token_matches,
)

__all__ = [
    "CSP",
    "PAGES",
    "PAGE_SECTIONS",
    "PageBuilder",
    "PageParams",
    "ParamError",
    "SecurityMiddleware",
    "build_page",
    "create_app",
    "generate_token",
    "is_loopback_host",
    "parse_params",
    "token_matches",
]
