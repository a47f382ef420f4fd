"""One documented balance read and what it returns (shared by every exchange's reads)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connectors.records import exact


class Wallet(StrEnum):
    """Wallet names: codes stored with each balance snapshot (which wallets were read, which failed), never shown."""

    SPOT = "spot"
    FUNDING = "funding"
    TRADING = "trading"
    SAVINGS = "savings"
    EARN = "earn"
    UNIFIED = "unified"


Rows = Callable[[Any], Iterable[tuple[str, Decimal]]]


class InPosition(Decimal):
    """A wallet's amount of a currency part of which is held in an open isolated position (OKX: `isoEq` ≠ 0): a
    reader yields it in place of a plain Decimal so the snapshot notes the currency in `in_positions`."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class WalletRead:
    """One documented balance read: the wallet it covers, ccxt's implicit method, its parameters and the reader
    that turns the raw answer into (exchange coin, total) pairs."""

    wallet: str
    method: str
    params: Mapping[str, str]
    rows: Rows
    # Error codes with which the exchange says the account has no such wallet (Binance: -3003 "Margin account does
    # not exist.", -2015 on /fapi and /dapi for a key made before the futures wallet): read as an empty wallet.
    absent_codes: tuple[str, ...] = ()
    # ccxt errors with which an exchange that answers by label says the same (Gate's USER_NOT_FOUND for a futures
    # account never opened, which ccxt raises as AccountNotEnabled and raises for nothing else there).
    absent_errors: tuple[type[Exception], ...] = ()
    # ccxt errors with which the exchange says this key may not read the wallet, for a permission the key check
    # warned the user of (Bybit's Earn): the wallet is "not readable with this key", neither empty nor failed, so
    # the other wallets are still compared and a difference names the kind not fetched.
    denied_errors: tuple[type[Exception], ...] = ()
    # How to ask when one implicit method is not enough (HTX: the contract API's POSTs, which ccxt lists no method
    # for, and a spot balance that needs the account's id first); `method` then only names the read.
    ask: Callable[[Any, Mapping[str, str]], Awaitable[Any]] | None = None


@dataclass(slots=True)
class BalanceSnapshot:
    """What the exchange says the account holds now: totals per asset (ccxt codes) over the wallets read."""

    totals: dict[str, Decimal] = field(default_factory=dict)
    wallets_read: list[str] = field(default_factory=list)
    wallets_failed: dict[str, str] = field(default_factory=dict)  # wallet -> diagnosis code
    wallets_unreadable: list[str] = field(default_factory=list)  # refused to this key (`denied_errors`)
    # Currencies (ccxt codes) held in part in an open isolated position: a history of fills does not explain the
    # balance while the position is open (OKX's isolated margin trading: docs/exchange-apis/okx.md).
    in_positions: frozenset[str] = frozenset()
    requests: int = 0

    @property
    def complete(self) -> bool:
        return bool(self.wallets_read) and not self.wallets_failed

    def add(self, asset: str, amount: Decimal) -> None:
        self.totals[asset] = self.totals.get(asset, Decimal(0)) + amount
        if isinstance(amount, InPosition):
            self.in_positions |= {asset}


def amount_sum(row: Mapping[str, Any], *names: str) -> Decimal:
    """The sum of the named amount fields; a field the exchange leaves empty ("") counts as zero."""
    return sum((exact(row[name]) for name in names if row.get(name) not in (None, "")), Decimal(0))
