"""``python -m altseason``: the command-line interface."""

from altseason.cli import main

main()
