"""OKX rows stored by earlier syncs mended to what today's readers store, and the funding bills walked again

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 11:30:00

Data only, no schema change. Every value is worked out again from the row's own `raw` (the bill or fill as OKX sent
it, or as the quarterly file wrote it), so the way up can run twice. The old code is that of commit cefd12b
(`git show cefd12b:connectors/fetchers/okx/derivatives.py`, `…/rows.py`); today's is connectors/fetchers/okx/.
- Realized P&L (kind `realized_pnl`, key `realized_pnl:<billId>`). Old: amount `balChg - fee`, and a bill of type 3
  delivery, 5 liquidation, 9 ADL, 10 clawback or 34 settlement kept its own fee (`fee_amount` = -fee, `fee_asset`
  the row's asset) when not 0. Today (commits 6d438e0, b7aa239, e4d0387): amount `balChg (+ posBalChg for mgnMode
  isolated) - fee`; a bill whose subType fills-history lists (derivatives.FILLED_SUBTYPES) leaves its fee to the
  fill, which carries it too (the old rows counted it twice); a bill whose amount is then 0 and that keeps no fee is
  not stored (an isolated position's opening bill: the margin moved to the position, stored before as a loss), and
  is deleted here.
- Funding fees and interest (kinds `funding`, `interest`) of an isolated position: `balChg` then, `balChg +
  posBalChg` now (an isolated funding fee was stored as 0).
- Futures fills (kind `futures_trade`) whose `tradeId` is not a positive number (liquidation, ADL): key
  `futures_trade:<instId>:<tradeId>` then, `futures_trade:<instId>:<tradeId>:<billId>` now (commit 23b4b35); where
  the new key is stored already, that row is the one kept.
- Rewards read from funding bills (`reward:<billId>`): a negative `balChg` was stored as a negative amount; now the
  amount without its sign, side `out` (commit b91fc38).
- The funding-bills walks (endpoints `transfers` and `earn_rewards`, market "": GET /api/v5/asset/bills-history) now
  store every bill type (bill_kinds.py), but resume from their stored cursor, so bills of the newly read types synced
  past before were never read. Their cursors are dropped: the next sync walks the list again from the sync-from date
  (or 2021-02-01). The bills stored before keep the keys the walk gives them (`transfer:<billId>`,
  `deposit:okx-bill:<billId>`/`withdrawal:okx-bill:<billId>`, `reward:<billId>`; those types' kinds did not change),
  so only the bills of the new types are stored. Cost: docs/exchange-apis/okx.md, "Funding bills read again".
The way down writes the old values back from `raw` (fee, amount, key, sign). Rows deleted on the way up are not
written back, and dropped cursors stay dropped: the old code walks the bills again and meets each by its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

from db.types import ExactDecimal

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# connectors/profiles/catalog/okx.py, as stored in integrations.exchange_id (a tuple: the catalogue scan reads a lone
# word as English)
_OKX = ("okx",)
_KEY_LENGTH = 128  # records.natural_key cuts a key to the column's length
_PNL, _FUNDING, _INTEREST, _FILL, _REWARD = "realized_pnl", "funding", "interest", "futures_trade", "reward"
_OUT, _ISOLATED = "out", "isolated"
# Bill types (bills-archive `type`) whose fill carries the fee, today (derivatives.FILLED_BILLS) and at cefd12b
# (TRADE_BILL); subtypes of 3/5/9 fills-history lists (derivatives.FILLED_SUBTYPES); the types that kept their own fee
# at cefd12b (UNFILLED_PNL_BILLS).
_FILLED_BILLS = frozenset({"2", "14", "24", "32"})
_OLD_FILLED_BILLS = frozenset({"2"})
_FILLED_SUBTYPES = frozenset({*map(str, range(100, 108)), "110", "111", "112", "113", "125", "126", "127", "128"})
_OLD_OWN_FEE_BILLS = frozenset({"3", "5", "9", "10", "34"})
# The cursors of the funding-bills walks (connectors/fetchers/okx: FEEDS[TRANSFERS], SUB_WALKS[EARN_REWARDS] "").
_BILLS_WALKS = (("transfers", ""), ("earn_rewards", ""))

_integrations = sa.table("integrations", sa.column("id", sa.BigInteger), sa.column("exchange_id", sa.String))
_states = sa.table(
    "endpoint_states",
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
    sa.column("side", sa.String),
    sa.column("asset", sa.String),
    sa.column("amount", ExactDecimal()),
    sa.column("raw", sa.JSON()),
    sa.column("fee_asset", sa.String),
    sa.column("fee_amount", ExactDecimal()),
)


def _decimal(raw: Mapping[str, Any], field: str) -> Decimal | None:
    value = raw.get(field)
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _bill(raw: Any) -> dict[str, Any] | None:
    """A trading or funding bill as stored in `raw`: it has its id and its change."""
    if isinstance(raw, dict) and raw.get("billId") not in (None, "") and _decimal(raw, "balChg") is not None:
        return raw
    return None


def _held(raw: Mapping[str, Any]) -> Decimal:
    """derivatives.holding_change: `balChg`, plus `posBalChg` for an isolated position."""
    change = _decimal(raw, "balChg") or Decimal(0)
    position = _decimal(raw, "posBalChg")
    if str(raw.get("mgnMode", "")) == _ISOLATED and position is not None:
        change += position
    return change


def _fee(raw: Mapping[str, Any]) -> Decimal:
    return _decimal(raw, "fee") or Decimal(0)


def _okx_rows(connection: sa.Connection, *kinds: str) -> list[Any]:
    ids = sa.select(_integrations.c.id).where(_integrations.c.exchange_id.in_(_OKX))
    t = _transactions.c
    query = sa.select(t.id, t.integration_id, t.natural_key, t.kind, t.side, t.asset, t.amount, t.raw, t.fee_amount)
    return list(connection.execute(query.where(t.kind.in_(kinds), t.integration_id.in_(ids))))


def _update(connection: sa.Connection, changes: list[dict[str, Any]], **columns: str) -> None:
    """Sets each change's columns (bound by name) on its row (`row_id`)."""
    if changes:
        values: dict[str, Any] = {column: sa.bindparam(name) for column, name in columns.items()}
        statement = sa.update(_transactions).where(_transactions.c.id == sa.bindparam("row_id")).values(**values)
        connection.execute(statement, changes)


def _delete(connection: sa.Connection, row_ids: Iterable[int]) -> None:
    ids = list(row_ids)
    for start in range(0, len(ids), 500):  # under SQLite's oldest limit of bound variables
        connection.execute(sa.delete(_transactions).where(_transactions.c.id.in_(ids[start : start + 500])))


# -- realized P&L, funding and interest -----------------------------------------------------------------------------


def _pnl_now(raw: Mapping[str, Any]) -> tuple[Decimal, Decimal | None]:
    """(amount, own fee charged or None) as derivatives.DerivativeRows.pnl stores the bill today."""
    fee = _fee(raw)
    filled = str(raw.get("type", "")) in _FILLED_BILLS or str(raw.get("subType", "")) in _FILLED_SUBTYPES
    return _held(raw) - fee, (0 - fee if not filled and fee != 0 else None)


def _pnl_then(raw: Mapping[str, Any]) -> tuple[Decimal, Decimal | None]:
    """(amount, own fee charged or None) as the code of cefd12b stored it."""
    fee = _fee(raw)
    own = str(raw.get("type", "")) in _OLD_OWN_FEE_BILLS and fee != 0
    return (_decimal(raw, "balChg") or Decimal(0)) - fee, (0 - fee if own else None)


def _mend_pnl(connection: sa.Connection, *, up: bool) -> None:
    changes, gone = [], []
    for row in _okx_rows(connection, _PNL):
        raw = _bill(row.raw)
        if raw is None:
            continue
        if not up and str(raw.get("type", "")) not in _OLD_FILLED_BILLS | _OLD_OWN_FEE_BILLS:
            continue  # a bill the old code did not read (13, 14, 24, 32): left as today's code stored it
        amount, fee = (_pnl_now if up else _pnl_then)(raw)
        if up and amount == 0 and fee is None:
            gone.append(row.id)  # today's reader stores no such bill
        elif (amount, fee) != (row.amount, row.fee_amount):
            asset = row.asset if fee is not None else None
            changes.append({"row_id": row.id, "new_amount": amount, "new_fee": fee, "new_fee_asset": asset})
    _delete(connection, gone)
    _update(connection, changes, amount="new_amount", fee_amount="new_fee", fee_asset="new_fee_asset")


def _mend_isolated(connection: sa.Connection, *, up: bool) -> None:
    changes = []
    for row in _okx_rows(connection, _FUNDING, _INTEREST):
        raw = _bill(row.raw)
        if raw is None or str(raw.get("mgnMode", "")) != _ISOLATED:
            continue
        amount = _held(raw) if up else _decimal(raw, "balChg")
        if amount != row.amount:
            changes.append({"row_id": row.id, "new_amount": amount})
    _update(connection, changes, amount="new_amount")


# -- fills of liquidations and ADL ----------------------------------------------------------------------------------


def _fill_keys(raw: Any) -> tuple[str, str] | None:
    """(key then, key now) of a fill whose tradeId is not a positive number; None for any other row."""
    if not isinstance(raw, dict) or raw.get("billId") in (None, "") or raw.get("instId") in (None, ""):
        return None
    trade_id = str(raw.get("tradeId", ""))
    if trade_id.isdigit() and int(trade_id) > 0:
        return None
    then = ":".join((_FILL, str(raw["instId"]), trade_id))[:_KEY_LENGTH]
    return then, ":".join((then, str(raw["billId"])))[:_KEY_LENGTH]


def _rekey_fills(connection: sa.Connection, *, up: bool) -> None:
    rows = [(row, keys) for row in _okx_rows(connection, _FILL) if (keys := _fill_keys(row.raw)) is not None]
    moves = [(row, keys[1] if up else keys[0]) for row, keys in rows if row.natural_key == keys[0 if up else 1]]
    stored = {(row.integration_id, row.natural_key) for row in _okx_rows(connection, _FILL)}
    changes, gone = [], []
    for row, key in moves:
        if (row.integration_id, key) in stored:
            gone.append(row.id)  # that key is stored already: one row is kept
        else:
            stored.add((row.integration_id, key))
            changes.append({"row_id": row.id, "new_key": key})
    _delete(connection, gone)
    _update(connection, changes, natural_key="new_key")


# -- rewards from funding bills -------------------------------------------------------------------------------------


def _sign_rewards(connection: sa.Connection, *, up: bool) -> None:
    changes = []
    for row in _okx_rows(connection, _REWARD):
        raw = _bill(row.raw)
        if raw is None or row.natural_key != ":".join((_REWARD, str(raw["billId"]))):
            continue  # savings interest (`reward:SAVINGS:…`) has no billId; only funding bills are mended
        if up and row.amount < 0:
            changes.append({"row_id": row.id, "new_amount": -row.amount, "new_side": _OUT})
        elif not up and row.side == _OUT and row.amount > 0:
            changes.append({"row_id": row.id, "new_amount": -row.amount, "new_side": None})
    _update(connection, changes, amount="new_amount", side="new_side")


def _drop_bills_cursors(connection: sa.Connection) -> None:
    ids = sa.select(_integrations.c.id).where(_integrations.c.exchange_id.in_(_OKX))
    s = _states.c
    walks = [sa.and_(s.endpoint == endpoint, s.market == market) for endpoint, market in _BILLS_WALKS]
    connection.execute(sa.update(_states).where(s.integration_id.in_(ids), sa.or_(*walks)).values(cursor=sa.null()))


def upgrade() -> None:
    connection = op.get_bind()
    _mend_pnl(connection, up=True)
    _mend_isolated(connection, up=True)
    _rekey_fills(connection, up=True)
    _sign_rewards(connection, up=True)
    _drop_bills_cursors(connection)


def downgrade() -> None:
    connection = op.get_bind()
    _mend_pnl(connection, up=False)
    _mend_isolated(connection, up=False)
    _rekey_fills(connection, up=False)
    _sign_rewards(connection, up=False)
