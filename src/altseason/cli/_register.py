# ruff: noqa: F401
"""Importing this module registers every command on :data:`altseason.cli.app`.

Each command group lives in its own module; add one ``import`` line per module here.
"""

import altseason.cli._backtest
import altseason.cli._check
import altseason.cli._data
import altseason.cli._demo
import altseason.cli._divergence
import altseason.cli._fetch
import altseason.cli._positioning
import altseason.cli._report
import altseason.cli._serve
import altseason.cli._verify
