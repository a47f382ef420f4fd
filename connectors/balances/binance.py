"""Binance's balance reads, wallet by wallet (docs/exchange-apis/binance.md names each page and field)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from connectors.balances.model import WalletRead, amount_sum


def _binance_spot(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v3/account: balances[] of asset, free, locked.
    return ((row["asset"], amount_sum(row, "free", "locked")) for row in body.get("balances", []))


def _binance_funding(body: Any) -> Iterable[tuple[str, Decimal]]:
    # POST /sapi/v1/asset/get-funding-asset: a list of asset, free, locked, freeze, withdrawing.
    return ((row["asset"], amount_sum(row, "free", "locked", "freeze", "withdrawing")) for row in body)


READS = (
    WalletRead("spot", "privateGetAccount", {"omitZeroBalances": "true"}, _binance_spot),
    WalletRead("funding", "sapiPostAssetGetFundingAsset", {}, _binance_funding),
)
