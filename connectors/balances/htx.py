"""HTX's balance reads: the spot account, the USDT-margined futures accounts (cross and isolated) and the coin-margined
swap accounts (docs/exchange-apis/htx.md names each page and field). Coin-margined delivery accounts are not read:
their history is not fetched yet (a gap says so), and a balance no history explains would only stand unexplained."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

import ccxt

from connectors.balances.model import Wallet, WalletRead, amount_sum
from connectors.fetchers.htx.futures import ACCOUNT, COIN_SWAP_ACCOUNTS, ISOLATED_ACCOUNTS, ContractApi


class HtxWallet(StrEnum):
    """The wallet only HTX's reads name (a code stored with the snapshot, never shown)."""

    USDT_FUTURES = "usdt_futures"
    USDT_ISOLATED = "usdt_isolated"
    COIN_SWAP = "coin_swap"


async def _spot_account(client: Any, params: Mapping[str, str]) -> Any:
    # GET /v1/account/accounts ("Get all Accounts of the Current User"): the spot account's id, then GET
    # /v1/account/accounts/{account-id}/balance ("Get Account Balance of a Specific Account").
    accounts = await client.privateGetAccountAccounts({})
    spot = next((row for row in accounts.get("data") or [] if row.get("type") == "spot"), None)
    if spot is None:
        return {"data": {"list": []}}
    return await client.privateGetAccountAccountsIdBalance({"id": spot["id"]})


def _htx_spot(body: Any) -> Iterable[tuple[str, Decimal]]:
    # data.list[] of currency (lower case), type (trade, frozen, loan, interest, lock, bank, …) and balance: every
    # type is part of what the account holds (loan and interest negative where owed, per HTX's margin accounts).
    return ((row["currency"].upper(), amount_sum(row, "balance")) for row in body["data"].get("list") or [])


async def _futures_account(client: Any, params: Mapping[str, str]) -> Any:
    return await ContractApi(client).post(ACCOUNT, params)


def _htx_futures(body: Any) -> Iterable[tuple[str, Decimal]]:
    # POST /linear-swap-api/v1/swap_cross_account_info: data[] of margin_asset, margin_balance ("account equity") and
    # profit_unreal (unrealized profits and losses). The wallet is the equity less the unrealized profit, which no
    # history explains yet (interpretation; margin_static, "static margin", is the same in the emulator).
    return (
        (row["margin_asset"], amount_sum(row, "margin_balance") - amount_sum(row, "profit_unreal"))
        for row in body.get("data") or []
    )


async def _isolated_accounts(client: Any, params: Mapping[str, str]) -> Any:
    return await ContractApi(client).post(ISOLATED_ACCOUNTS, params)


def _htx_isolated(body: Any) -> Iterable[tuple[str, Decimal]]:
    # POST /linear-swap-api/v1/swap_account_info: one row per contract's isolated account (held or not), each with
    # margin_asset, margin_balance ("account rights") and profit_unreal, read as the cross account is.
    return _htx_futures(body)


async def _coin_swap_accounts(client: Any, params: Mapping[str, str]) -> Any:
    return await ContractApi(client).post(COIN_SWAP_ACCOUNTS, params)


def _htx_coin_swap(body: Any) -> Iterable[tuple[str, Decimal]]:
    # POST /swap-api/v1/swap_account_info: one row per contract, its coin in `symbol`, margin_balance ("Account
    # rights") less profit_unreal, as the USDT-margined accounts are read.
    return (
        (row["symbol"], amount_sum(row, "margin_balance") - amount_sum(row, "profit_unreal"))
        for row in body.get("data") or []
    )


READS = (
    WalletRead(Wallet.SPOT, "privateGetAccountAccountsIdBalance", {}, _htx_spot, ask=_spot_account),
    WalletRead(
        HtxWallet.USDT_FUTURES,
        "swap_cross_account_info",
        {"margin_account": "USDT"},
        _htx_futures,
        # "You don't have access permission as you have not opened contracts trading" (1220): no futures account.
        absent_errors=(ccxt.AccountNotEnabled,),
        ask=_futures_account,
    ),
    WalletRead(
        HtxWallet.USDT_ISOLATED,
        "swap_account_info",
        {},
        _htx_isolated,
        absent_errors=(ccxt.AccountNotEnabled,),
        ask=_isolated_accounts,
    ),
    WalletRead(
        HtxWallet.COIN_SWAP,
        "swap_account_info (coin-margined)",
        {},
        _htx_coin_swap,
        absent_errors=(ccxt.AccountNotEnabled,),
        ask=_coin_swap_accounts,
    ),
)
