"""bitbank history: the time-bounded walks (fetcher.py) and the rows read as records (rows.py). Rules and their
sources: docs/exchange-apis/bitbank.md."""

from connectors.fetchers.bitbank.fetcher import BITBANK_OPENED, BitbankFetcher

__all__ = ["BITBANK_OPENED", "BitbankFetcher"]
