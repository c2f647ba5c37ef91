"""Settings: the only module that reads the environment.

Environment variables
---------------------
ALTSEASON_HOME
    Home directory (store, reports, caches). Default: the platform user-data
    directory, e.g. ``~/.local/share/altseason`` on Linux.
ALTSEASON_STORE
    Path of the DuckDB store. Default: ``$ALTSEASON_HOME/altseason.duckdb``.
COINGECKO_API_KEY, COINGECKO_API_PLAN
    Optional CoinGecko key; plan ``demo`` (default when a key is set) or ``pro``.
COINMETRICS_API_KEY
    Optional Coin Metrics key (the community API needs none).
FRED_API_KEY
    Optional FRED key (without one the keyless fredgraph.csv download is used).
ALTSEASON_LOCK_TIMEOUT
    Seconds a command waits while another altseason process holds the
    store's lock (default 30).
ALTSEASON_USER_AGENT
    Overrides the HTTP User-Agent.
ALTSEASON_PREFER
    Comma-separated source preferences that override the default precedence
    of reads (source ids, source-id prefixes such as ``file:coinbase_ohlcv``,
    or kinds such as ``aggregator``); first wins. See README "Data".
ALTSEASON_<SOURCE>_BASE_URL
    Sends every request of one live source (``COINGECKO``, ``COINMETRICS``,
    ``BINANCE``, ``DERIBIT``, ``FRED``, ``ALTERNATIVE_ME``, ``FARSIDE``,
    ``LBMA``) to another ``http(s)://host[:port]`` instead of the provider's,
    keeping the path and query: for a mirror or caching proxy, and for tests
    that serve recorded payloads on 127.0.0.1. Example:
    ``ALTSEASON_COINMETRICS_BASE_URL=http://127.0.0.1:8765``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from altseason.exceptions import ConfigError

__all__ = ["Settings", "load_settings"]

_BASE_URL_VAR = re.compile(r"ALTSEASON_([A-Z][A-Z0-9_]*)_BASE_URL")
_DEFAULT_USER_AGENT = "altseason/0.1 (+https://pypi.org/project/altseason/)"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration.

    Build it with :func:`load_settings` (reads the environment once) or
    directly in code and tests. API keys are never printed: ``repr`` masks them.
    """

    home: Path
    store_path: Path
    coingecko_api_key: str | None = field(default=None, repr=False)
    coingecko_plan: str = "demo"
    coinmetrics_api_key: str | None = field(default=None, repr=False)
    fred_api_key: str | None = field(default=None, repr=False)
    user_agent: str = _DEFAULT_USER_AGENT
    lock_timeout: float = 30.0
    base_urls: tuple[tuple[str, str], ...] = ()
    prefer: tuple[str, ...] = ()

    @property
    def reports_dir(self) -> Path:
        """Default folder for reports: ``<home>/reports``."""
        return self.home / "reports"

    @property
    def cache_dir(self) -> Path:
        """Folder for HTTP caches and archived raw payloads."""
        return self.home / "cache"

    def secrets(self) -> list[str]:
        """Every configured secret value, for scrubbing logs and errors."""
        return [
            s for s in (self.coingecko_api_key, self.coinmetrics_api_key, self.fred_api_key) if s
        ]

    def base_url(self, source: str) -> str | None:
        """The ``ALTSEASON_<SOURCE>_BASE_URL`` override for ``source``, if any."""
        return dict(self.base_urls).get(source.lower())

    def with_store(self, store_path: str | os.PathLike[str] | None) -> Settings:
        """A copy with another store path (``None`` keeps the current one)."""
        if store_path is None:
            return self
        return replace(self, store_path=Path(store_path).expanduser())


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment (or from ``environ`` when given).

    Raises
    ------
    ConfigError
        If a value is invalid, e.g. an unknown CoinGecko plan.
    """
    env = os.environ if environ is None else environ
    home_raw = env.get("ALTSEASON_HOME")
    home = (
        Path(home_raw).expanduser()
        if home_raw
        else Path(platformdirs.user_data_dir("altseason", appauthor=False))
    )
    store_raw = env.get("ALTSEASON_STORE")
    store_path = Path(store_raw).expanduser() if store_raw else home / "altseason.duckdb"
    plan = env.get("COINGECKO_API_PLAN", "demo").strip().lower()
    if plan not in {"demo", "pro"}:
        raise ConfigError(
            f"COINGECKO_API_PLAN={plan!r} is not a CoinGecko plan; set it to 'demo' or 'pro'."
        )
    lock_raw = env.get("ALTSEASON_LOCK_TIMEOUT", "").strip()
    try:
        lock_timeout = float(lock_raw) if lock_raw else 30.0
    except ValueError:
        lock_timeout = -1.0
    if not lock_timeout >= 0 or lock_timeout == float("inf"):
        raise ConfigError(
            f"ALTSEASON_LOCK_TIMEOUT={lock_raw!r} is not a number of seconds; set e.g. 30."
        )
    base_urls = []
    for name, value in sorted(env.items()):
        m = _BASE_URL_VAR.fullmatch(name)
        if m is None or not value:
            continue
        if not re.match(r"^https?://[^/?#\s]+/?$", value.strip()):
            raise ConfigError(
                f"{name}={value!r} is not a base URL; give scheme and host only, e.g. "
                "http://127.0.0.1:8765."
            )
        base_urls.append((m.group(1).lower(), value.strip().rstrip("/")))
    return Settings(
        home=home,
        store_path=store_path,
        coingecko_api_key=env.get("COINGECKO_API_KEY") or None,
        coingecko_plan=plan,
        coinmetrics_api_key=env.get("COINMETRICS_API_KEY") or None,
        fred_api_key=env.get("FRED_API_KEY") or None,
        user_agent=env.get("ALTSEASON_USER_AGENT") or _DEFAULT_USER_AGENT,
        base_urls=tuple(base_urls),
        lock_timeout=lock_timeout,
        prefer=tuple(p.strip() for p in env.get("ALTSEASON_PREFER", "").split(",") if p.strip()),
    )
