"""Gate's spot account book (`GET /spot/account_book`) for one scripted account: every change of the spot balance.

The book is derived from the scripted records, one row per balance change, as Gate's "Query account book" page
describes its rows (SpotAccountBook: `id`, `time` in ms, `currency`, `change` signed, `balance` after it, `type`,
`text`): a fill moves its base and quote and pays its fee, a deposit adds, a withdrawal takes its amount and fee, a
flash swap sells one currency and buys another, a Simple Earn dividend adds, a scripted transfer moves money between
spot and one of the account's other Gate accounts, and `sub_account_moves` (set by a test) moves money between this
main account and a sub-account. Type names are those ccxt's `parse_ledger_entry_type` reads (Gate's "account book
type" table was not found); which of `<account>_in`/`_out` goes with which sign, the id numbering, the newest-first
order and a `balance` that starts from nothing (the scripted account has no opening balances, so it can go below
zero) are unsourced. Rules and sources: docs/exchange-apis/gate.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import SECOND_MS
from sandbox.exchanges.gate_book import LIMIT_DEFAULT, int_param, param_error, time_range
from sandbox.exchanges.gate_futures import SpotMove
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import ScriptedAccount, plain

Json = dict[str, Any]

BOOK_LIMIT_MAX = 1000  # list_spot_account_book documents only the default of 100 (unsourced maximum)
# "When using limit&page pagination to retrieve data, the maximum number of pages is 100,000, that is,
# limit * (page - 1) <= 100,000."
BOOK_MAX_SKIPPED = 100_000
# The Gate accounts a scripted transfer moves money between spot and: the scripted FUND -> UNIFIED direction is
# read as out of spot, UNIFIED -> FUND as into it; the counterpart is picked by the transfer's place in the script.
# Moves to and from the futures accounts come from the futures script only (gate_futures.py), which the futures
# account books list too.
COUNTERPARTS = ("margin", "delivery", "cross_margin", "quant")


@dataclass(frozen=True)
class SubAccountMove:
    """A transfer between this main account and a sub-account as its spot book shows it: `change` signed (+ in)."""

    time_ms: int
    currency: str
    change: Decimal


@dataclass(frozen=True)
class BookRow:
    time_ms: int
    currency: str
    change: Decimal
    type: str
    text: str


class GateAccountBook:
    """Serves the spot account book of one scripted account."""

    def __init__(self, account: ScriptedAccount) -> None:
        self.account = account
        self.sub_account_moves: list[SubAccountMove] = []
        self.futures_moves: list[SpotMove] = []  # between spot and the futures accounts (gate_futures.py)
        self._built: tuple[tuple[int, int, int], list[Json]] | None = None

    def rows(self) -> list[Json]:
        """Every row of the book, oldest first, each with its id and the balance after it (built again only when
        the account or its sub-account moves changed: a long walk asks for it once a page)."""
        version = (id(self.account), len(self.sub_account_moves), len(self.futures_moves))
        if self._built is None or self._built[0] != version:
            self._built = (version, self._build())
        return self._built[1]

    def _build(self) -> list[Json]:
        changes = sorted(self._changes(), key=lambda r: r.time_ms)
        balances: dict[str, Decimal] = {}
        listed = []
        for n, row in enumerate(changes):
            balances[row.currency] = balances.get(row.currency, Decimal(0)) + row.change
            listed.append(
                {
                    "id": str(30_000_000 + n),
                    "time": row.time_ms,
                    "currency": row.currency,
                    "change": plain(row.change),
                    "balance": plain(balances[row.currency]),
                    "type": row.type,
                    "text": row.text,
                }
            )
        return listed

    def _changes(self) -> list[BookRow]:
        account, rows = self.account, []
        for t in account.trades:
            sign = Decimal(1) if t.side == "buy" else Decimal(-1)
            rows.append(BookRow(t.timestamp, t.base, sign * t.amount, "order_fill", t.order_id))
            rows.append(BookRow(t.timestamp, t.quote, -sign * t.amount * t.price, "order_fill", t.order_id))
            if t.fee:
                rows.append(BookRow(t.timestamp, t.fee_asset, -t.fee, "order_fee", t.order_id))
        for d in account.deposits:
            rows.append(BookRow(d.timestamp // SECOND_MS * SECOND_MS, d.asset, d.amount, "deposit", d.id))
        for w in account.withdrawals:
            rows.append(BookRow(w.timestamp // SECOND_MS * SECOND_MS, w.asset, -(w.amount + w.fee), "withdraw", w.id))
        for c in account.converts:
            rows.append(BookRow(c.timestamp, c.from_asset, -c.from_amount, "flash_swap_sell", c.id))
            rows.append(BookRow(c.timestamp, c.to_asset, c.to_amount, "flash_swap_buy", c.id))
        for r in account.rewards:
            rows.append(BookRow(r.timestamp, r.asset, r.amount, "interest", "uni interest"))
        for n, x in enumerate(account.transfers):
            leaving = x.from_account == "FUND"
            other = COUNTERPARTS[n % len(COUNTERPARTS)]
            kind = f"{other}_out" if leaving else f"{other}_in"
            rows.append(BookRow(x.timestamp, x.asset, -x.amount if leaving else x.amount, kind, x.id))
        for m in self.sub_account_moves:
            rows.append(BookRow(m.time_ms, m.currency, m.change, "sub_account_transfer", "sub-account"))
        for f in self.futures_moves:
            kind = f"{f.account}_in" if f.change > 0 else f"{f.account}_out"
            rows.append(BookRow(f.time_ms, f.currency, f.change, kind, f"{f.account} transfer"))
        return rows

    def account_book(self, call: Call) -> list[Json]:
        """GET /spot/account_book: `from`/`to` seconds at most 30 days apart ("Record time range cannot exceed 30
        days"), `page` from 1, `limit` default 100, `currency` and `type` filter; newest first."""
        params = call.params
        if params.get("code"):
            raise NotEmulated("account_book by code is not emulated")
        limit = _limit(params)
        page = int_param(params, "page") or 1
        if page < 1:
            raise param_error("page must be at least 1")
        if limit * (page - 1) > BOOK_MAX_SKIPPED:
            raise param_error("limit * (page - 1) must not exceed 100000")
        start, end = time_range(params, call.now_ms // SECOND_MS)
        currency, kind = params.get("currency"), params.get("type")
        chosen = [
            row
            for row in self.rows()
            if start <= int(row["time"]) // SECOND_MS <= end
            and currency in (None, "", row["currency"])
            and kind in (None, "", row["type"])
        ]
        chosen.reverse()
        return [dict(row) for row in chosen[(page - 1) * limit : page * limit]]


def _limit(params: Mapping[str, str]) -> int:
    limit = int_param(params, "limit")
    if limit is None:
        return LIMIT_DEFAULT
    if not 1 <= limit <= BOOK_LIMIT_MAX:
        raise param_error(f"limit must be between 1 and {BOOK_LIMIT_MAX}")
    return limit
