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


def _binance_earn_flexible(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /sapi/v1/simple-earn/flexible/position: rows[] of asset, totalAmount (with its collateralAmount). `size` at
    # most 100: an account with more than 100 flexible positions is read in part.
    return ((row["asset"], amount_sum(row, "totalAmount")) for row in body.get("rows") or [])


def _binance_earn_locked(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /sapi/v1/simple-earn/locked/position: rows[] of asset, amount (size at most 100, as above).
    return ((row["asset"], amount_sum(row, "amount")) for row in body.get("rows") or [])


def _binance_futures(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /fapi/v2/balance and GET /dapi/v1/balance: a list of asset, balance (the wallet balance; crossUnPnl, the
    # unrealized profit and loss, is not in it and no history explains it).
    return ((row["asset"], amount_sum(row, "balance")) for row in body)


def _binance_cross_margin(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /sapi/v1/margin/account: userAssets[] of asset, netAsset = free + locked - borrowed - interest.
    return ((row["asset"], amount_sum(row, "netAsset")) for row in body.get("userAssets") or [])


def _binance_isolated_margin(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /sapi/v1/margin/isolated/account: assets[] of baseAsset and quoteAsset, each with asset and netAsset.
    for pair in body.get("assets") or []:
        for side in ("baseAsset", "quoteAsset"):
            yield pair[side]["asset"], amount_sum(pair[side], "netAsset")


def _binance_crypto_loans(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /sapi/v2/loan/flexible/ongoing/orders: rows[] of loanCoin, totalDebt, collateralCoin, collateralAmount. The
    # open loans as a wallet: the collateral they hold, less what they owe (interest included). `limit` at most 100:
    # an account with more than 100 open loans is read in part.
    for row in body.get("rows") or []:
        yield row["collateralCoin"], amount_sum(row, "collateralAmount")
        yield row["loanCoin"], -amount_sum(row, "totalDebt")


# A key made before the futures wallet was opened gets -2015 on /fapi and /dapi; no margin account: -3003.
_NO_FUTURES, _NO_MARGIN = ("-2015",), ("-3003",)
SPOT, FUNDING = ("spot", "funding")  # wallet names are codes (stored with the snapshot)

READS = (
    WalletRead(SPOT, "privateGetAccount", {"omitZeroBalances": "true"}, _binance_spot),
    WalletRead(FUNDING, "sapiPostAssetGetFundingAsset", {}, _binance_funding),
    WalletRead("earn_flexible", "sapiGetSimpleEarnFlexiblePosition", {"size": "100"}, _binance_earn_flexible),
    WalletRead("earn_locked", "sapiGetSimpleEarnLockedPosition", {"size": "100"}, _binance_earn_locked),
    WalletRead("usdm_futures", "fapiPrivateV2GetBalance", {}, _binance_futures, _NO_FUTURES),
    WalletRead("coinm_futures", "dapiPrivateGetBalance", {}, _binance_futures, _NO_FUTURES),
    WalletRead("cross_margin", "sapiGetMarginAccount", {}, _binance_cross_margin, _NO_MARGIN),
    WalletRead("isolated_margin", "sapiGetMarginIsolatedAccount", {}, _binance_isolated_margin),
    WalletRead("crypto_loans", "sapiV2GetLoanFlexibleOngoingOrders", {"limit": "100"}, _binance_crypto_loans),
)
