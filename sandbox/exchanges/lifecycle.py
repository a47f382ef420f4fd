"""Deposits and withdrawals that are not final yet: a test scripts a record's stage, each emulator shows it with
the status its exchange documents for that stage (the status tables are in docs/exchange-apis/<exchange>.md).

A record with no scripted stage is final and successful, as every scripted record was before. A record can be
`UNLISTED` (the exchange does not list it yet, e.g. a deposit below its first confirmation), `PENDING` (listed,
on its way), or `FAILED` (listed, and it will never complete: cancelled, rejected, failed). Completing a record
is forgetting its stage: `lifecycle.complete(record_id)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

R = TypeVar("R")


class Stage(Enum):
    UNLISTED = "unlisted"
    PENDING = "pending"
    FAILED = "failed"
    DONE = "done"


@dataclass
class Lifecycle:
    """The scripted stages of an emulator's deposits and withdrawals, by record id."""

    stages: dict[str, Stage] = field(default_factory=dict)

    def script(self, record_id: str, stage: Stage) -> None:
        if stage is Stage.DONE:
            self.stages.pop(record_id, None)
        else:
            self.stages[record_id] = stage

    def complete(self, record_id: str) -> None:
        self.script(record_id, Stage.DONE)

    def stage(self, record_id: str) -> Stage:
        return self.stages.get(record_id, Stage.DONE)

    def listed(self, records: Iterable[R], ident: Callable[[R], str]) -> list[R]:
        """The records the exchange lists now (an UNLISTED one is not there yet)."""
        return [r for r in records if self.stage(ident(r)) is not Stage.UNLISTED]

    def status(self, record_id: str, statuses: dict[Stage, R]) -> R:
        """The exchange's status value for the record's stage (`statuses` maps PENDING, FAILED and DONE)."""
        return statuses[self.stage(record_id)]
