"""A report built for one underlying: the full report's findings for it, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from altseason.exceptions import ReportError
from altseason.report import build_report, plain_text
from altseason.report._sections._base import check_underlyings, underlying_of
from altseason.store import Store

DEMO_ASOF = "2025-06-30"


@pytest.mark.parametrize(
    ("fid", "u"),
    [
        ("flows.net_flow", "BTC"),
        ("flows.btc_price", "BTC"),
        ("flows.eth.net_flow", "ETH"),
        ("derivatives.funding_rate", "BTC"),
        ("derivatives.eth.funding_rate", "ETH"),
        ("divergence.altseason_index", None),
        ("onchain.price", None),
    ],
)
def test_underlying_of(fid: str, u: str | None) -> None:
    assert underlying_of(fid) == u


def test_check_underlyings() -> None:
    assert check_underlyings(None) == ("BTC", "ETH")
    assert check_underlyings(["eth", "BTC"]) == ("BTC", "ETH")  # report order
    with pytest.raises(ReportError, match=r"SOL.*BTC, ETH"):
        check_underlyings(["SOL"])
    with pytest.raises(ReportError, match="none"):
        check_underlyings([])


@pytest.mark.parametrize("u", ["BTC", "ETH"])
def test_one_underlying_is_the_full_reports_part(demo_store_path: Path, u: str) -> None:
    sections = ["flows", "derivatives"]
    with Store(demo_store_path) as store:
        full = build_report(store, asof=DEMO_ASOF, sections=sections)
        one = build_report(store, asof=DEMO_ASOF, sections=sections, underlyings=[u])
    mine = [f for f in full.findings if underlying_of(f.id) == u]
    assert [f.id for f in one.findings] == [f.id for f in mine]
    for f in mine:
        g = one.findings.get(f.id)
        assert (g.value, g.status, g.reason) == (f.value, f.status, f.reason), f.id
    sfx = "-eth" if u == "ETH" else ""
    ids = [c.id for c in one.charts]
    assert ids and all(c.endswith(sfx) if sfx else not c.endswith("-eth") for c in ids)
    assert [c.id for c in full.charts if c.id in ids] == ids
    text = " ".join(plain_text([p]) for s in one.sections for p in s.paragraphs)
    other = "ETH" if u == "BTC" else "BTC"
    assert f"{u} spot ETFs" in text and f"{other} spot ETF" not in text
    assert f"{other} options snapshot" not in text and f"{u} options snapshot" in text
    assert all(t.title.startswith(u) for s in one.sections for t in s.tables)
