"""Command-line interface (Typer). A thin shell over the library."""

from altseason.cli._app import app, main

__all__ = ["app", "main"]
