"""Bybit's balance reads, wallet by wallet (docs/exchange-apis/bybit.md names each page and field).

Which wallets an account has depends on its kind (`GET /v5/account/info` `unifiedMarginStatus`, read by
`connectors/fetchers/bybit/derivatives.read_mode`): wallet-balance's accountType is "UTA2.0: UNIFIED; UTA1.0:
UNIFIED, CONTRACT (inverse derivatives wallet); Classic account: CONTRACT, SPOT". The funding wallet (FUND) is read
for every kind, and so are the Earn positions (Flexible Saving and OnChain, `GET /v5/earn/position`), as one wallet,
and the crypto loans (`GET /v5/crypto-loan-common/position`): the collateral pledged and the coins supplied, less the
debt, as one wallet.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import ccxt

from connectors.balances.model import Wallet, WalletRead, amount_sum
from connectors.fetchers.bybit.derivatives import read_mode

CRYPTO_LOAN_WALLET = "crypto_loan"  # a code stored with the snapshot (which wallets were read), never shown


def _bybit_wallet(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /v5/account/wallet-balance: result.list[].coin[] of coin, walletBalance, spotBorrow. Under unified manual
    # borrowing "old walletBalance = new walletBalance - spotBorrow": the wallet balance includes what was borrowed
    # on spot margin, so it is read net of it. `equity` would add unrealized profit and loss: not read.
    for account in body["result"]["list"]:
        for row in account.get("coin", []):
            yield row["coin"], amount_sum(row, "walletBalance") - amount_sum(row, "spotBorrow")


def _bybit_fund(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /v5/asset/transfer/query-account-coins-balance: result.balance[] of coin, walletBalance.
    return ((row["coin"], amount_sum(row, "walletBalance")) for row in body["result"].get("balance", []))


def _bybit_earn(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /v5/earn/position: result.list[] of coin, amount ("Total staked amount"). `claimableYield` accrues hourly
    # and is paid at 00:30 UTC: not yet in any history nor any wallet, so not read; nor is OnChain's `totalPnl`.
    return ((row["coin"], amount_sum(row, "amount")) for row in body["result"].get("list", []))


def _bybit_crypto_loans(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /v5/crypto-loan-common/position: collateralList[] and supplyList[] (`currency`, `amount` in coin) are the
    # account's own coins held by the loan product; borrowList[] (`loanCurrency`, `flexibleTotalDebt`,
    # `fixedTotalDebt`) what it owes, interest accrued included. The loan was paid into the funding wallet, which is
    # read gross, so the debt is counted here against it (as spotBorrow is against the unified wallet).
    result = body.get("result") or {}
    for row in (*result.get("collateralList", []), *result.get("supplyList", [])):
        yield row["currency"], amount_sum(row, "amount")
    for row in result.get("borrowList", []):
        yield row["loanCurrency"], -amount_sum(row, "flexibleTotalDebt", "fixedTotalDebt")


def earn(category: str, name: Wallet) -> WalletRead:
    """One Earn position list: "FlexibleSaving" or "OnChain" (the page's `category`, required). A key without the
    "Earn" permission is refused (10005, ccxt's PermissionDenied): the wallet is not readable with this key."""
    params = {"category": category}
    return WalletRead(name, "privateGetV5EarnPosition", params, _bybit_earn, denied_errors=(ccxt.PermissionDenied,))


# Flexible Saving is a savings wallet (as OKX's Simple Earn Flexible), On-Chain Earn an earn wallet.
EARN = (earn("FlexibleSaving", Wallet.SAVINGS), earn("OnChain", Wallet.EARN))


def wallet(account_type: str) -> WalletRead:
    """One wallet-balance read: "unified", "spot" or "contract"."""
    params = {"accountType": account_type}
    return WalletRead(account_type.lower(), "privateGetV5AccountWalletBalance", params, _bybit_wallet)


FUNDING = WalletRead(
    Wallet.FUNDING, "privateGetV5AssetTransferQueryAccountCoinsBalance", {"accountType": "FUND"}, _bybit_fund
)
# Every crypto-loan page needs the key's "Spot trade" permission (a read-only key may have it ticked); a key without it
# is refused (10005, ccxt's PermissionDenied): not readable with this key.
CRYPTO_LOANS = WalletRead(
    CRYPTO_LOAN_WALLET,
    "privateGetV5CryptoLoanCommonPosition",
    {},
    _bybit_crypto_loans,
    denied_errors=(ccxt.PermissionDenied,),
)
READS = (wallet("UNIFIED"), FUNDING, *EARN, CRYPTO_LOANS)  # a unified trading account 2.0's, the kind Bybit opens today


async def reads_for(client: Any) -> tuple[WalletRead, ...]:
    """The reads of this account's wallets, by its kind (one request: `GET /v5/account/info`)."""
    mode = await read_mode(client)
    return (*(wallet(name) for name in mode.wallets), FUNDING, *EARN, CRYPTO_LOANS)
