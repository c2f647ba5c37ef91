"""The calendar of real regulatory and market events (2019-2025).

These are real events with their real dates (UTC calendar day of the
decision, signature, launch or collapse) and a public source URL. They are
not simulated: rows written from this calendar carry ``source = "calendar"``
(:data:`CALENDAR_SOURCE`), also when the demo market writes them.

The calendar is reference data shipped with the package: every writable
store writes it when created or migrated, and again whenever this calendar
changes (:func:`calendar_hash`), with its own ``ingest_log`` entry
(dataset ``reference:calendar``), whether or not the demo ran.

Categories: ``regulation`` (laws, rules, approvals, court rulings,
enforcement), ``market`` (crashes, failures, launches of products) and
``protocol`` (network upgrades, halvings). Jurisdictions: ``US``, ``EU``,
``CN``, ``HK``, ``SV``, ``global``.
"""

from __future__ import annotations

import hashlib

import pandas as pd

__all__ = ["CALENDAR_SOURCE", "EVENT_COLUMNS", "calendar_hash", "regulatory_events"]

CALENDAR_SOURCE = "calendar"
"""The ``source`` value of event rows from this calendar."""

EVENT_COLUMNS = ("event_id", "date", "title", "category", "jurisdiction", "description", "url")

_MICA = "https://eur-lex.europa.eu/eli/reg/2023/1114/oj"

# (event_id, date, title, category, jurisdiction, description, url)
_EVENTS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("libra-announced", "2019-06-18", "Facebook announces Libra", "market", "global",
     "Facebook publishes the Libra stablecoin white paper, triggering a global regulatory "
     "backlash against private stablecoins.",
     "https://en.wikipedia.org/wiki/Diem_(digital_currency)"),
    ("covid-crash", "2020-03-12", "COVID-19 market crash (Black Thursday)", "market", "global",
     "A global flight to cash; BTC falls about 40% in a day and DeFi liquidations cascade.",
     "https://en.wikipedia.org/wiki/2020_stock_market_crash"),
    ("btc-halving-2020", "2020-05-11", "Third Bitcoin halving", "protocol", "global",
     "The block subsidy falls from 12.5 to 6.25 BTC.",
     "https://en.bitcoin.it/wiki/Controlled_supply"),
    ("beacon-chain-genesis", "2020-12-01", "Ethereum Beacon Chain launches", "protocol",
     "global", "Proof-of-stake Beacon Chain genesis; ETH staking begins.",
     "https://ethereum.org/en/roadmap/beacon-chain/"),
    ("sec-sues-ripple", "2020-12-22", "SEC sues Ripple over XRP sales", "regulation", "US",
     "The SEC charges Ripple and two executives with an unregistered securities offering; "
     "US exchanges delist XRP.",
     "https://www.sec.gov/news/press-release/2020-338"),
    ("coinbase-listing", "2021-04-14", "Coinbase lists on Nasdaq", "market", "US",
     "Coinbase's direct listing, near the top of the 2021 bull market.",
     "https://en.wikipedia.org/wiki/Coinbase"),
    ("london-eip1559", "2021-08-05", "Ethereum London upgrade (EIP-1559)", "protocol",
     "global", "Base-fee burning changes ETH's supply dynamics.",
     "https://ethereum.org/en/history/"),
    ("el-salvador-legal-tender", "2021-09-07", "Bitcoin becomes legal tender in El Salvador",
     "regulation", "SV", "El Salvador's Bitcoin Law takes effect.",
     "https://en.wikipedia.org/wiki/Bitcoin_in_El_Salvador"),
    ("taproot", "2021-11-14", "Bitcoin Taproot activates", "protocol", "global",
     "Schnorr signatures and Taproot (BIP 340-342) activate at block 709,632.",
     "https://github.com/bitcoin/bips/blob/master/bip-0341.mediawiki"),
    ("terra-collapse", "2022-05-09", "Terra/LUNA and UST collapse", "market", "global",
     "The UST algorithmic stablecoin loses its peg; LUNA collapses within days and "
     "contagion spreads to lenders and funds.",
     "https://en.wikipedia.org/wiki/Terra_(blockchain)"),
    ("celsius-freeze", "2022-06-12", "Celsius freezes withdrawals", "market", "US",
     "The crypto lender Celsius pauses all withdrawals; the June 2022 capitulation follows.",
     "https://en.wikipedia.org/wiki/Celsius_Network"),
    ("tornado-cash-sanctions", "2022-08-08", "OFAC sanctions Tornado Cash", "regulation", "US",
     "The US Treasury adds the Tornado Cash mixer and its smart contracts to the SDN list.",
     "https://home.treasury.gov/news/press-releases/jy0916"),
    ("ethereum-merge", "2022-09-15", "Ethereum Merge", "protocol", "global",
     "Ethereum moves from proof of work to proof of stake; issuance drops by about 90%.",
     "https://ethereum.org/en/roadmap/merge/"),
    ("ftx-collapse", "2022-11-11", "FTX files for bankruptcy", "market", "global",
     "FTX and Alameda Research file for Chapter 11 after a run on the exchange.",
     "https://en.wikipedia.org/wiki/Bankruptcy_of_FTX"),
    ("svb-failure", "2023-03-10", "Silicon Valley Bank fails; USDC depegs", "market", "US",
     "SVB is closed by regulators; USDC, with reserves at SVB, trades below $0.90 the next "
     "day before recovering.",
     "https://en.wikipedia.org/wiki/Collapse_of_Silicon_Valley_Bank"),
    ("shapella", "2023-04-12", "Ethereum Shapella upgrade", "protocol", "global",
     "Staked ETH withdrawals are enabled.",
     "https://ethereum.org/en/history/"),
    ("sec-sues-binance", "2023-06-05", "SEC sues Binance", "regulation", "US",
     "The SEC files 13 charges against Binance and its founder.",
     "https://www.sec.gov/news/press-release/2023-101"),
    ("sec-sues-coinbase", "2023-06-06", "SEC sues Coinbase", "regulation", "US",
     "The SEC charges Coinbase with operating an unregistered exchange, broker and "
     "clearing agency.",
     "https://www.sec.gov/news/press-release/2023-102"),
    ("mica-in-force", "2023-06-29", "MiCA enters into force", "regulation", "EU",
     "The Markets in Crypto-Assets Regulation (EU) 2023/1114 enters into force; its "
     "titles apply from 2024.", _MICA),
    ("ripple-ruling", "2023-07-13", "SEC v. Ripple summary judgment", "regulation", "US",
     "Judge Torres rules that Ripple's programmatic sales of XRP on exchanges were not "
     "investment contracts; institutional sales were.",
     "https://en.wikipedia.org/wiki/Ripple_Labs"),
    ("grayscale-win", "2023-08-29", "Grayscale wins against the SEC", "regulation", "US",
     "The D.C. Circuit vacates the SEC's denial of the Grayscale Bitcoin Trust conversion "
     "as arbitrary and capricious.",
     "https://law.justia.com/cases/federal/appellate-courts/cadc/22-1142/22-1142-2023-08-29.html"),
    ("binance-doj-plea", "2023-11-21", "Binance pleads guilty; CZ steps down", "regulation",
     "US", "Binance agrees to a $4.3bn resolution with US authorities and its CEO resigns.",
     "https://www.justice.gov/opa/pr/binance-and-ceo-plead-guilty-federal-charges-4b-resolution"),
    ("spot-btc-etf-approval", "2024-01-10", "US spot bitcoin ETFs approved", "regulation", "US",
     "The SEC approves the listing of spot bitcoin exchange-traded products; trading starts "
     "on 2024-01-11.",
     "https://www.sec.gov/news/statement/gensler-statement-spot-bitcoin-011023"),
    ("dencun", "2024-03-13", "Ethereum Dencun upgrade (EIP-4844)", "protocol", "global",
     "Blob transactions cut layer-2 data costs.",
     "https://ethereum.org/en/roadmap/dencun/"),
    ("btc-halving-2024", "2024-04-20", "Fourth Bitcoin halving", "protocol", "global",
     "The block subsidy falls from 6.25 to 3.125 BTC.",
     "https://en.bitcoin.it/wiki/Controlled_supply"),
    ("spot-eth-etf-19b4", "2024-05-23", "US spot ether ETF 19b-4 approvals", "regulation", "US",
     "The SEC approves exchange rule changes to list spot ether ETPs (Release 34-100224).",
     "https://www.govinfo.gov/content/pkg/FR-2024-05-30/html/2024-11804.htm"),
    ("mica-stablecoins", "2024-06-30", "MiCA stablecoin rules apply", "regulation", "EU",
     "MiCA titles III and IV (asset-referenced and e-money tokens) apply.", _MICA),
    ("spot-eth-etf-launch", "2024-07-23", "US spot ether ETFs start trading", "market", "US",
     "Spot ether ETFs, including the converted Grayscale Ethereum Trust, begin trading.",
     "https://en.wikipedia.org/wiki/Ethereum"),
    ("us-election-2024", "2024-11-05", "US presidential election", "regulation", "US",
     "The election of a crypto-friendly administration and Congress.",
     "https://en.wikipedia.org/wiki/2024_United_States_presidential_election"),
    ("mica-full", "2024-12-30", "MiCA applies in full", "regulation", "EU",
     "MiCA's crypto-asset service provider regime applies across the EU.", _MICA),
    ("eo-digital-assets-2025", "2025-01-23",
     "Executive order on digital financial technology", "regulation", "US",
     "The US president orders a digital-asset working group and bans a US CBDC.",
     "https://www.whitehouse.gov/presidential-actions/2025/01/"
     "strengthening-american-leadership-in-digital-financial-technology/"),
    ("strategic-bitcoin-reserve", "2025-03-06", "US Strategic Bitcoin Reserve ordered",
     "regulation", "US",
     "An executive order establishes a Strategic Bitcoin Reserve and a digital asset "
     "stockpile from forfeited coins.",
     "https://www.whitehouse.gov/presidential-actions/2025/03/"
     "establishment-of-the-strategic-bitcoin-reserve-and-united-states-digital-asset-stockpile/"),
    ("pectra", "2025-05-07", "Ethereum Pectra upgrade", "protocol", "global",
     "Raises the validator balance limit and adds account abstraction (EIP-7702).",
     "https://ethereum.org/en/roadmap/pectra/"),
    ("clarity-act-house", "2025-07-17", "House passes the CLARITY Act", "regulation", "US",
     "The House passes the Digital Asset Market Clarity Act (H.R. 3633) on market structure.",
     "https://www.congress.gov/bill/119th-congress/house-bill/3633"),
    ("genius-act", "2025-07-18", "GENIUS Act signed into law", "regulation", "US",
     "The first US federal payment-stablecoin law (S. 1582) is signed.",
     "https://www.congress.gov/bill/119th-congress/senate-bill/1582"),
)  # fmt: skip


def regulatory_events() -> pd.DataFrame:
    """The event calendar as a frame in the ``events`` table shape.

    Returns
    -------
    DataFrame
        Columns ``event_id, date, title, category, jurisdiction, description,
        url`` (``date`` as naive UTC-day Timestamps), one row per event,
        sorted by date. Add ``source = CALENDAR_SOURCE`` when writing it.
    """
    frame = pd.DataFrame(list(_EVENTS), columns=list(EVENT_COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.sort_values(["date", "event_id"], ignore_index=True)


def calendar_hash() -> str:
    """A content hash of the calendar (the store rewrites it when this changes)."""
    text = "\n".join("\t".join(row) for row in _EVENTS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
