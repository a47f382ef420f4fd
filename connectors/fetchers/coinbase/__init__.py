"""Coinbase history: the walks (fetcher.py) and the rows read as records (rows.py).

Rules and their sources: docs/exchange-apis/coinbase.md.
"""

from connectors.fetchers.coinbase.fetcher import CoinbaseFetcher

__all__ = ["CoinbaseFetcher"]
