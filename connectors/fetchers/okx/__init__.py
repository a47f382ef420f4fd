"""OKX v5 history: the walk (fetcher.py), the rows read as records (rows.py), what the API cannot give (reach.py).

Rules and their sources: docs/exchange-apis/okx.md.
"""

from connectors.fetchers.okx.fetcher import OkxFetcher
from connectors.fetchers.okx.reach import OKX_OPENED

__all__ = ["OKX_OPENED", "OkxFetcher"]
