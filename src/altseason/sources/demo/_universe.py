"""The simulated token universe: names, sectors, listings, deaths, supply, risk.

Names and symbols come from a fixed generator (the same for every seed) and
every name ends in "(simulated)"; which tokens list late, die, bubble or
unlock supply, and their betas and volatilities, depend on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from altseason.universe._sectors import SECTORS, STABLECOIN_SECTOR

__all__ = [
    "ETF_TICKERS",
    "SECTOR_WEIGHTS",
    "STABLECOINS",
    "Universe",
    "build_universe",
]

_NAME_SEED = 20190101

SECTOR_WEIGHTS: dict[str, int] = {
    "currency": 14,
    "smart_contract_l1": 28,
    "l2_scaling": 14,
    "defi": 30,
    "infrastructure": 22,
    "culture": 30,
    "web3_social": 8,
    "ai": 16,
    "rwa": 8,
    "exchange": 10,
}
"""Share of the non-stable universe per sector (out of 180)."""

_SUBSECTOR_WEIGHTS: dict[str, dict[str, float]] = {
    "currency": {"payments": 0.7, "privacy": 0.3},
    "smart_contract_l1": {"l1": 1.0},
    "l2_scaling": {"rollup": 0.75, "sidechain": 0.25},
    "defi": {"dex": 0.35, "lending": 0.25, "derivatives": 0.2, "liquid_staking": 0.2},
    "infrastructure": {
        "oracles": 0.25,
        "interoperability": 0.3,
        "storage_compute": 0.3,
        "data": 0.15,
    },
    "culture": {"memes": 0.47, "gaming": 0.33, "nft": 0.2},
    "web3_social": {"social": 0.6, "identity": 0.4},
    "ai": {"ai_agents": 0.5, "ai_compute": 0.5},
    "rwa": {"tokenized_assets": 1.0},
    "exchange": {"cex_token": 1.0},
}

_SUFFIX: dict[str, str] = {
    "payments": "Cash",
    "privacy": "Privacy Coin",
    "l1": "Chain",
    "rollup": "Rollup",
    "sidechain": "Sidechain",
    "dex": "Swap",
    "lending": "Lend",
    "derivatives": "Perps",
    "liquid_staking": "Staked",
    "oracles": "Oracle",
    "interoperability": "Bridge",
    "storage_compute": "Storage",
    "data": "Data",
    "memes": "Inu",
    "gaming": "Games",
    "nft": "Punks",
    "social": "Social",
    "identity": "ID",
    "ai_agents": "Agents",
    "ai_compute": "Compute",
    "tokenized_assets": "Treasury",
    "cex_token": "Exchange Token",
}

# Probability that a token of the sector already trades on 2019-01-01, and the
# windows (start, end, weight) in which the others list.
_LISTING: dict[str, tuple[float, tuple[tuple[str, str, float], ...]]] = {
    "currency": (0.9, (("2019-01-01", "2021-12-31", 1.0),)),
    "smart_contract_l1": (
        0.6,
        (("2019-06-01", "2021-12-31", 0.7), ("2022-01-01", "2024-06-30", 0.3)),
    ),
    "l2_scaling": (0.15, (("2020-06-01", "2022-06-30", 0.5), ("2022-07-01", "2025-06-30", 0.5))),
    "defi": (0.3, (("2020-06-01", "2021-12-31", 0.75), ("2022-01-01", "2024-12-31", 0.25))),
    "infrastructure": (0.5, (("2019-01-01", "2025-03-31", 1.0),)),
    "culture": (
        0.2,
        (("2020-10-01", "2021-12-31", 0.55), ("2023-04-01", "2025-06-30", 0.45)),
    ),
    "web3_social": (0.2, (("2021-01-01", "2024-12-31", 1.0),)),
    "ai": (0.15, (("2020-06-01", "2021-12-31", 0.2), ("2023-01-01", "2025-03-31", 0.8))),
    "rwa": (0.1, (("2022-06-01", "2025-06-30", 1.0),)),
    "exchange": (0.7, (("2019-01-01", "2022-06-30", 1.0),)),
}

# Windows in which a sector's tokens are likely to have a bubble.
_BUBBLE_WINDOWS: tuple[tuple[str, str], ...] = (
    ("2020-07-15", "2020-09-05"),
    ("2021-02-01", "2021-05-10"),
    ("2021-08-01", "2021-11-10"),
    ("2023-01-15", "2023-03-31"),
    ("2023-11-01", "2024-03-10"),
    ("2024-11-05", "2024-12-15"),
    ("2026-01-15", "2026-09-15"),
)

STABLECOINS: tuple[tuple[str, str, str], ...] = (
    ("DUSD", "Demo Dollar (simulated)", "fiat_backed"),
    ("QUSD", "Quillon Dollar (simulated)", "fiat_backed"),
    ("KUSD", "Kredo Dollar (simulated)", "crypto_backed"),
)
"""(asset_id, name, subsector) of the three simulated stablecoins."""

ETF_TICKERS: tuple[str, ...] = (
    "IBIT", "FBTC", "GBTC", "ARKB", "BITB", "HODL", "BRRR", "EZBC", "BTCO", "BTCW",
    "ETHA", "FETH", "ETHE", "ETHW", "TETH", "ETHV", "QETH", "EZET",
)  # fmt: skip

_SYLLABLES = (
    "ka", "zo", "ri", "vex", "lu", "na", "tor", "qui", "mi", "sol", "ar", "en", "dra",
    "phi", "lo", "xa", "ny", "ber", "cal", "dor", "fi", "gra", "hel", "ix", "jo", "kel",
    "mor", "nov", "pyr", "ros", "syl", "tan", "ul", "vor", "wen", "zen", "bri", "cy",
    "dex", "ev", "fa", "hy", "io", "jun", "lyr", "mav", "ost", "pel", "rix", "tho",
)  # fmt: skip

_BLOCKED = {"BTC", "ETH", "USD", *ETF_TICKERS, *(s for s, _, _ in STABLECOINS)}


@dataclass(frozen=True)
class Universe:
    """The token universe before any price is simulated.

    ``meta`` has one row per asset (index ``asset_id``) with columns symbol,
    name, sector, subsector, is_stablecoin, list_date, death_date (NaT when
    the token survives), death_kind ("", "fade", "collapse"), size (0 large
    .. 1 small), rel_cap (initial market cap relative to BTC's on the listing
    date), price0 (first close, USD), beta, beta_down, sector_loading,
    idio_vol (daily), jump_prob, emission (supply growth per year),
    turnover (volume / market cap), bubble_peak (NaT or date), bubble_up,
    bubble_down (log moves), bubble_up_days, bubble_down_days.
    ``unlocks`` lists (asset_id, date, fraction of supply added).
    """

    meta: pd.DataFrame
    unlocks: pd.DataFrame


def _sector_counts(n_tokens: int) -> dict[str, int]:
    total = sum(SECTOR_WEIGHTS.values())
    raw = {s: n_tokens * w / total for s, w in SECTOR_WEIGHTS.items()}
    counts = {s: max(1, int(np.floor(v))) for s, v in raw.items()}
    rest = n_tokens - sum(counts.values())
    order = sorted(raw, key=lambda s: raw[s] - np.floor(raw[s]), reverse=True)
    i = 0
    while rest > 0:
        counts[order[i % len(order)]] += 1
        rest -= 1
        i += 1
    while rest < 0:
        big = max(counts, key=lambda s: counts[s])
        counts[big] -= 1
        rest += 1
    return counts


def _names(n: int) -> list[tuple[str, str]]:
    """``n`` unique (symbol, word) pairs from the fixed name generator."""
    rng = np.random.default_rng(_NAME_SEED)
    out: list[tuple[str, str]] = []
    seen: set[str] = set(_BLOCKED)
    while len(out) < n:
        k = int(rng.integers(2, 4))
        word = "".join(_SYLLABLES[int(j)] for j in rng.integers(0, len(_SYLLABLES), k))
        word = word.capitalize()
        letters = "".join(c for c in word.upper() if c.isalpha())
        length = int(rng.integers(3, 5))
        symbol = letters[:length]
        if len(symbol) < 3 or symbol in seen:
            continue
        seen.add(symbol)
        out.append((symbol, word))
    return out


def _date(s: str) -> int:
    return int(np.datetime64(s, "D").astype(np.int64))


def _to_ts(days: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(days, dtype="int64").astype("datetime64[D]")).as_unit("ns")


def build_universe(n_assets: int, rng: np.random.Generator) -> Universe:
    """Draw the universe of ``n_assets`` non-stable tokens plus three stablecoins.

    Parameters
    ----------
    n_assets
        Number of non-stable tokens including BTC and ETH (at least 20).
    rng
        Random generator (seeded by the caller).
    """
    counts = _sector_counts(n_assets)
    names = _names(n_assets - 2)
    name_rng = np.random.default_rng(_NAME_SEED + 1)
    rows: list[dict[str, object]] = []
    first_day = _date("2019-01-01")
    k = 0
    for sector, count in counts.items():
        subs = _SUBSECTOR_WEIGHTS[sector]
        p_start, windows = _LISTING[sector]
        for j in range(count):
            if sector == "currency" and j == 0:
                rows.append(
                    {
                        "asset_id": "BTC",
                        "name": "Bitcoin (simulated)",
                        "subsector": "payments",
                        "sector": sector,
                        "listed": first_day,
                    }
                )
                continue
            if sector == "smart_contract_l1" and j == 0:
                rows.append(
                    {
                        "asset_id": "ETH",
                        "name": "Ethereum (simulated)",
                        "subsector": "l1",
                        "sector": sector,
                        "listed": first_day,
                    }
                )
                continue
            symbol, word = names[k]
            k += 1
            sub = str(name_rng.choice(list(subs), p=np.array(list(subs.values()))))
            if rng.random() < p_start:
                listed = first_day
            else:
                w = np.array([x[2] for x in windows])
                a, b, _ = windows[int(rng.choice(len(windows), p=w / w.sum()))]
                listed = int(rng.integers(_date(a), _date(b) + 1))
            rows.append(
                {
                    "asset_id": symbol,
                    "name": f"{word} {_SUFFIX[sub]} (simulated)",
                    "subsector": sub,
                    "sector": sector,
                    "listed": listed,
                }
            )
    meta = pd.DataFrame(rows).set_index("asset_id")
    n = len(meta)
    listed = meta["listed"].to_numpy(dtype=np.int64)
    is_major = meta.index.isin(["BTC", "ETH"])

    # Initial size: Zipf ranks for tokens trading at the start, random for later listings.
    rel_cap = np.empty(n)
    at_start = (listed == first_day) & ~is_major
    order = rng.permutation(np.flatnonzero(at_start))
    rel_cap[order] = (
        0.22 * np.arange(1, len(order) + 1) ** -1.05 * np.exp(rng.normal(0, 0.25, len(order)))
    )
    late = ~at_start & ~is_major
    rel_cap[late] = 10 ** rng.uniform(-3.6, -1.8, late.sum())
    rel_cap[is_major] = 1.0
    size = np.clip((np.log10(0.25) - np.log10(rel_cap)) / 3.4, 0.0, 1.0)
    size[is_major] = 0.0

    sector_arr = meta["sector"].to_numpy()
    sub_arr = meta["subsector"].to_numpy()
    memes = sub_arr == "memes"
    beta = 0.95 + 0.55 * size + rng.normal(0, 0.08, n)
    beta[memes] += 0.15
    beta[meta.index == "ETH"] = 1.05
    beta[meta.index == "BTC"] = 1.0
    idio = (0.018 + 0.030 * size) * np.exp(rng.normal(0, 0.12, n))
    idio[memes] *= 1.35
    idio[meta.index == "ETH"] = 0.016
    loading = rng.uniform(0.6, 1.2, n)
    jump_prob = 0.002 + 0.004 * size
    emission = np.where(rng.random(n) < 0.25, 0.0, rng.uniform(0.0, 0.3, n))
    turnover = (0.012 + 0.07 * size) * np.exp(rng.normal(0, 0.3, n))
    turnover[meta.index == "BTC"] = 0.025
    turnover[meta.index == "ETH"] = 0.035
    price0 = 10 ** rng.uniform(-2.0, 2.7, n)
    price0[memes] = 10 ** rng.uniform(-5.0, -1.5, int(memes.sum()))

    # Deaths: one sudden algorithmic-L1 collapse, one exchange-token collapse, the rest fade.
    death = np.full(n, -1, dtype=np.int64)
    kind = np.array([""] * n, dtype=object)
    cand_l1 = np.flatnonzero(
        (sector_arr == "smart_contract_l1") & ~is_major & (listed < _date("2021-06-30"))
    )
    cand_ex = np.flatnonzero((sector_arr == "exchange") & (listed < _date("2022-06-30")))
    special: list[int] = []
    if len(cand_l1):
        i = int(rng.choice(cand_l1))
        death[i], kind[i] = _date("2022-05-28"), "collapse_terra"
        special.append(i)
    if len(cand_ex):
        i = int(rng.choice(cand_ex))
        death[i], kind[i] = _date("2022-12-31"), "collapse_ftx"
        special.append(i)
    n_dead = max(10, round(0.08 * (n - 2)))
    pool = np.setdiff1d(np.flatnonzero(~is_major & (listed < _date("2025-06-30"))), special)
    fade = rng.choice(pool, size=min(len(pool), n_dead - len(special)), replace=False)
    last_death = _date("2026-08-31")
    for i in fade:
        lo = int(listed[i]) + 240
        if rng.random() < 0.5:
            lo2, hi2 = max(lo, int(_date("2022-01-01"))), int(_date("2023-12-31"))
            if lo2 < hi2:
                death[i] = int(rng.integers(lo2, hi2))
                kind[i] = "fade"
                continue
        death[i] = int(rng.integers(min(lo, last_death - 1), last_death))
        kind[i] = "fade"

    # Bubbles: a third of the tokens, mostly culture, AI and small caps.
    p_bubble = 0.2 + 0.25 * size + np.isin(sector_arr, ["culture", "ai"]) * 0.25
    bubble_peak = np.full(n, -1, dtype=np.int64)
    up_days = rng.integers(20, 70, n)
    down_days = rng.integers(40, 160, n)
    all_wins = [(_date(w0), _date(w1)) for w0, w1 in _BUBBLE_WINDOWS]
    for ib in np.flatnonzero((rng.random(n) < p_bubble) & ~is_major):
        lo_ok = int(listed[ib]) + 30 + int(up_days[ib])
        hi_ok = int(death[ib]) - 200 if death[ib] >= 0 else 10**9
        wins = [(max(w0, lo_ok), min(w1, hi_ok)) for w0, w1 in all_wins]
        wins = [(w0, w1) for w0, w1 in wins if w1 > w0]
        if not wins:
            continue
        w_lo, w_hi = wins[int(rng.integers(0, len(wins)))]
        bubble_peak[ib] = int(rng.integers(w_lo, w_hi))
    bubble_up = rng.uniform(0.9, 2.2, n)
    bubble_down = bubble_up + rng.uniform(0.3, 1.2, n)

    meta = meta.drop(columns=["listed"])
    meta["symbol"] = meta.index
    meta["is_stablecoin"] = False
    meta["list_date"] = _to_ts(listed)
    meta["death_date"] = pd.DatetimeIndex(
        [pd.NaT if d < 0 else pd.Timestamp(np.datetime64(int(d), "D")) for d in death]
    ).as_unit("ns")
    meta["death_kind"] = kind
    meta["size"] = size
    meta["rel_cap"] = rel_cap
    meta["price0"] = price0
    meta["beta"] = beta
    meta["beta_down"] = beta * (1.0 + rng.uniform(0.10, 0.30, n))
    meta.loc[meta.index == "BTC", "beta_down"] = 1.0
    meta["sector_loading"] = loading
    meta["idio_vol"] = idio
    meta["jump_prob"] = jump_prob
    meta["emission"] = emission
    meta["turnover"] = turnover
    meta["bubble_peak"] = pd.DatetimeIndex(
        [pd.NaT if d < 0 else pd.Timestamp(np.datetime64(int(d), "D")) for d in bubble_peak]
    ).as_unit("ns")
    meta["bubble_up"] = bubble_up
    meta["bubble_down"] = bubble_down
    meta["bubble_up_days"] = up_days
    meta["bubble_down_days"] = down_days

    # Supply unlocks (cliffs) for 40% of the non-major tokens.
    unlock_rows: list[tuple[str, pd.Timestamp, float]] = []
    for iu in np.flatnonzero(~is_major & (rng.random(n) < 0.4)):
        for _ in range(int(rng.integers(1, 4))):
            day = int(listed[iu]) + int(rng.integers(180, 900))
            unlock_rows.append(
                (
                    str(meta.index[iu]),
                    pd.Timestamp(np.datetime64(day, "D")),
                    float(rng.uniform(0.05, 0.25)),
                )
            )
    unlocks = pd.DataFrame(unlock_rows, columns=["asset_id", "date", "fraction"])

    stables = pd.DataFrame(
        [
            {
                "asset_id": a,
                "symbol": a,
                "name": nm,
                "sector": STABLECOIN_SECTOR,
                "subsector": sub,
                "is_stablecoin": True,
            }
            for a, nm, sub in STABLECOINS
        ]
    ).set_index("asset_id")
    stables["list_date"] = pd.Timestamp("2019-01-01")
    stables["death_date"] = pd.NaT
    stables["death_kind"] = ""
    stables["turnover"] = [0.35, 0.5, 0.15]
    meta = pd.concat([meta, stables])
    assert set(meta["sector"]) <= set(SECTORS)
    return Universe(meta=meta, unlocks=unlocks)
