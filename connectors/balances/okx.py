"""OKX's balance reads, wallet by wallet (docs/exchange-apis/okx.md names each page and field)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from connectors.balances.model import WalletRead, amount_sum


def _okx_trading(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v5/account/balance: data[].details[] of ccy, cashBal (eq adds unrealized profit and loss).
    for account in body["data"]:
        for row in account.get("details", []):
            yield row["ccy"], amount_sum(row, "cashBal")


def _okx_funding(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v5/asset/balances: data[] of ccy, bal.
    return ((row["ccy"], amount_sum(row, "bal")) for row in body["data"])


READS = (
    WalletRead("trading", "privateGetAccountBalance", {}, _okx_trading),
    WalletRead("funding", "privateGetAssetBalances", {}, _okx_funding),
)
