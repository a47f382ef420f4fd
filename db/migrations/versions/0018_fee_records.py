"""A fill's fee in a further coin stored as a FEE record, as the Gate and Bitget fetchers and ledgers.csv now do

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 11:00:00

Data only, no schema change. A record holds one fee; a fill that paid in a second coin had that fee stored as a
record of a kind that was not a fee, so the balance check left it out (a ledger line) or exports read it from a
workaround (a reward going out). They are now FEE records (connectors/records.py: signed as the balance changed,
negative when charged), which the balance check counts:
- Gate (connectors/fetchers/gate/rows.py): kind `ledger`, key `ledger:fee:<pair>:<id>:<currency>`, raw type
  `trade_fee`, side `out`, amount negative → kind `fee`, key `fee:<pair>:<id>:<currency>`, no side. Points fees
  (currency `POINT`) stay ledger lines: the point card is no wallet the balance read sees.
- Bitget unified (connectors/fetchers/bitget/unified_fees.py): kind `reward`, key
  `reward:uta:fee:<category>:<execId>:<coin>`, raw type `trade_fee`, side `out` (a charge) or `in` (a rebate),
  amount signed → kind `fee`, key `fee:uta:<category>:<execId>:<coin>`, no side, the amount as it was.
- Kraken's ledgers.csv (connectors/files/kraken.py): a trade's fee on a line of its own in another coin, kind
  `ledger`, key `ledger:<ledger id>`, raw `file_format` `kraken-ledgers` and type `trade` (the only ledger lines of
  that type the reader keeps: a trade's own two lines are paired into the trade) → kind `fee`, key `fee:<ledger id>`.
- Bitget classic futures fills (connectors/fetchers/bitget/derivatives.py): a fill whose `feeDetail` lists more
  than one coin held every `totalFee` added up under the first coin. Its fee becomes the first coin's alone, and each
  further coin a FEE keyed `fee:<productType>:<tradeId>:<coin>` (the coin as Bitget names it: ccxt's own names
  differ only for coins no fee is paid in), at the fill's time and market, from the fill's source.
Every other column is what it was. A stored row keeps its key, so without this a re-read of the same history (a sync
walking again, ledgers.csv uploaded again) would store each fee a second time under its new key. Where the new code
has meanwhile stored the same fee under its new key, that row is the one copy kept and the old one is deleted. The
way down writes them back as the old code stored them: a classic futures fill's fee summed again, its further
coins' FEE records deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

from db.types import ExactDecimal, UTCDateTime, utcnow

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY_LENGTH = 128  # records.natural_key cuts a key to the column's length
# The new kind, and the raw `type` the Gate and Bitget readers gave a further fee.
_FEE, _TRADE_FEE = "fee", "trade_fee"
_IN, _OUT = "in", "out"  # records.Flow
_POINTS = "POINT"  # Gate's points fee currency: stays a ledger line
# The file format a ledgers.csv record keeps in raw, and the ledger type of a trade's lines.
_LEDGERS_FILE, _KRAKEN_TRADE_LINE = "kraken-ledgers", "trade"

_integrations = sa.table("integrations", sa.column("id", sa.BigInteger), sa.column("exchange_id", sa.String))
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
    sa.column("occurred_at", UTCDateTime()),
    sa.column("exchange_tx_id", sa.String),
    sa.column("market", sa.String),
    sa.column("fee_asset", sa.String),
    sa.column("fee_amount", ExactDecimal()),
    sa.column("source", sa.String),
    sa.column("created_at", UTCDateTime()),
)
# A classic futures fill's key: `futures_trade:<productType>:<tradeId>` (the unified account's are `…:uta:…`).
_FILL_KIND, _PRODUCT_TYPES = "futures_trade", ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")


def _raw(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


class _Shape(NamedTuple):
    """How one exchange's further fee was stored (`old_*`) and is stored now (kind `fee`). A key is its parts joined
    by ":" (records.natural_key): the old and new keys share what follows these prefixes. A named tuple: alembic
    loads this module without registering it, which a dataclass needs."""

    exchange: str
    old_kind: str
    old_parts: tuple[str, ...]  # the old key's first parts (its kind first)
    new_parts: tuple[str, ...]  # the new key's first parts
    is_fee: Callable[[Any], bool]  # the stored row (its raw, asset) is such a fee
    old_side: Callable[[Decimal], str | None]

    @property
    def old_prefix(self) -> str:
        return ":".join((*self.old_parts, ""))

    @property
    def new_prefix(self) -> str:
        return ":".join((*self.new_parts, ""))


def _gate_fee(row: Any) -> bool:
    return _raw(row.raw).get("type") == _TRADE_FEE and row.asset != _POINTS


def _bitget_fee(row: Any) -> bool:
    return _raw(row.raw).get("type") == _TRADE_FEE


def _kraken_fee(row: Any) -> bool:
    raw = _raw(row.raw)
    return raw.get("file_format") == _LEDGERS_FILE and str(raw.get("type") or "").lower() == _KRAKEN_TRADE_LINE


SHAPES = (
    _Shape("gate", "ledger", ("ledger", "fee"), ("fee",), _gate_fee, lambda amount: _OUT),
    _Shape(
        "bitget",
        "reward",
        ("reward", "uta", "fee"),
        ("fee", "uta"),
        _bitget_fee,
        lambda amount: _OUT if amount < 0 else _IN,
    ),
    _Shape("kraken", "ledger", ("ledger",), ("fee",), _kraken_fee, lambda amount: None),
)


def _stored(connection: sa.Connection, shape: _Shape, kind: str, prefix: str) -> list[Any]:
    """This exchange's stored rows of this kind under this key prefix that are further fees."""
    ids = sa.select(_integrations.c.id).where(_integrations.c.exchange_id == shape.exchange)
    t = _transactions.c
    rows = connection.execute(
        sa.select(t.id, t.integration_id, t.natural_key, t.amount, t.asset, t.raw).where(
            t.kind == kind, t.natural_key.like(f"{prefix}%"), t.integration_id.in_(ids)
        )
    )
    return [row for row in rows if shape.is_fee(row)]


def _taken(connection: sa.Connection, rows: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (integration, key) pairs are stored already."""
    wanted: dict[int, list[str]] = {}
    for integration_id, key in rows:
        wanted.setdefault(integration_id, []).append(key)
    found: set[tuple[int, str]] = set()
    t = _transactions.c
    for integration_id, keys in wanted.items():
        for start in range(0, len(keys), 500):  # under SQLite's oldest limit of bound variables
            chunk = keys[start : start + 500]
            query = sa.select(t.natural_key).where(t.integration_id == integration_id, t.natural_key.in_(chunk))
            found.update((integration_id, key) for key in connection.execute(query).scalars())
    return found


def _rewrite(old_kind: str, new_kind: str, changes: list[dict[str, Any]]) -> None:
    """Give each row its new kind, key and side; a row the new form already holds is deleted."""
    connection = op.get_bind()
    taken = _taken(connection, ((change["integration"], change["new_key"]) for change in changes))
    t = _transactions.c
    duplicates = [change["row_id"] for change in changes if (change["integration"], change["new_key"]) in taken]
    kept = [change for change in changes if (change["integration"], change["new_key"]) not in taken]
    for start in range(0, len(duplicates), 500):
        connection.execute(sa.delete(_transactions).where(t.id.in_(duplicates[start : start + 500])))
    if kept:
        connection.execute(
            sa.update(_transactions)
            .where(t.id == sa.bindparam("row_id"), t.kind == old_kind)
            .values(kind=new_kind, natural_key=sa.bindparam("new_key"), side=sa.bindparam("new_side")),
            [{key: value for key, value in change.items() if key != "integration"} for change in kept],
        )


def _rekeyed(key: str, old_prefix: str, new_prefix: str) -> str:
    return f"{new_prefix}{key[len(old_prefix) :]}"[:_KEY_LENGTH]


def upgrade() -> None:
    connection = op.get_bind()
    for shape in SHAPES:
        changes = [
            {
                "row_id": row.id,
                "integration": row.integration_id,
                "new_key": _rekeyed(row.natural_key, shape.old_prefix, shape.new_prefix),
                "new_side": None,
            }
            for row in _stored(connection, shape, shape.old_kind, shape.old_prefix)
        ]
        _rewrite(shape.old_kind, _FEE, changes)
    _split_fees()


def downgrade() -> None:
    connection = op.get_bind()
    for shape in SHAPES:
        changes = [
            {
                "row_id": row.id,
                "integration": row.integration_id,
                "new_key": _rekeyed(row.natural_key, shape.new_prefix, shape.old_prefix),
                "new_side": shape.old_side(row.amount),
            }
            for row in _stored(connection, shape, _FEE, shape.new_prefix)
        ]
        _rewrite(_FEE, shape.old_kind, changes)
    _sum_fees()


# -- Bitget classic futures fills: one fee per coin ---------------------------------------------------------------


def _charges(raw: Any) -> list[tuple[str, Decimal]]:
    """(coin, charge) per coin of a v2 fill's `feeDetail`, in its order, a coin listed twice summed; `totalFee` is
    negative when charged, a charge positive."""
    details = _raw(raw).get("feeDetail")
    fees: dict[str, Decimal] = {}
    for part in details if isinstance(details, list) else []:
        if isinstance(part, dict) and part.get("totalFee") not in (None, ""):
            coin = str(part["feeCoin"])
            fees[coin] = fees.get(coin, Decimal(0)) - Decimal(str(part["totalFee"]))
    return list(fees.items())


def _split_fills(connection: sa.Connection) -> list[Any]:
    """Bitget's stored classic futures fills whose fee was paid in more than one coin."""
    ids = sa.select(_integrations.c.id).where(_integrations.c.exchange_id == "bitget")
    t = _transactions.c
    keys = [t.natural_key.like(":".join((_FILL_KIND, product, "%"))) for product in _PRODUCT_TYPES]
    rows = connection.execute(
        sa.select(
            t.id, t.integration_id, t.natural_key, t.occurred_at, t.exchange_tx_id, t.market, t.fee_asset,
            t.fee_amount, t.source, t.raw,
        ).where(t.kind == _FILL_KIND, sa.or_(*keys), t.integration_id.in_(ids))
    )  # fmt: skip
    return [row for row in rows if len(_charges(row.raw)) > 1]


def _further_key(fill_key: str, coin: str) -> str:
    """`futures_trade:<productType>:<tradeId>` → `fee:<productType>:<tradeId>:<coin>`, as fee_records keys it."""
    return ":".join((_FEE, fill_key[len(_FILL_KIND) + 1 :], coin))[:_KEY_LENGTH]


def _split_fees() -> None:
    connection = op.get_bind()
    t = _transactions.c
    for fill in _split_fills(connection):
        (_, first), *further = _charges(fill.raw)  # the fill keeps its first coin, charged that alone
        connection.execute(sa.update(_transactions).where(t.id == fill.id).values(fee_amount=first))
        product = fill.natural_key.split(":")[1]
        wanted = [(coin, charge) for coin, charge in further if charge != 0]
        taken = _taken(connection, ((fill.integration_id, _further_key(fill.natural_key, c)) for c, _ in wanted))
        rows = [
            {
                "integration_id": fill.integration_id, "natural_key": _further_key(fill.natural_key, coin),
                "kind": _FEE, "occurred_at": fill.occurred_at, "exchange_tx_id": fill.exchange_tx_id,
                "market": fill.market, "side": None, "asset": coin, "amount": Decimal(0) - charge,
                "fee_asset": None, "fee_amount": None, "source": fill.source, "created_at": utcnow(),
                "raw": {"type": _TRADE_FEE, "productType": product, "feeCoin": coin, "fee": str(charge),
                        "fill": fill.raw},
            }
            for coin, charge in wanted
            if (fill.integration_id, _further_key(fill.natural_key, coin)) not in taken
        ]  # fmt: skip
        if rows:
            connection.execute(sa.insert(_transactions), rows)


def _sum_fees() -> None:
    connection = op.get_bind()
    t = _transactions.c
    for fill in _split_fills(connection):
        charges = _charges(fill.raw)
        total = sum((charge for _, charge in charges), Decimal(0))
        connection.execute(sa.update(_transactions).where(t.id == fill.id).values(fee_amount=total))
        keys = [_further_key(fill.natural_key, coin) for coin, _ in charges[1:]]
        connection.execute(
            sa.delete(_transactions).where(
                t.integration_id == fill.integration_id, t.kind == _FEE, t.natural_key.in_(keys)
            )
        )
