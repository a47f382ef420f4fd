"""GMO Coin history: its own REST client (client.py; ccxt has no GMO Coin), the walks (fetcher.py) and the rows read
as records (rows.py). Rules and their sources: docs/exchange-apis/gmocoin.md."""

from connectors.fetchers.gmocoin.client import GmoCoinClient
from connectors.fetchers.gmocoin.fetcher import GMOCOIN_OPENED, GmoCoinFetcher

__all__ = ["GMOCOIN_OPENED", "GmoCoinClient", "GmoCoinFetcher"]
