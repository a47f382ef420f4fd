"""BigONE history: the walks (fetcher.py) and the rows read as records (rows.py).

Rules and their sources: docs/exchange-apis/bigone.md.
"""

from connectors.fetchers.bigone.fetcher import BigoneFetcher

__all__ = ["BigoneFetcher"]
