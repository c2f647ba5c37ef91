"""altseason.analytics."""
