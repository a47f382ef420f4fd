"""OKX's balance reads, wallet by wallet (docs/exchange-apis/okx.md names each page and field).

Each wallet is read as what the history can explain: no unrealized profit and loss, and net of what is owed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from connectors.balances.model import InPosition, Wallet, WalletRead, amount_sum


def _okx_trading(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v5/account/balance: data[].details[] of ccy, cashBal ("Cash balance") plus the margin isolated
    # positions hold, isoEq ("Isolated margin equity of currency") less isoUpl (its unrealized part). cashBal is the
    # account-level balance: an isolated position's margin sits outside it, at the position level (a live answer
    # with one open isolated swap has eq = cashBal + isoEq; docs/exchange-apis/okx.md, "Isolated positions").
    # `eq` adds unrealized profit and loss (`upl`), which no history record explains. A borrowed coin's debt is
    # already in cashBal: OKX lends by letting the cash balance go below zero, and `liab` repeats that debt as a
    # positive number, so subtracting it would count the debt twice. `interest` is interest accrued and not yet
    # charged: once charged it is a type 7 bill (an INTEREST record) and in cashBal, so it is not subtracted before
    # then either.
    # A currency with isoEq ≠ 0 has an open isolated position: for isolated margin trading (instType MARGIN) the
    # fills are stored as trades of both coins while this answer gives only the margin coin's equity, so the
    # reconciliation names the open position (InPosition) instead of an unknown cause.
    for account in body["data"]:
        for row in account.get("details", []):
            held = amount_sum(row, "cashBal", "isoEq") - amount_sum(row, "isoUpl")
            yield row["ccy"], InPosition(held) if amount_sum(row, "isoEq") != 0 else held


def _okx_funding(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v5/asset/balances: data[] of ccy, bal.
    return ((row["ccy"], amount_sum(row, "bal")) for row in body["data"])


def _okx_savings(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v5/finance/savings/balance (Simple Earn Flexible): data[] of ccy, amt ("Currency amount"; the
    # documented example's amt 11.0010737453457821 is the principal with its earnings, loanAmt + pendingAmt).
    return ((row["ccy"], amount_sum(row, "amt")) for row in body["data"])


def _okx_onchain_earn(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v5/finance/staking-defi/orders-active (On-chain earn, "GET / Active orders"): data[] of orders, each
    # with investData[] of ccy, amt ("Invested amount"), in every state (pending, on chain, earning, redeeming)
    # until it is back in the funding account. Earnings are paid into the funding account (bill 83, a reward), so
    # earningData (estimated) is not added.
    return ((item["ccy"], amount_sum(item, "amt")) for order in body["data"] for item in order.get("investData", []))


READS = (
    WalletRead(Wallet.TRADING, "privateGetAccountBalance", {}, _okx_trading),
    WalletRead(Wallet.FUNDING, "privateGetAssetBalances", {}, _okx_funding),
    WalletRead(Wallet.SAVINGS, "privateGetFinanceSavingsBalance", {}, _okx_savings),
    WalletRead(Wallet.EARN, "privateGetFinanceStakingDefiOrdersActive", {}, _okx_onchain_earn),
)
