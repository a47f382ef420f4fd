"""The hand-written profiles, one module per exchange. Importing this never imports ccxt."""

from __future__ import annotations

from connectors.profiles.catalog import (
    bigone,
    binance,
    bitbank,
    bitflyer,
    bitget,
    bybit,
    coinbase,
    coincheck,
    gate,
    gmocoin,
    htx,
    kraken,
    kucoin,
    mexc,
    okx,
)
from connectors.profiles.model import ExchangeProfile

HAND_WRITTEN: tuple[ExchangeProfile, ...] = tuple(
    sorted(
        [
            m.PROFILE
            for m in (binance, bybit, okx, bitget, kucoin, kraken, coinbase, gate, mexc, htx, bigone, bitflyer, bitbank)
        ]
        + [coincheck.PROFILE, gmocoin.PROFILE],
        key=lambda p: -p.popularity,
    )
)

__all__ = ["HAND_WRITTEN"]
