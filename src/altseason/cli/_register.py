"""Importing this module registers every command on :data:`altseason.cli.app`.

Each command group lives in its own module; add new ones here.
"""

from altseason.cli import (
    _check,  # noqa: F401
    _data,  # noqa: F401
)
