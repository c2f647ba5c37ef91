"""Type aliases shared across altseason.

Panels are ``pandas.DataFrame`` objects shaped ``(n_dates, n_assets)`` with a
naive ``DatetimeIndex`` holding UTC calendar days and one column per asset id.
"""

from __future__ import annotations

import datetime as _dt
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["ArrayLike", "DateLike", "FloatArray", "Panel", "SeriesOrFrame"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""A float64 NumPy array."""

Panel: TypeAlias = pd.DataFrame
"""A ``(n_dates, n_assets)`` frame with a daily DatetimeIndex (UTC days)."""

SeriesOrFrame: TypeAlias = pd.Series | pd.DataFrame
ArrayLike: TypeAlias = pd.Series | pd.DataFrame | npt.NDArray[np.float64]
DateLike: TypeAlias = str | _dt.date | _dt.datetime | pd.Timestamp
