"""altseason.report."""
