"""MEXC's balance reads: the spot account and the futures account (docs/exchange-apis/mexc.md names each page)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connectors.balances.model import Wallet, WalletRead, amount_sum


class MexcWallet(StrEnum):
    """The wallet only MEXC's reads name (a code stored with the snapshot, never shown)."""

    FUTURES = "futures"


def _mexc_spot(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v3/account (Account Information): balances[] of asset, free, locked.
    return ((row["asset"], amount_sum(row, "free", "locked")) for row in body.get("balances") or [])


def _mexc_futures(body: Any) -> Iterable[tuple[str, Decimal]]:
    # GET /api/v1/private/account/assets (Get all informations of user's asset): data[] of currency, equity ("total
    # equity") and unrealized ("unrealized profit and loss"). The wallet's balance is equity less unrealized: an open
    # position's unrealized profit is in no history yet (interpretation: the page defines neither field further).
    return (
        (row["currency"], amount_sum(row, "equity") - amount_sum(row, "unrealized")) for row in body.get("data") or []
    )


READS = (
    WalletRead(Wallet.SPOT, "spotPrivateGetAccount", {}, _mexc_spot),
    WalletRead(MexcWallet.FUTURES, "contractPrivateGetAccountAssets", {}, _mexc_futures),
)
