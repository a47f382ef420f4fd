"""Bybit v5 history: the fetcher (`fetcher`) and how Bybit's rows become records (`rows`)."""

from connectors.fetchers.bybit.fetcher import WEB_CONVERTS_LISTED_FROM, BybitFetcher
from connectors.fetchers.bybit.rows import BYBIT_OPENED

__all__ = ["BYBIT_OPENED", "WEB_CONVERTS_LISTED_FROM", "BybitFetcher"]
