"""Kraken spot history: the walk (fetcher.py) and the rows read as records (rows.py).

Rules and their sources: docs/exchange-apis/kraken.md.
"""

from connectors.fetchers.kraken.fetcher import KRAKEN_OPENED, KrakenFetcher

__all__ = ["KRAKEN_OPENED", "KrakenFetcher"]
