"""Gate's balance reads, wallet by wallet (docs/exchange-apis/gate.md names each page and field).

Spot: `GET /spot/accounts` rows of `currency`, `available`, `locked` (both part of what is held). Each perpetual
futures account: `GET /futures/{settle}/accounts` `total`, "the balance after the user's accumulated deposit,
withdraw, profit and loss (including realized profit and loss, fund, fee and referral rebate), excluding unrealized
profit and loss", in `currency`; the USDT-settled delivery account (`GET /delivery/usdt/accounts`) the same way.
An account never opened answers USER_NOT_FOUND: an empty wallet. Margin, options and Earn accounts are not read
(their history is not fetched either).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import ccxt

from connectors.balances.model import Wallet, WalletRead, amount_sum


def _spot(body: Any) -> Iterable[tuple[str, Decimal]]:
    return ((row["currency"], amount_sum(row, "available", "locked")) for row in body)


def _futures(body: Any) -> Iterable[tuple[str, Decimal]]:
    return [(body["currency"], amount_sum(body, "total"))]


def futures(settle: str, product: str = "futures", method: str = "privateFuturesGetSettleAccounts") -> WalletRead:
    """One settle currency's futures account: "futures_usdt", "futures_btc" or "delivery_usdt"."""
    return WalletRead(
        f"{product}_{settle}",
        method,
        {"settle": settle},
        _futures,
        absent_errors=(ccxt.AccountNotEnabled,),
    )


READS = (
    WalletRead(Wallet.SPOT, "privateSpotGetAccounts", {}, _spot),
    futures("usdt"),
    futures("btc"),
    futures("usdt", "delivery", "privateDeliveryGetSettleAccounts"),
)
