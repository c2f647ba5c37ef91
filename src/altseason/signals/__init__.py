"""altseason.signals."""
