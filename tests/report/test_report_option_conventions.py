"""The report's options conventions: stated in each finding and configurable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from altseason.analytics._options import options_positioning
from altseason.report import build_report
from altseason.store import Store

DEMO_ASOF = "2025-06-30"  # the demo_store_path fixture ends here


def _chain(store: Store, underlying: str) -> pd.DataFrame:
    opts = store.read_table("options", end=DEMO_ASOF, underlying=underlying)
    snap = pd.Timestamp(opts["snapshot_ts"].max())
    return opts.loc[pd.to_datetime(opts["snapshot_ts"]) == snap]


@pytest.mark.parametrize(
    "options",
    [
        {"zone_share": 0.8},
        {"max_pain_convention": "all_expiries"},
        {"zone_share": 0.3, "max_pain_convention": "nearest"},
    ],
    ids=["zone-0.8", "all-expiries", "zone-0.3-nearest"],
)
def test_report_options_follow_the_stated_conventions(
    demo_store_path: Path, options: dict[str, object]
) -> None:
    with Store(demo_store_path) as store:
        rep = build_report(store, asof=DEMO_ASOF, sections=["derivatives"], options=options)
        default = build_report(store, asof=DEMO_ASOF, sections=["derivatives"])
        chains = {u: _chain(store, u) for u in ("BTC", "ETH")}
    fs = rep.findings
    for u, pre in (("BTC", "derivatives"), ("ETH", "derivatives.eth")):
        # the same analytics call with the same conventions (one definition)
        summ = options_positioning(chains[u], underlying=u, **options).summary()  # type: ignore[arg-type]
        for key, col in (
            ("max_pain", "max_pain"),
            ("put_zone_low", "put_zone_low"),
            ("put_zone_high", "put_zone_high"),
            ("call_wall", "call_wall"),
            ("zone_share", "zone_target_share"),
        ):
            got = fs.get(f"{pre}.{key}")
            assert got.value == pytest.approx(float(summ[col])), (pre, key)
            # the finding names the non-default convention it used
            for k, v in options.items():
                assert f"{k}={v}" in (got.window or ""), (pre, key, got.window)
        assert "=" not in (default.findings.get(f"{pre}.max_pain").window or "")
    if "zone_share" in options:
        share = float(options["zone_share"])  # type: ignore[arg-type]
        width = fs.get("derivatives.put_zone_high").value - fs.get("derivatives.put_zone_low").value  # type: ignore[operator]
        dflt = default.findings
        width0 = (
            dflt.get("derivatives.put_zone_high").value - dflt.get("derivatives.put_zone_low").value
        )  # type: ignore[operator]
        # a larger share of put OI needs a band at least as wide (zones follow the data)
        assert (width >= width0) if share > 0.5 else (width <= width0)


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"zone_share": 1.5}, "zone_share must be in (0, 1]"),
        ({"max_pain_convention": "median"}, "max_pain_convention must be one of"),
        ({"zone": 0.5}, "unknown key(s) zone"),
    ],
)
def test_bad_options_conventions_name_the_fix(
    demo_store_path: Path, options: dict[str, object], needle: str
) -> None:
    with Store(demo_store_path) as store, pytest.raises(ValueError) as err:
        build_report(store, asof=DEMO_ASOF, sections=["derivatives"], options=options)
    assert needle in str(err.value)


def test_options_cli_asof_matches_the_report_of_that_day(
    demo_store_path: Path, tmp_path: Path
) -> None:
    """``options --asof D --export x.json`` states the report's derivatives findings at D."""
    import json

    from typer.testing import CliRunner

    from altseason.cli import _register  # noqa: F401
    from altseason.cli._app import app

    day = "2025-03-31"
    for u, pre in (("BTC", "derivatives"), ("ETH", "derivatives.eth")):
        out = tmp_path / f"{u}.json"
        res = CliRunner().invoke(
            app,
            ["--store", str(demo_store_path), "options", u, "--asof", day, "--export", str(out)],
        )
        assert res.exit_code == 0, res.output
        payload = json.loads(out.read_text())
        got = {f["id"]: f for f in payload["findings"]}
        with Store(demo_store_path) as store:
            rep = build_report(store, asof=day, sections=["derivatives"])
        snap = rep.findings.get(f"{pre}.snapshot")
        assert snap.value is not None and str(snap.value) <= day
        for key in ("snapshot", "call_wall", "max_pain", "put_zone_low", "put_call_oi"):
            assert got[f"{pre}.{key}"]["value"] == rep.findings.get(f"{pre}.{key}").value, key
    # a later as-of is refused with the data's end named (the same check as every command)
    res = CliRunner().invoke(
        app, ["--store", str(demo_store_path), "options", "BTC", "--asof", "2031-01-01"]
    )
    assert res.exit_code != 0 and "2025-06-30" in res.output + str(res.exception)
