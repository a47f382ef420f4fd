"""What a reconciliation says, per account and per asset: plain data, codes and amounts (no English)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from i18n import Text


class Outcome(StrEnum):
    BALANCED = "balanced"  # the history explains every balance exactly
    UNEXPLAINED = "unexplained"  # some assets differ: see `differences`
    UNREAD = "unread"  # the exchange's balances could not be read (in full): `error_code` says why


@dataclass(frozen=True, slots=True)
class AssetBalance:
    asset: str
    reported: Decimal  # what the exchange says, over every wallet read
    explained: Decimal  # what the stored history adds up to
    cause: str | None = None  # a causes.Cause value when they differ
    cause_args: dict[str, Any] | None = None

    @property
    def difference(self) -> Decimal:
        return self.reported - self.explained


@dataclass(frozen=True, slots=True)
class AccountReconciliation:
    integration_id: int
    exchange_id: str
    checked_at: datetime
    outcome: Outcome
    error_code: str | None
    wallets_read: tuple[str, ...]
    wallets_failed: dict[str, str]
    balances: tuple[AssetBalance, ...]  # every asset either side knows, by name
    error_reason: Text | str | None = None  # the diagnosis title of `error_code`, for the views

    @property
    def balanced(self) -> bool:
        return self.outcome is Outcome.BALANCED

    @property
    def differences(self) -> tuple[AssetBalance, ...]:
        return tuple(balance for balance in self.balances if balance.difference != 0)
