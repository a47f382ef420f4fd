"""MEXC history: the windowed walks (fetcher.py) and the rows read as records (rows.py).

Rules and their sources: docs/exchange-apis/mexc.md.
"""

from connectors.fetchers.mexc.fetcher import MEXC_OPENED, MexcFetcher

__all__ = ["MEXC_OPENED", "MexcFetcher"]
