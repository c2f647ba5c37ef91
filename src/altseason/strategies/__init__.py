"""altseason.strategies."""
