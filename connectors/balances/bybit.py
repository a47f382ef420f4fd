"""Bybit's balance reads, wallet by wallet (docs/exchange-apis/bybit.md names each page and field)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from connectors.balances.model import WalletRead, amount_sum


def _bybit_unified(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /v5/account/wallet-balance: result.list[].coin[] of coin, walletBalance.
    for account in body["result"]["list"]:
        for row in account.get("coin", []):
            yield row["coin"], amount_sum(row, "walletBalance")


def _bybit_fund(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /v5/asset/transfer/query-account-coins-balance: result.balance[] of coin, walletBalance.
    return ((row["coin"], amount_sum(row, "walletBalance")) for row in body["result"].get("balance", []))


READS = (
    WalletRead("unified", "privateGetV5AccountWalletBalance", {"accountType": "UNIFIED"}, _bybit_unified),
    WalletRead("funding", "privateGetV5AssetTransferQueryAccountCoinsBalance", {"accountType": "FUND"}, _bybit_fund),
)
