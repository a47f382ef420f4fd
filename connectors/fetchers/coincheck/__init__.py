"""Coincheck history: the paged and whole-list reads (fetcher.py) and the rows read as records (rows.py).

Rules and their sources: docs/exchange-apis/coincheck.md."""

from connectors.fetchers.coincheck.fetcher import CoincheckFetcher

__all__ = ["CoincheckFetcher"]
