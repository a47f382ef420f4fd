"""OKX's newest-first lists as the walk (fetcher.py) sees them: the ccxt method, its fixed parameters and where a row
sits in the list. Shared by the spot and funding lists (fetcher.py) and the derivatives lists (derivatives.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Row:
    """Where a row sits in its list: the paging key, its own id (unique per list) and its time."""

    p: int
    ident: str
    ms: int


@dataclass(frozen=True, slots=True)
class Feed:
    method: str
    params: Mapping[str, Any]
    position: Callable[[Mapping[str, Any]], Row]
    unique: bool  # the paging key is unique (billId); else records can share it (a timestamp)
    time_filter: bool = False  # the endpoint takes `begin`/`end` on `ts`
    # What `p` of a stored cursor counts. Transfers were once paged by `ts` on /asset/bills; a cursor without this
    # key names the old list, so it is dropped (the walk starts again, and upserts what it finds twice).
    key: str = "ts"
    # `after` includes records at its own time (spot-borrow-repay-history: "earlier than the requested ts
    # (included)"); elsewhere it is strictly older.
    inclusive: bool = False


def by_bill(row: Mapping[str, Any]) -> Row:
    return Row(int(row["billId"]), str(row["billId"]), int(row["ts"]))


def by_time(id_field: str) -> Callable[[Mapping[str, Any]], Row]:
    def position(row: Mapping[str, Any]) -> Row:
        return Row(int(row["ts"]), str(row[id_field]), int(row["ts"]))

    return position
