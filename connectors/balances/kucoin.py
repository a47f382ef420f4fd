"""KuCoin's balance reads, wallet by wallet (docs/exchange-apis/kucoin.md names each page and field).

Spot: `GET /api/v1/accounts`, one row per currency and account type (main, trade, trade_hf, margin …) with
`balance` ("Total funds in the account"). Futures (the futures host): `GET /api/v1/account-overview` per currency
(USDT, XBT), `marginBalance` ("positionMargin + orderMargin + frozenFunds + availableBalance - unrealisedPNL"): the
wallet without unrealised profit and loss, what the ledger's lines add up to. Margin debt is not subtracted (margin
history is not fetched).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from connectors.balances.model import Wallet, WalletRead, amount_sum
from connectors.fetchers.kucoin.futures_rows import number


def _accounts(body: Any) -> Iterable[tuple[str, Decimal]]:
    return ((row["currency"], amount_sum(row, "balance")) for row in body.get("data") or [])


def _overview(body: Any) -> Iterable[tuple[str, Decimal]]:
    data = body.get("data") or {}
    return [(str(data["currency"]), number(data.get("marginBalance") or 0))]


def futures(currency: str) -> WalletRead:
    """One futures currency's account: "futures_usdt" or "futures_xbt"."""
    return WalletRead(
        f"futures_{currency.lower()}", "futuresPrivateGetAccountOverview", {"currency": currency}, _overview
    )


READS = (WalletRead(Wallet.SPOT, "privateGetAccounts", {}, _accounts), futures("USDT"), futures("XBT"))
