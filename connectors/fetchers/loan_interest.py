"""Crypto-loan interest no list itemises, worked out from the debt an exchange reports (one rule for every exchange).

Binance's flexible loans and Bybit's add interest to the debt and list no charge; a repayment pays it off with the
principal and its row gives only the amount. So, per loan (a pair on Binance, a loan coin on Bybit):

    interest to date = debt now − borrowed + repaid (and cleared by liquidations)

`DebtSums` keeps, in a fetcher's cursor, the debt the stored rows explain (borrowed less repaid), the interest already
stored, and the keys of the rows counted (a row read again, after a pending one held its list, counts once). `due`
is what the debt holds beyond both: the interest charged since the last sync that stored one. The identity needs
every row of the loan: a fetcher asks it only after reading the whole history (docs/exchange-apis/binance.md and
bybit.md, "Crypto loans").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Self


@dataclass(slots=True)
class DebtSums:
    """Per loan: the debt its counted rows explain, the interest stored, and the keys of the rows counted."""

    debt: dict[str, Decimal] = field(default_factory=dict)
    interest: dict[str, Decimal] = field(default_factory=dict)
    counted: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, cursor: Mapping[str, Any] | None) -> Self:
        stored = cursor or {}
        return cls(
            {loan: Decimal(v) for loan, v in (stored.get("debt") or {}).items()},
            {loan: Decimal(v) for loan, v in (stored.get("interest") or {}).items()},
            set(stored.get("counted") or ()),
        )

    @classmethod
    def joined(cls, parts: Iterable[DebtSums]) -> Self:
        """Sums kept in several cursors (one per list, committed with that list's records) as one."""
        whole = cls()
        for part in parts:
            for loan, amount in part.debt.items():
                whole.debt[loan] = whole.debt.get(loan, Decimal(0)) + amount
            for loan, amount in part.interest.items():
                whole.book(loan, amount)
            whole.counted |= part.counted
        return whole

    def count(self, loan: str, key: str, change: Decimal) -> None:
        """A final row: borrowed (+) or repaid and cleared (−), once per row key."""
        if key and key not in self.counted:
            self.counted.add(key)
            self.debt[loan] = self.debt.get(loan, Decimal(0)) + change

    def due(self, owed: Mapping[str, Decimal], unsettled: Set[str]) -> dict[str, Decimal]:
        """Per loan, the interest the reported debt (`owed`; a loan not listed owes nothing) holds beyond what the
        rows and earlier charges explain; none for a loan with a row not final yet (whether the exchange counts it in
        the debt yet is not said: the sync after it settles works it out). Interest only adds to a debt: a debt below
        what the rows explain is history missing, left for the balance check to show, never stored as interest paid
        back."""
        charges: dict[str, Decimal] = {}
        for loan in sorted((set(owed) | set(self.debt)) - set(unsettled)):
            charge = owed.get(loan, Decimal(0)) - self.debt.get(loan, Decimal(0)) - self.interest.get(loan, Decimal(0))
            if charge > 0:
                charges[loan] = charge
        return charges

    def book(self, loan: str, amount: Decimal) -> None:
        self.interest[loan] = self.interest.get(loan, Decimal(0)) + amount

    def cursor(self) -> dict[str, Any]:
        return {
            "debt": {loan: str(v) for loan, v in sorted(self.debt.items())},
            "interest": {loan: str(v) for loan, v in sorted(self.interest.items())},
            "counted": sorted(self.counted),
        }
