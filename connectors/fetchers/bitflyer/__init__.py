"""bitFlyer Lightning history: the id-paged walks (fetcher.py), the rows read as records (rows.py) and the key's
permission list read (permissions.py). Rules and their sources: docs/exchange-apis/bitflyer.md."""

from connectors.fetchers.bitflyer.fetcher import BITFLYER_OPENED, BitflyerFetcher
from connectors.fetchers.bitflyer.permissions import parse_bitflyer

__all__ = ["BITFLYER_OPENED", "BitflyerFetcher", "parse_bitflyer"]
