"""HTX history: the walks (fetcher.py) and the rows read as records (rows.py).

Rules and their sources: docs/exchange-apis/htx.md.
"""

from connectors.fetchers.htx.fetcher import HTX_OPENED, HtxFetcher

__all__ = ["HTX_OPENED", "HtxFetcher"]
