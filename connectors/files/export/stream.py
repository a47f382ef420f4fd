"""Stored records streamed into a format's rows, counting what was written, left out and paired."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from connectors.files.export.common import Written
from connectors.files.export.pairing import LegPairer, PairedTrade


class RowsOf:
    """Stored records as a format's rows, counting what was written, left out and paired.

    For the tax formats, ledger legs of one trade become one trade first (connectors/files/export/pairing.py);
    the Tallybot CSV keeps every record as it is stored."""

    def __init__(self, row_of: Callable[[Any, str, str], Written], *, pair_legs: bool) -> None:
        self.row_of = row_of
        self.pairer = LegPairer() if pair_legs else None
        self.where: dict[str, tuple[str, str]] = {}  # natural key → (exchange, account) of legs waiting for a partner
        self.rows = self.paired = 0
        self.skipped: Counter[str] = Counter()
        self.newest: datetime | None = None

    def lines(self, stored: list[tuple[Any, str, str]]) -> list[list[str]]:
        if self.pairer is None:
            return self._write((tx, exchange, account) for tx, exchange, account in stored)
        for tx, exchange, account in stored:
            self.where[tx.natural_key] = (exchange, account)
        return self._write(self._placed(self.pairer.feed(tx for tx, _, _ in stored)))

    def finish(self) -> list[list[str]]:
        return [] if self.pairer is None else self._write(self._placed(self.pairer.finish()))

    def _placed(self, records: Iterable[Any]) -> Iterator[tuple[Any, str, str]]:
        for tx in records:
            first = tx.legs[0] if isinstance(tx, PairedTrade) else tx
            exchange, account = self.where.get(first.natural_key, ("", ""))
            for leg in tx.legs if isinstance(tx, PairedTrade) else (tx,):
                self.where.pop(leg.natural_key, None)
            if isinstance(tx, PairedTrade):
                self.paired += len(tx.legs)
            yield tx, exchange, account

    def _write(self, records: Iterable[tuple[Any, str, str]]) -> list[list[str]]:
        lines: list[list[str]] = []
        for tx, exchange, account in records:
            written = self.row_of(tx, exchange, account)
            if written.skipped:  # left out, or (a derivatives fill) written only in part: the note says which
                self.skipped[written.skipped] += 1
            if written.rows and (self.newest is None or tx.occurred_at > self.newest):
                self.newest = tx.occurred_at
            lines.extend(written.rows)
        self.rows += len(lines)
        return lines
