"""altseason.dashboard."""
