"""OKX rows of earlier syncs mended: convert bills stored once, newer bill types counted, fees of unreached fills kept

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 14:30:00

Data only, no schema change; the way up can run twice. The old code is that before commits 44d2047, b6516ac and
1123faa (`git show 44d2047^:connectors/fetchers/okx/...`); today's is connectors/fetchers/okx/. Each part removes what
today's readers no longer store and sends the walks back over exactly what they must read again, so the next sync
stores what a fresh sync stores: a row a re-read brings back is deleted, a value worked out from the row's own `raw`
(the bill as OKX sent it) is mended in place, and cursors are rewound rather than dropped where a re-read could not
bring back what they hold.
- Funding bills 272/273 (OKX Convert, 闪兑) were each stored as a convert leg (kind `convert`, key
  `convert:<billId>`) beside convert history's trade (`convert:<tradeId>`): a trade both lists hold counted twice.
  Today the funding bills' walk pairs a bill with convert history's trade and stores that trade once under its own
  key; an unpaired bill stays a leg (convert_bills.py). The legs are deleted and the walk reads them again.
- Funding bills 400/408 (rewards) and 476/477 (a withdrawal and a deposit by sign) were stored as uncounted ledger
  lines (kind `ledger`, key `ledger:<billId>`); today they are `reward:<billId>` and
  `withdrawal:okx-bill:<billId>`/`deposit:okx-bill:<billId>`. The ledger lines are deleted and read again.
  For both: the cursors of the funding bills' walks (endpoints `transfers` and `earn_rewards`, market "") are
  dropped, as 0019 dropped them; bills stored before are met again by their keys.
- Trade bills (types 2, 14, 24, 32, and liquidation/delivery/ADL subtypes fills-history lists) read from OKX's
  quarterly files whose fill was beyond fills-history's year were stored without their fee (left to a fill never
  stored), and an opening bill (only its fee moved) not at all. Today each derivatives fills walk keeps in its cursor
  (`futures_trades`, market `SWAP`/`FUTURES`/`OPTION`) the ranges it could not reach (`unreached`, fills_reach.py),
  and a trade bill there keeps its own fee. A fills cursor without `unreached` gets the range today's rule gives:
  from the sync-from date (integrations.options `sync_from`, else 2017-01-01, reach.OKX_OPENED) up to the oldest
  fill of that instType stored (else the cursor's own `ms`): fills-history listed every fill after its reach, so no
  trade bill below that fill had its fill stored, and a bill at or after it had. A stored trade bill there
  (`realized_pnl:<billId>`) gets its fee back (`fee_amount` -fee in its `ccy`, the amount unchanged), and the
  quarters its `<TYPE>-BILLS:ARCHIVE` cursor had read (`done`) that overlap the range go back to `need`, so the next
  sync reads those files again and stores the opening bills (the bills stored already are met by their keys).
  Cost: docs/exchange-apis/okx.md, "Rows of earlier syncs mended (0020)".
The way down changes nothing: the mended fees and the `unreached` ranges are read by the old code as they are, and the
deleted legs and ledger lines its own walk stores again (its cursors stay dropped), as it stored them before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

from db.types import ExactDecimal

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# connectors/profiles/catalog/okx.py, as stored in integrations.exchange_id (a tuple: the catalogue scan reads a lone
# word as English)
_OKX = ("okx",)
_CONVERT, _LEDGER, _PNL, _FILL = "convert", "ledger", "realized_pnl", "futures_trade"
_CONVERT_BILLS = frozenset({"272", "273"})  # convert_bills.CONVERT_BILLS
_NEWER_BILLS = frozenset({"400", "408", "476", "477"})  # bill_kinds.py: a reward or a deposit/withdrawal now
# The cursors of the funding-bills walks (connectors/fetchers/okx: FEEDS[TRANSFERS], SUB_WALKS[EARN_REWARDS] "").
_BILLS_WALKS = (("transfers", ""), ("earn_rewards", ""))
_FUTURES = "futures_trades"
_INST_TYPES = ("SWAP", "FUTURES", "OPTION")  # derivatives.DERIVATIVE_TYPES: a fills cursor's market
# derivatives.FILLED_BILLS and FILLED_SUBTYPES: a fill stands behind such a bill and carries its fee.
_FILLED_BILLS = frozenset({"2", "14", "24", "32"})
_FILLED_SUBTYPES = frozenset({*map(str, range(100, 108)), "110", "111", "112", "113", "125", "126", "127", "128"})
_HISTORY_START = date(2017, 1, 1)  # reach.OKX_OPENED: where a walk without a sync-from date starts
_SYNC_FROM = "sync_from"
_UNREACHED, _NEED, _DONE = "unreached", "need", "done"

_integrations = sa.table(
    "integrations", sa.column("id", sa.BigInteger), sa.column("exchange_id", sa.String), sa.column("options", sa.JSON())
)
_states = sa.table(
    "endpoint_states",
    sa.column("id", sa.BigInteger),
    sa.column("integration_id", sa.BigInteger),
    sa.column("endpoint", sa.String),
    sa.column("market", sa.String),
    sa.column("cursor", sa.JSON()),
)
# The column types of db.models, so amounts stay exact and JSON is parsed on either backend.
_transactions = sa.table(
    "transactions",
    sa.column("id", sa.BigInteger),
    sa.column("integration_id", sa.BigInteger),
    sa.column("natural_key", sa.String),
    sa.column("kind", sa.String),
    sa.column("asset", sa.String),
    sa.column("raw", sa.JSON()),
    sa.column("fee_asset", sa.String),
    sa.column("fee_amount", ExactDecimal()),
)

Span = tuple[int, int]


def _okx_ids(connection: sa.Connection) -> dict[int, Any]:
    """Each OKX integration's id and its options."""
    query = sa.select(_integrations.c.id, _integrations.c.options).where(_integrations.c.exchange_id.in_(_OKX))
    return {row.id: row.options for row in connection.execute(query)}


def _okx_rows(connection: sa.Connection, *kinds: str) -> list[Any]:
    ids = sa.select(_integrations.c.id).where(_integrations.c.exchange_id.in_(_OKX))
    t = _transactions.c
    query = sa.select(t.id, t.integration_id, t.natural_key, t.kind, t.asset, t.raw, t.fee_amount)
    return list(connection.execute(query.where(t.kind.in_(kinds), t.integration_id.in_(ids))))


def _delete(connection: sa.Connection, row_ids: Iterable[int]) -> None:
    ids = list(row_ids)
    for start in range(0, len(ids), 500):  # under SQLite's oldest limit of bound variables
        connection.execute(sa.delete(_transactions).where(_transactions.c.id.in_(ids[start : start + 500])))


def _bill(raw: Any) -> Mapping[str, Any] | None:
    """A bill as stored in `raw`: it has its id and its time."""
    if isinstance(raw, dict) and raw.get("billId") not in (None, "") and str(raw.get("ts", "")).isdigit():
        return raw
    return None


def _fee(raw: Mapping[str, Any]) -> Decimal:
    try:
        return Decimal(str(raw.get("fee") or "0"))
    except InvalidOperation:
        return Decimal(0)


# -- funding bills ----------------------------------------------------------------------------------------------


def _drop_bill_lines(connection: sa.Connection) -> None:
    """Deletes the convert legs of 272/273 bills and the ledger lines of 400/408/476/477 (read again)."""
    gone = []
    for row in _okx_rows(connection, _CONVERT, _LEDGER):
        raw = _bill(row.raw)
        if raw is None or row.natural_key != f"{row.kind}:{raw['billId']}":
            continue  # convert history's trades (`convert:<tradeId>`, no billId) stay
        types = _CONVERT_BILLS if row.kind == _CONVERT else _NEWER_BILLS
        if str(raw.get("type", "")) in types:
            gone.append(row.id)
    _delete(connection, gone)


def _drop_bills_cursors(connection: sa.Connection, ids: Iterable[int]) -> None:
    s = _states.c
    walks = [sa.and_(s.endpoint == endpoint, s.market == market) for endpoint, market in _BILLS_WALKS]
    statement = sa.update(_states).where(s.integration_id.in_(list(ids)), sa.or_(*walks)).values(cursor=sa.null())
    connection.execute(statement)


# -- fees of trade bills whose fill was beyond fills-history's year ---------------------------------------------


def _day_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _since_ms(options: Any) -> int:
    """Where the integration's walks start: its sync-from date at midnight UTC (bot/sync/plan.py), else OKX's."""
    value = options.get(_SYNC_FROM) if isinstance(options, dict) else None
    try:
        return _day_ms(date.fromisoformat(str(value))) if value else _day_ms(_HISTORY_START)
    except ValueError:
        return _day_ms(_HISTORY_START)


def _oldest_fills(connection: sa.Connection) -> dict[tuple[int, str], int]:
    """(integration, instType) -> the time of the oldest derivatives fill stored."""
    oldest: dict[tuple[int, str], int] = {}
    for row in _okx_rows(connection, _FILL):
        raw = row.raw if isinstance(row.raw, dict) else {}
        inst_type, ts = str(raw.get("instType", "")), str(raw.get("ts", ""))
        if inst_type in _INST_TYPES and ts.isdigit():
            key = (row.integration_id, inst_type)
            oldest[key] = min(oldest.get(key, int(ts)), int(ts))
    return oldest


def _futures_states(connection: sa.Connection, ids: Iterable[int]) -> dict[tuple[int, str], Any]:
    s = _states.c
    query = sa.select(s.id, s.integration_id, s.market, s.cursor).where(
        s.integration_id.in_(list(ids)), s.endpoint == _FUTURES
    )
    return {(row.integration_id, row.market): row for row in connection.execute(query)}


def _set_cursor(connection: sa.Connection, state_id: int, cursor: dict[str, Any]) -> None:
    connection.execute(sa.update(_states).where(_states.c.id == state_id).values(cursor=cursor))


def _give_fills_reach(connection: sa.Connection, okx: Mapping[int, Any]) -> dict[tuple[int, str], list[Span]]:
    """Writes `unreached` into each fills cursor lacking it; returns the ranges so written."""
    oldest, states = _oldest_fills(connection), _futures_states(connection, okx)
    written: dict[tuple[int, str], list[Span]] = {}
    for (integration, market), state in states.items():
        cursor = state.cursor
        if market not in _INST_TYPES or not isinstance(cursor, dict) or _UNREACHED in cursor:
            continue
        end = oldest.get((integration, market))
        if end is None and cursor.get("ms") is not None:
            end = int(cursor["ms"])  # no fill stored: none was within reach up to where the walk stands
        start = _since_ms(okx[integration])
        if end is None or end <= start:
            continue
        written[(integration, market)] = [(start, end)]
        _set_cursor(connection, state.id, {**cursor, _UNREACHED: [[start, end]]})
    return written


def _keep_fees(connection: sa.Connection, reach: Mapping[tuple[int, str], list[Span]]) -> None:
    """A stored trade bill within its instType's new range gets back its own fee (derivatives.DerivativeRows.pnl)."""
    changes = []
    for row in _okx_rows(connection, _PNL):
        raw = _bill(row.raw)
        if raw is None or row.fee_amount is not None:
            continue
        filled = str(raw.get("type", "")) in _FILLED_BILLS or str(raw.get("subType", "")) in _FILLED_SUBTYPES
        spans = reach.get((row.integration_id, str(raw.get("instType", ""))), [])
        ts, fee = int(raw["ts"]), _fee(raw)
        if filled and fee != 0 and any(start <= ts < end for start, end in spans):
            changes.append({"row_id": row.id, "new_fee": 0 - fee, "new_fee_asset": row.asset})
    if changes:
        t = _transactions.c
        statement = (
            sa.update(_transactions)
            .where(t.id == sa.bindparam("row_id"))
            .values(fee_amount=sa.bindparam("new_fee"), fee_asset=sa.bindparam("new_fee_asset"))
        )
        connection.execute(statement, changes)


def _quarter_span(name: str) -> Span | None:
    """archive_files.Quarter: "2025Q3" is July to October 2025 (ms, end excluded)."""
    year, _, number = name.partition("Q")
    if not (year.isdigit() and number in ("1", "2", "3", "4")):
        return None
    first = 3 * (int(number) - 1) + 1
    after = date(int(year) + 1, 1, 1) if first == 10 else date(int(year), first + 3, 1)
    return _day_ms(date(int(year), first, 1)), _day_ms(after)


def _merged(spans: list[Span]) -> list[Span]:
    result: list[Span] = []
    for start, end in sorted(spans):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def _rewind_archives(connection: sa.Connection, reach: Mapping[tuple[int, str], list[Span]]) -> None:
    """Moves each quarter a `<TYPE>-BILLS:ARCHIVE` cursor read that overlaps its instType's new range back to `need`
    (the overlap only), so the next sync reads that file again."""
    states = _futures_states(connection, {integration for integration, _ in reach})
    for (integration, inst_type), spans in reach.items():
        state = states.get((integration, f"{inst_type}-BILLS:ARCHIVE"))
        if state is None or not isinstance(state.cursor, dict):
            continue
        done, need = (
            set(map(str, state.cursor.get(_DONE, ()))),
            [(int(a), int(b)) for a, b in state.cursor.get(_NEED, ())],
        )
        for name in sorted(done):
            quarter = _quarter_span(name)
            pieces = [] if quarter is None else [(max(a, quarter[0]), min(b, quarter[1])) for a, b in spans]
            pieces = [(a, b) for a, b in pieces if a < b]
            if pieces:
                done.discard(name)
                need += pieces
        cursor = {**state.cursor, _NEED: [list(span) for span in _merged(need)], _DONE: sorted(done)}
        if cursor != state.cursor:
            _set_cursor(connection, state.id, cursor)


def upgrade() -> None:
    connection = op.get_bind()
    okx = _okx_ids(connection)
    if not okx:
        return
    _drop_bill_lines(connection)
    _drop_bills_cursors(connection, okx)
    reach = _give_fills_reach(connection, okx)
    _keep_fees(connection, reach)
    _rewind_archives(connection, reach)


def downgrade() -> None:
    """Nothing: see the module's last paragraph."""
