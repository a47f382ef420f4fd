"""Pick the fetcher for an exchange: hand-written where ccxt's unified methods are not enough, generic otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connectors.fetchers.base import Fetcher
from connectors.fetchers.bigone import BigoneFetcher
from connectors.fetchers.binance import BinanceFetcher
from connectors.fetchers.bitbank import BitbankFetcher
from connectors.fetchers.bitflyer import BitflyerFetcher
from connectors.fetchers.bitget import BitgetFetcher
from connectors.fetchers.bybit import BybitFetcher
from connectors.fetchers.coinbase import CoinbaseFetcher
from connectors.fetchers.coincheck import CoincheckFetcher
from connectors.fetchers.gate import GateFetcher
from connectors.fetchers.generic import GenericFetcher
from connectors.fetchers.gmocoin import GmoCoinFetcher
from connectors.fetchers.htx import HtxFetcher
from connectors.fetchers.kraken import KrakenFetcher
from connectors.fetchers.kucoin import KucoinFetcher
from connectors.fetchers.mexc import MexcFetcher
from connectors.fetchers.okx import OkxFetcher
from connectors.profiles import Endpoint, ExchangeProfile

# Wallet history first: Binance's market discovery works from the assets those endpoints mention.
SYNC_ORDER: tuple[Endpoint, ...] = (
    Endpoint.DEPOSITS,
    Endpoint.WITHDRAWALS,
    Endpoint.CONVERT,
    Endpoint.EARN_REWARDS,
    Endpoint.TRANSFERS,
    Endpoint.LEDGER,
    Endpoint.DUST,
    Endpoint.P2P,
    Endpoint.PAY,
    Endpoint.FIAT,
    Endpoint.FUNDING,
    Endpoint.FUTURES_TRADES,
    Endpoint.MARGIN_LOANS,
    Endpoint.CRYPTO_LOANS,
    Endpoint.MARGIN_TRADES,
    Endpoint.SPOT_TRADES,
)


def fetcher_for(profile: ExchangeProfile, client: Any, *, key_type: str | None = None, **options: Any) -> Fetcher:
    """A fetcher for one sync of one integration: create it per sync and fetch endpoints in `sync_order`.

    `client` is a ready ccxt client from `ClientPool.client(...)` for the profile's `ccxt_id`; `options` go to
    the fetcher (e.g. Binance `probe_budget`, `max_pause`).
    """
    if profile.ccxt_id == "binance":
        return BinanceFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "bybit":
        return BybitFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "okx":
        return OkxFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "bitget":
        return BitgetFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "kraken":
        return KrakenFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "coinbase":
        return CoinbaseFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "kucoin":
        return KucoinFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "htx":
        return HtxFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "mexc":
        return MexcFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "gate":
        return GateFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "bigone":
        return BigoneFetcher(profile, client, key_type=key_type, **options)
    if profile.ccxt_id == "bitflyer":
        return BitflyerFetcher(profile, client, key_type=key_type)
    if profile.ccxt_id == "coincheck":
        return CoincheckFetcher(profile, client, key_type=key_type)
    if profile.ccxt_id == "bitbank":
        return BitbankFetcher(profile, client, key_type=key_type)
    if profile.ccxt_id == "gmocoin":
        return GmoCoinFetcher(profile, client, key_type=key_type)
    return GenericFetcher(profile, client, key_type=key_type, **options)


def sync_order(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """The endpoints in the order one sync should fetch them."""
    return sorted(set(endpoints), key=SYNC_ORDER.index)
