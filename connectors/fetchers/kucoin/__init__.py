"""KuCoin history: the windowed walks (fetcher.py) and the rows read as records (rows.py).

Rules and their sources: docs/exchange-apis/kucoin.md.
"""

from connectors.fetchers.kucoin.fetcher import KUCOIN_OPENED, KucoinFetcher

__all__ = ["KUCOIN_OPENED", "KucoinFetcher"]
