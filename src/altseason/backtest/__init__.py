"""altseason.backtest."""
