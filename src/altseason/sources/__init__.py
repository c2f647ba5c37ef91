"""altseason.sources."""
