"""Run the bundled plotly.js under a strict ``style-src 'self'`` policy.

plotly.js adds its stylesheet at run time by appending ``<style>`` elements,
which a Content-Security-Policy without ``'unsafe-inline'`` blocks (and the
browser logs a violation for). plotly.js skips that step when the page
already holds an element ``#plotly.js-style-global.no-inline-styles``, and
its bundled map library skips its own block when an element with that
block's id exists. So the dashboard

* serves the same rules as a file, ``/static/plotly.css``, extracted from the
  installed ``plotly.min.js`` (:func:`plotly_css`), linked with that id and
  class; and
* places an empty ``<template>`` with the id of every other self-injected
  style block (:func:`plotly_style_guards`).

Both are read from the bundle actually served, so they follow the installed
plotly version. If the bundle's layout ever changes so the rules cannot be
found, :func:`plotly_css` returns a comment only: charts still draw, with
plotly's default cursor and mode-bar styling missing.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

__all__ = ["plotly_bundle", "plotly_css", "plotly_style_guards"]

_STR = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\''
_PAIR = re.compile(rf"({_STR}|[A-Za-z_$][\w$]*):({_STR})")
_GUARD = re.compile(
    r'document\.getElementById\("([0-9a-f]{16,64})"\)\)\{var [\w$]+=document\.createElement\("style"\)'
)


@functools.cache
def plotly_bundle() -> str:
    """The text of the ``plotly.min.js`` shipped with the plotly package."""
    path = resources.files("plotly") / "package_data" / "plotly.min.js"
    return path.read_text(encoding="utf-8")


def _unquote(token: str) -> str:
    if token[:1] in ("'", '"'):
        token = token[1:-1]
    return re.sub(r"\\(.)", r"\1", token)


@functools.cache
def plotly_css() -> str:
    """plotly.js's global stylesheet as CSS text (see the module docstring)."""
    src = plotly_bundle()
    start = src.find('{"X,X div":')
    end = src.find("};for(", start)
    if start < 0 or end < 0:
        return "/* plotly.js global rules not found in this plotly version */\n"
    rules = []
    for key, value in _PAIR.findall(src[start + 1 : end]):
        selector = _unquote(key)
        selector = re.sub(r"^,", " ,", selector)
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        rules.append(f"{selector}{{{_unquote(value)}}}")
    return "/* generated from the bundled plotly.min.js */\n" + "\n".join(rules) + "\n"


@functools.cache
def plotly_style_guards() -> tuple[str, ...]:
    """Ids of the other style blocks the bundle injects unless an element with that id exists."""
    return tuple(dict.fromkeys(_GUARD.findall(plotly_bundle())))
