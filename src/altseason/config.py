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

ALTSEASON_DASHBOARD_HOSTS
    Comma-separated ``Host`` names the dashboard accepts besides the bound
    address (a reverse proxy's or a LAN name); ``altseason serve --allow-host``.

Resource limits (see :class:`Limits`; each a positive number)
-------------------------------------------------------------
ALTSEASON_FETCH_DEADLINE
    Seconds one ``fetch`` run may take in all (default 3600).
ALTSEASON_REQUEST_DEADLINE
    Seconds one request attempt may take, from connecting to the last byte (default 120).
ALTSEASON_STALL_TIMEOUT
    Seconds without a byte from the server before a request counts as stalled (default 30).
ALTSEASON_MAX_RESPONSE_MB
    Largest response body, after decompression, in MiB (default 64).
ALTSEASON_MAX_PAGES
    Pages followed per paginated key (asset, series, ...) (default 1000).
ALTSEASON_MAX_RETRY_WAIT
    Longest wait honoured from a ``Retry-After`` header, in seconds (default 60).
ALTSEASON_IMPORT_MAX_MB
    Largest input file any import reads, in MiB (default 2048). Streaming readers
    (Binance klines CSV, plain or gzip/zstd) read it in chunks with bounded memory.
ALTSEASON_IMPORT_MAX_INMEMORY_MB
    Largest file a reader that loads the whole file (the other CSV and JSON
    formats) accepts, in MiB (default 32; such a reader peaks at roughly 30 times
    the file size).
ALTSEASON_IMPORT_MAX_DECOMPRESSED_MB
    Largest decompressed size of a compressed input file, in MiB (default 2048).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import platformdirs

from altseason.exceptions import ConfigError

__all__ = [
    "LIMIT_VARIABLES",
    "Limits",
    "Settings",
    "limit_variable",
    "load_limits",
    "load_settings",
    "mask_userinfo",
]

_BASE_URL_VAR = re.compile(r"ALTSEASON_([A-Z][A-Z0-9_]*)_BASE_URL")
_DEFAULT_USER_AGENT = "altseason/0.1 (+https://pypi.org/project/altseason/)"


_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource limits for network fetches and file imports.

    Attributes
    ----------
    fetch_deadline
        Seconds one fetch run (one :class:`~altseason.sources.HttpClient`) may take.
    request_deadline
        Seconds one request attempt may take, from connecting to the last byte
        of the body (a server trickling bytes is cut off here).
    stall_timeout
        Seconds without a byte from the server (connect or read) before the
        attempt counts as stalled (then retried, within the deadlines).
    max_response_bytes
        Largest response body accepted, counted after decompression; reading
        stops at the cap.
    max_pages
        Pages followed for one paginated key; a page URL seen twice stops at once.
    max_retry_wait
        Longest wait honoured from ``Retry-After`` (seconds); a wait that would
        pass a deadline fails at once instead.
    import_max_bytes
        Largest input file any import reads, in bytes (streaming readers).
    import_max_inmemory_bytes
        Largest input file a reader that loads the whole file accepts, in bytes.
    import_max_decompressed_bytes
        Largest decompressed size of a compressed input (zstd), in bytes.
    """

    fetch_deadline: float = 3600.0
    request_deadline: float = 120.0
    stall_timeout: float = 30.0
    max_response_bytes: int = 64 * _MIB
    max_pages: int = 1000
    max_retry_wait: float = 60.0
    import_max_bytes: int = 2048 * _MIB
    import_max_inmemory_bytes: int = 32 * _MIB
    import_max_decompressed_bytes: int = 2048 * _MIB


#: Environment variable -> (``Limits`` field, multiplier to the field's unit).
LIMIT_VARIABLES: dict[str, tuple[str, int]] = {
    "ALTSEASON_FETCH_DEADLINE": ("fetch_deadline", 1),
    "ALTSEASON_REQUEST_DEADLINE": ("request_deadline", 1),
    "ALTSEASON_STALL_TIMEOUT": ("stall_timeout", 1),
    "ALTSEASON_MAX_RESPONSE_MB": ("max_response_bytes", _MIB),
    "ALTSEASON_MAX_PAGES": ("max_pages", 1),
    "ALTSEASON_MAX_RETRY_WAIT": ("max_retry_wait", 1),
    "ALTSEASON_IMPORT_MAX_MB": ("import_max_bytes", _MIB),
    "ALTSEASON_IMPORT_MAX_INMEMORY_MB": ("import_max_inmemory_bytes", _MIB),
    "ALTSEASON_IMPORT_MAX_DECOMPRESSED_MB": ("import_max_decompressed_bytes", _MIB),
}


def limit_variable(name: str) -> str:
    """The environment variable that sets the ``Limits`` field ``name``."""
    for var, (fname, _) in LIMIT_VARIABLES.items():
        if fname == name:
            return var
    raise KeyError(name)


def load_limits(environ: Mapping[str, str] | None = None) -> Limits:
    """:class:`Limits` from the ``ALTSEASON_*`` limit variables (module docstring).

    Raises
    ------
    ConfigError
        A value that is not a positive number.
    """
    env = os.environ if environ is None else environ
    values: dict[str, float | int] = {}
    for var, (name, unit) in LIMIT_VARIABLES.items():
        raw = env.get(var, "").strip()
        if not raw:
            continue
        try:
            number = float(raw)
        except ValueError:
            number = float("nan")
        if not (number > 0 and number < float("inf")):
            raise ConfigError(f"{var}={raw!r} is not a positive number; unset it for the default.")
        integral = isinstance(getattr(Limits, name), int)
        values[name] = max(1, int(number * unit)) if integral else number * unit
    return Limits(**values)  # type: ignore[arg-type]


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
    base_urls: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    prefer: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    dashboard_hosts: tuple[str, ...] = ()

    @property
    def reports_dir(self) -> Path:
        """Default folder for reports: ``<home>/reports``."""
        return self.home / "reports"

    @property
    def cache_dir(self) -> Path:
        """Folder for HTTP caches and archived raw payloads."""
        return self.home / "cache"

    def secrets(self) -> list[str]:
        """Every configured secret value, for scrubbing logs and errors: the API
        keys and the user name and password of any base-URL override."""
        found = [
            s for s in (self.coingecko_api_key, self.coinmetrics_api_key, self.fred_api_key) if s
        ]
        for _, url in self.base_urls:
            found.extend(_url_credentials(url))
        return found

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
                f"{name}={mask_userinfo(value)!r} is not a base URL; give scheme and host only, e.g. "
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
        limits=load_limits(env),
        dashboard_hosts=tuple(
            h.strip() for h in env.get("ALTSEASON_DASHBOARD_HOSTS", "").split(",") if h.strip()
        ),
    )


def mask_userinfo(text: str) -> str:
    """``text`` with the ``user:pass@`` part of every URL replaced by ``***@``."""
    return re.sub(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]*@", r"\1***@", text)


def _url_credentials(url: str) -> list[str]:
    """The user name and password in ``scheme://user:pass@host`` (may be empty)."""
    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return []
    userinfo = netloc.rsplit("@", 1)[0]
    out: list[str] = []
    for part in userinfo.split(":", 1):
        if part:
            out.extend({part, unquote(part)})
    return out
