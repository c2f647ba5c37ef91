"""Hypothesis strategies shared by the fuzz tests: adversarial values and
mutations of text files and JSON payloads.

Seeds are real inputs (slices of the real files, recorded payloads); each
example applies a few mutations to one seed. ``ALTSEASON_FUZZ_EXAMPLES``
sets the number of examples per test (default 30, CI); a longer run::

    ALTSEASON_FUZZ_EXAMPLES=2000 uv run pytest tests/reliability
"""

from __future__ import annotations

import copy
import os
from typing import Any

import duckdb
import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("ALTSEASON_FUZZ_EXAMPLES", "30"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 100,  # CI: reproducible; long runs explore
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    print_blob=True,
)

#: Cell texts that break naive parsers.
ADVERSARIAL_TEXT = [
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1e309",
    "1e-400",
    "99999999999999999999999999999999999999",
    "-0",
    "0",
    "-1",
    "0x1F",
    "1,234.5",
    "(12.3)",
    "null",
    "None",
    "N/A",
    "TRUE",
    "2024-02-30",
    "2024-13-01",
    "0000-00-00",
    "9999-12-31",
    "1970-01-01T00:00:00+14:00",
    "2024-01-01T00:00:00-05:00",
    "1e20",
    "\x00",
    "a\x00b",
    "\ufeff",
    "\u202e\u0661\u0662",
    "Ω≈ç√∫",
    "😀",
    '"',
    '""quoted""',
    "a,b",
    "a;b",
    "a\tb",
    "\r",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "x" * 3000,
]

#: JSON values that break naive transforms.
ADVERSARIAL_JSON: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    10**30,
    -(10**30),
    2**63,
    1e308,
    -1e308,
    *ADVERSARIAL_TEXT[:30],
    [],
    {},
    [None],
    [[]],
    {"": None},
    "<html><body>Just a moment...</body></html>",
]


def adversarial_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ADVERSARIAL_TEXT),
        st.text(max_size=12),
        st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,4})?", fullmatch=True),
    )


def _deep(depth: int) -> Any:
    out: Any = 1
    for _ in range(depth):
        out = [out]
    return out


def adversarial_json() -> st.SearchStrategy[Any]:
    leaf = st.one_of(
        st.sampled_from(ADVERSARIAL_JSON),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    )
    nested = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.text(max_size=5), inner, max_size=3),
        ),
        max_leaves=6,
    )
    return st.one_of(nested, st.integers(50, 400).map(_deep))


# ---------------------------------------------------------------------- JSON mutations
def _paths(obj: Any, prefix: tuple[Any, ...] = (), limit: int = 400) -> list[tuple[Any, ...]]:
    """Paths to every node of a JSON value (breadth first, bounded)."""
    out = [prefix]
    queue = [(prefix, obj)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        children: list[tuple[Any, Any]] = []
        if isinstance(node, dict):
            children = list(node.items())
        elif isinstance(node, list):
            children = list(enumerate(node))
        for k, v in children:
            out.append((*path, k))
            queue.append(((*path, k), v))
    return out


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        obj = obj[k]
    return obj


@st.composite
def mutated_json(draw: st.DrawFn, seed: Any, max_mutations: int = 3) -> Any:
    """``seed`` (a JSON value) with 1..max_mutations random edits."""
    obj = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(obj)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "wrap", "type"]))
        if not path:
            if op in ("replace", "type"):
                obj = draw(adversarial_json())
            elif op == "wrap":
                obj = {"result": obj} if draw(st.booleans()) else [obj]
            continue
        parent = _get(obj, path[:-1])
        key = path[-1]
        if op == "replace":
            parent[key] = draw(adversarial_json())
        elif op == "type":
            value = parent[key]
            parent[key] = str(value) if not isinstance(value, str) else [value]
        elif op == "delete":
            del parent[key]
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
            else:
                parent[f"{key}_dup"] = copy.deepcopy(parent[key])
        elif op == "wrap":
            parent[key] = [parent[key]]
    return obj


# ---------------------------------------------------------------------- text mutations
def _replace_cell(text: str, draw: st.DrawFn) -> str:
    lines = text.split("\n")
    if len(lines) < 2:
        return text + draw(adversarial_text())
    i = draw(st.integers(0, len(lines) - 1))
    cells = lines[i].split(",")
    j = draw(st.integers(0, len(cells) - 1))
    cells[j] = draw(adversarial_text())
    lines[i] = ",".join(cells)
    return "\n".join(lines)


@st.composite
def mutated_text(draw: st.DrawFn, seed: str, max_mutations: int = 3) -> str:
    """``seed`` (CSV/HTML text) with 1..max_mutations random edits."""
    text = seed
    for _ in range(draw(st.integers(1, max_mutations))):
        op = draw(
            st.sampled_from(
                [
                    "cell",
                    "cell",
                    "cell",
                    "truncate",
                    "insert",
                    "crlf",
                    "bom",
                    "nul",
                    "delimiter",
                    "dup_line",
                    "drop_line",
                    "swap_lines",
                    "html",
                    "header",
                ]
            )
        )
        lines = text.split("\n")
        if op == "cell":
            text = _replace_cell(text, draw)
        elif op == "truncate" and text:
            text = text[: draw(st.integers(0, len(text) - 1))]
        elif op == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(adversarial_text()) + text[at:]
        elif op == "crlf":
            text = text.replace("\n", "\r\n") if draw(st.booleans()) else text.replace("\n", "\r")
        elif op == "bom":
            text = "\ufeff" + text
        elif op == "nul":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + "\x00" + text[at:]
        elif op == "delimiter":
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = lines[i].replace(",", draw(st.sampled_from([";", "\t", "|", ",,"])))
            text = "\n".join(lines)
        elif op == "dup_line" and len(lines) > 1:
            i = draw(st.integers(1, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif op == "drop_line" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = "\n".join(lines)
        elif op == "swap_lines" and len(lines) > 2:
            i, j = draw(st.integers(1, len(lines) - 1)), draw(st.integers(1, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op == "html":
            text = "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>"
        elif op == "header":
            fields = lines[0].split(",")
            k = draw(st.integers(0, len(fields) - 1))
            fields[k] = draw(st.sampled_from(["", fields[k].upper(), fields[k] + " ", "date", "x"]))
            lines[0] = ",".join(fields)
            text = "\n".join(lines)
    return text


# ---------------------------------------------------------------------- store snapshots
def fingerprint(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[tuple[Any, ...]]:
    """Row count and an order-free hash of every row, per table (cheap to compare)."""
    sql = " UNION ALL ".join(
        f"SELECT '{t}', count(*), sum(hash(t)::HUGEINT) FROM {t} t" for t in tables
    )
    return sorted(con.execute(sql).fetchall())


def snapshot(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, pd.DataFrame]:
    """Every row of ``tables``, sorted, for before/after comparisons."""
    out = {}
    for name in tables:
        frame = con.execute(f"SELECT * FROM {name}").df()
        out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out
