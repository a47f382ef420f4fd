"""Bitget's balance reads, wallet by wallet (docs/exchange-apis/bitget.md names each page and field)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import ccxt

from connectors.balances.model import WalletRead, amount_sum


def _bitget_spot(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v2/spot/account/assets: data[] of coin, available, frozen, locked.
    return ((row["coin"], amount_sum(row, "available", "frozen", "locked")) for row in body["data"])


def _bitget_funding(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v2/account/funding-assets (common/account/Funding-Assets): data[] of coin, available, frozen (the
    # example leaves frozen ""): the funding account, which the transfer records call "p2p".
    return ((row["coin"], amount_sum(row, "available", "frozen")) for row in body["data"] or [])


def _bitget_earn(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v2/earn/account/assets (earn/account/Earn-Assets): data[] of coin, amount.
    return ((row["coin"], amount_sum(row, "amount")) for row in body["data"] or [])


def _bitget_bots(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v2/account/bot-assets (common/account/Bot-Assets): data[] of coin, available, frozen ("in orders"),
    # equity ("account assets"), bonus. The page's example has equity above available + frozen (a futures bot's
    # position margin), so equity is what the bot account holds.
    return ((row["coin"], amount_sum(row, "equity")) for row in body["data"] or [])


def _bitget_unified(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v3/account/assets: data.assets[] of coin, balance (equity adds unrealized profit and loss), debt
    # ("Applicable when placing margin orders"). Read net of the debt, as every margin wallet is (the page does not
    # say whether `balance` holds borrowed coins; docs/exchange-apis/bitget.md reads it as holding them).
    rows = body["data"].get("assets") or []
    return ((row["coin"], amount_sum(row, "balance") - amount_sum(row, "debt")) for row in rows)


def _bitget_unified_funding(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v3/account/funding-assets: data[] of coin, balance.
    return ((row["coin"], amount_sum(row, "balance")) for row in body["data"] or [])


def _bitget_loans(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v2/earn/loan/ongoing-orders (earn/loan/Get-Loan-Orders): data[] of orderId, loanCoin, loanAmount,
    # interestAmount, pledgeCoin, pledgeAmount, …: each open loan holds its collateral and owes its principal. The
    # interest accrued is left out: the history books interest when a repayment pays it (`payInterest`), so counting
    # it now would count it twice (docs/exchange-apis/bitget.md, "Crypto loans").
    for row in body["data"] or []:
        yield row["pledgeCoin"], amount_sum(row, "pledgeAmount")
        yield row["loanCoin"], -amount_sum(row, "loanAmount")


# Wallet names as Bitget's transfer records name the accounts.
FUTURES_WALLETS = {"usdt_futures": "USDT-FUTURES", "coin_futures": "COIN-FUTURES", "usdc_futures": "USDC-FUTURES"}
CROSSED_MARGIN, ISOLATED_MARGIN = ("crossed_margin", "isolated_margin")
SPOT, UNIFIED, FUNDING, EARN, CRYPTO_LOANS = (
    "spot",
    "unified",
    "funding",
    "earn",
    "crypto_loans",
)  # wallet names are codes (stored with the snapshot)
BOT_WALLETS = {"spot_bots": "spot", "futures_bots": "futures"}  # bot-assets `accountType`


def _bitget_futures(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v2/mix/account/accounts: data[] of marginCoin, accountEquity ("Includes unrealized PnL"), less
    # crossedUnrealizedPL and isolatedUnrealizedPL (or unrealizedPL when those are empty): the wallet balance. In
    # multi-assets mode (assetMode "union") the coins are in assetList[] of coin, balance.
    for row in body["data"] or []:
        if row.get("assetMode") == "union" and row.get("assetList"):
            yield from ((asset["coin"], amount_sum(asset, "balance")) for asset in row["assetList"])
            continue
        unrealized = amount_sum(row, "crossedUnrealizedPL", "isolatedUnrealizedPL") or amount_sum(row, "unrealizedPL")
        yield row["marginCoin"], amount_sum(row, "accountEquity") - unrealized


def _bitget_margin(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v2/margin/{crossed,isolated}/account/assets: data[] of coin, net ("available + frozen − borrow −
    # interest"): what the margin account holds net of its debt.
    return ((row["coin"], amount_sum(row, "net")) for row in body["data"] or [])


READS = (
    WalletRead(SPOT, "privateSpotGetV2SpotAccountAssets", {}, _bitget_spot),
    *(
        WalletRead(wallet, "privateMixGetV2MixAccountAccounts", {"productType": product}, _bitget_futures)
        for wallet, product in FUTURES_WALLETS.items()
    ),
    WalletRead(CROSSED_MARGIN, "privateMarginGetV2MarginCrossedAccountAssets", {}, _bitget_margin),
    WalletRead(ISOLATED_MARGIN, "privateMarginGetV2MarginIsolatedAccountAssets", {}, _bitget_margin),
    # The funding (P2P), earn and bot accounts: money moved there leaves spot with no record the balance check
    # counts (a transfer, an earn subscription, a bot's funding), so they are read too (all-account-balance lists
    # these account types, in USDT only: common/account/All-Account-Balance).
    WalletRead(FUNDING, "privateSpotGetV2AccountFundingAssets", {}, _bitget_funding),
    WalletRead(EARN, "privateEarnGetV2EarnAccountAssets", {}, _bitget_earn),
    *(
        WalletRead(wallet, "privateSpotGetV2AccountBotAssets", {"accountType": kind}, _bitget_bots)
        for wallet, kind in BOT_WALLETS.items()
    ),
    # Open crypto loans: collateral moved out of spot into a loan, and the loan coin owed (the lists of
    # connectors/fetchers/bitget/loans.py store the moves; this is where they are held). The page names no permission;
    # `authorities` lists "pllr: Pledge Loan Read": a key Bitget refuses (40014, PermissionDenied to ccxt) cannot read
    # this wallet, and the others are still compared. (A unified account's 40085 is PermissionDenied too: every v2
    # read fails then, and the v3 reads below are asked, as before.)
    WalletRead(
        CRYPTO_LOANS,
        "privateEarnGetV2EarnLoanOngoingOrders",
        {},
        _bitget_loans,
        denied_errors=(ccxt.PermissionDenied,),
    ),
)

# Read when every usual read failed: a unified (UTA) Bitget account refuses every v2 call (40085) and is read
# through v3 instead.
FALLBACK_READS = (
    WalletRead(UNIFIED, "privateUtaGetV3AccountAssets", {}, _bitget_unified),
    WalletRead(FUNDING, "privateUtaGetV3AccountFundingAssets", {}, _bitget_unified_funding),
)
