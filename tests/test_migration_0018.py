"""Migration 0018: a fill's fee in a further coin, stored before as a record of another kind (Gate: a ledger line,
Bitget unified: a reward going out, Kraken's ledgers.csv: a ledger line) or added to the fill's fee in the wrong coin
(Bitget classic futures), becomes the FEE record the readers now store, on SQLite and PostgreSQL. A database that
holds the old rows and reads the same history again (a sync walking it again, ledgers.csv uploaded again) stores
each fee once; the balance check counts it; the way down writes the old rows back, and rows of other kinds, types or
exchanges are left as they were.

The old rows are written by hand in the old code's form (`git show 8d9ae42^:connectors/fetchers/gate/rows.py`,
`…/bitget/unified_fees.py`, `…/bitget/derivatives.py`, `…/files/kraken.py`). The new records are the readers' own,
from the same rows.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from bot.imports import ImportService
from bot.reconcile.ledger import explained_balances
from connectors.fetchers.bitget.unified_fees import fee_records, further_fees, signed_fee_parts
from connectors.fetchers.gate.rows import RowReader
from connectors.records import NormalizedRecord, RecordKind
from db.engine import Database
from db.migrate import alembic_config
from db.models import Integration, Transaction, User
from db.repositories.reconcile import Movement
from db.repositories.transactions import TransactionRepository

D = Decimal
BALANCED = ("gate", "kraken")  # the accounts whose balance check is looked at
WHEN = datetime(2024, 3, 1, 8, 0, 0, 123000, tzinfo=UTC)
# A Gate fill (Trade.md's fields) whose fee was paid 0.0015 USDT and 0.0007 GT, and one paid 0.0042 GT and 0.18
# points: the old code stored each second fee as a ledger line.
GATE_SPLIT = {
    **{"id": "11", "create_time": "1709280000", "create_time_ms": "1709280000123.456", "currency_pair": "BTC_USDT"},
    **{"side": "buy", "role": "taker", "amount": "0.001", "price": "60000", "order_id": "90"},
    **{"fee": "0.0015", "fee_currency": "USDT", "point_fee": "0", "gt_fee": "0.0007"},
}
GATE_POINTS = {**GATE_SPLIT, "id": "12", "fee": "0", "gt_fee": "0.0042", "point_fee": "0.18"}
LEDGER_HEADER = ["txid", "refid", "time", "type", "subtype", "aclass", "asset", "amount", "fee", "balance"]
# A Kraken trade's two lines and a third paying its fee in KFEE (fee credits), as ledgers.csv writes them.
KRAKEN_LINES = [
    ["LT1", "TETH02-CCCCC-DDDDDD", "2024-03-01 08:00:00.1230", "trade", "", "currency", "XETH", "-0.1", "0", "1"],
    ["LT2", "TETH02-CCCCC-DDDDDD", "2024-03-01 08:00:00.1230", "trade", "", "currency", "ZUSD", "300", "0.78", "1"],
    ["LT3", "TETH02-CCCCC-DDDDDD", "2024-03-01 08:00:00.1230", "trade", "", "currency", "KFEE", "0.00", "52.00", "1"],
]


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


def _row(
    integration_id: int, key: str, kind: str, side: str | None, asset: str, amount: str, raw: Any
) -> dict[str, Any]:
    return {
        "integration_id": integration_id, "natural_key": key, "kind": kind, "occurred_at": WHEN,
        "exchange_tx_id": None, "market": None, "side": side, "asset": asset, "amount": D(amount),
        "quote_asset": None, "quote_amount": None, "price": None, "fee_asset": None, "fee_amount": None,
        "source": "file" if raw.get("file_format") else "api", "raw": raw,
    }  # fmt: skip


def _kraken_raw(line: list[str]) -> dict[str, str]:
    """A ledgers.csv line as the reader keeps it (connectors/files/formats.raw_row)."""
    return {"file_format": "kraken-ledgers", **dict(zip(LEDGER_HEADER, line, strict=True))}


POINTS_FEE = {"type": "trade_fee", "trade": GATE_POINTS}
FUTURES_BGB = {"type": "trade_fee", "category": "USDT-FUTURES", "feeCoin": "BGB", "fee": "0.5"}
SPOT_REBATE = {"type": "trade_fee", "category": "SPOT", "feeCoin": "BGB", "fee": "-0.003"}
# A classic futures fill's feeDetail (contract/trade/Get-Fill-History: `totalFee` negative when charged).
CLASSIC_SPLIT = {"tradeId": "7001", "feeDetail": [
    {"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0", "totalFee": "-0.01361596"},
    {"deduction": "yes", "feeCoin": "BGB", "totalDeductionFee": "-0.0125", "totalFee": "-0.0125"},
]}  # fmt: skip
CLASSIC_ONE = {"tradeId": "7002", "feeDetail": [
    {"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0", "totalFee": "-0.02161596"},
]}  # fmt: skip
ADJUSTMENT = ["LADJ01", "", "2024-03-01 08:00:00", "adjustment", "", "currency", "ZUSD", "-0.5", "0", "1"]


def _old_rows(gate: int, bitget: int, kraken: int, okx: int) -> list[dict[str, Any]]:
    """What the old code stored for these fees, and rows the migration must leave alone."""
    gate_fee = {"type": "trade_fee", "trade": GATE_SPLIT}
    return [
        # Gate: the GT part of the split fill, the points part of the other (stays a ledger line).
        _row(gate, "ledger:fee:BTC_USDT:11:GT", "ledger", "out", "GT", "-0.0007", gate_fee),
        _row(gate, "ledger:fee:BTC_USDT:12:POINT", "ledger", "out", "POINT", "-0.18", POINTS_FEE),
        # Bitget unified: a futures fill's BGB part (charged), a spot fill's BGB rebate, and a real reward.
        _row(bitget, "reward:uta:fee:USDT-FUTURES:9001:BGB", "reward", "out", "BGB", "-0.5", FUTURES_BGB),
        _row(bitget, "reward:uta:fee:SPOT:9002:BGB", "reward", "in", "BGB", "0.003", SPOT_REBATE),
        _row(bitget, "reward:uta:9003", "reward", None, "BGB", "1", {"type": "AIRDROP_REWARD"}),
        # Kraken's ledgers.csv: the KFEE line, and an adjustment line (another type) that stays.
        _row(kraken, "ledger:LT3", "ledger", None, "KFEE", "-52", _kraken_raw(KRAKEN_LINES[2])),
        _row(kraken, "ledger:LADJ01", "ledger", None, "USD", "-0.5", _kraken_raw(ADJUSTMENT)),
        # Bitget classic futures: a fill whose fee was paid in USDT and BGB (the old code added both up under
        # USDT), and a fill of one fee coin (left alone).
        {
            **_row(bitget, "futures_trade:USDT-FUTURES:7001", "futures_trade", "sell", "ETH", "0.02", CLASSIC_SPLIT),
            "market": "ETH/USDT:USDT",
            "exchange_tx_id": "7001",
            "fee_asset": "USDT",
            "fee_amount": D("0.02611596"),
        },
        {
            **_row(bitget, "futures_trade:USDT-FUTURES:7002", "futures_trade", "buy", "ETH", "0.02", CLASSIC_ONE),
            "market": "ETH/USDT:USDT",
            "exchange_tx_id": "7002",
            "fee_asset": "USDT",
            "fee_amount": D("0.02161596"),
        },
        # Another exchange's line that looks like a Gate fee: not Gate's, left alone.
        _row(okx, "ledger:fee:BTC_USDT:11:GT", "ledger", "out", "GT", "-0.0007", gate_fee),
    ]


async def _new_records() -> tuple[list[NormalizedRecord], list[NormalizedRecord]]:
    """The same fees read by today's code: Gate's fills, and Bitget's fills' further coins."""
    client = ccxt_async.gate()
    try:
        gate = [*RowReader(client).fill(GATE_SPLIT), *RowReader(client).fill(GATE_POINTS)]
    finally:
        await client.close()
    bitget = []
    for ident, category, fee in (("9001", "USDT-FUTURES", D("0.5")), ("9002", "SPOT", D("-0.003"))):
        fill = NormalizedRecord(RecordKind.FUTURES_TRADE, WHEN, f"futures_trade:uta:{category}:{ident}", "BTC", D(1),
                                exchange_tx_id=ident, fee_asset="USDT", fee_amount=D("0.1"))  # fmt: skip
        bitget += further_fees(fill, category, [("USDT", D("0.1")), ("BGB", fee)])
    classic = NormalizedRecord(RecordKind.FUTURES_TRADE, WHEN, "futures_trade:USDT-FUTURES:7001", "ETH", D("0.02"),
                               exchange_tx_id="7001", market="ETH/USDT:USDT", raw=CLASSIC_SPLIT)  # fmt: skip
    parts = signed_fee_parts(CLASSIC_SPLIT, str)
    bitget += fee_records(classic, ("USDT-FUTURES",), parts, {"productType": "USDT-FUTURES"})
    return gate, bitget


async def _rows(database: Database, integration_id: int) -> dict[str, tuple[object, ...]]:
    async with database.reader() as session:
        query = sa.select(Transaction).where(Transaction.integration_id == integration_id)
        found = (await session.scalars(query)).all()
        return {r.natural_key: (r.kind, r.side, r.asset, r.amount, r.fee_amount) for r in found}


async def _store(database: Database, integration_id: int, records: list[NormalizedRecord]) -> int:
    async with database.writer() as session:
        return await TransactionRepository(session).insert_missing([r.to_row(integration_id, "api") for r in records])


async def _movements(database: Database, integration_id: int) -> list[Movement]:
    async with database.reader() as session:
        query = sa.select(Transaction).where(Transaction.integration_id == integration_id)
        return [
            Movement(r.kind, r.side, r.asset, r.amount, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
            for r in (await session.scalars(query)).all()
        ]


def _ledgers_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([LEDGER_HEADER, *KRAKEN_LINES])
    return buffer.getvalue().encode()


async def test_fees_stored_in_the_old_kinds_become_fee_records_read_again_once_and_go_back_down(
    database_url: str,
) -> None:
    database = Database(database_url)
    gate_records, bitget_records = await _new_records()
    try:
        await _migrate(database, "0017")
        async with database.engine.execution_options(tallybot_write=True).begin() as connection:
            await connection.execute(sa.insert(User).values(telegram_user_id=1001, timezone="UTC"))
            user_id = (await connection.execute(sa.select(User.id))).scalar_one()
            ids = []
            for exchange in ("gate", "bitget", "kraken", "okx"):
                inserted = await connection.execute(
                    sa.insert(Integration)
                    .values(user_id=user_id, exchange_id=exchange, account_name=f"{exchange}-1")
                    .returning(Integration.id)
                )
                ids.append(inserted.scalar_one())
            gate, bitget, kraken, okx = ids
            # The Bitget futures fee also stored under its new key already (read by the new code before this
            # migration ran): one copy stays.
            twin = {**_old_rows(gate, bitget, kraken, okx)[2], "natural_key": "fee:uta:USDT-FUTURES:9001:BGB",
                    "kind": "fee", "side": None}  # fmt: skip
            await connection.execute(sa.insert(Transaction), [*_old_rows(gate, bitget, kraken, okx), twin])

        await _migrate(database, "0018")
        accounts = {"gate": gate, "bitget": bitget, "kraken": kraken}
        migrated = {name: await _rows(database, ident) for name, ident in accounts.items()}
        # The same history read again: the Gate fills, Bitget's further fee coins, ledgers.csv uploaded again.
        new_gate = await _store(database, gate, gate_records)
        new_bitget = await _store(database, bitget, bitget_records)
        upload = await ImportService(database).import_file(1001, kraken, "ledgers.csv", _ledgers_csv())
        read_again = {name: await _rows(database, ident) for name, ident in accounts.items()}
        explained = {name: explained_balances(await _movements(database, accounts[name])) for name in BALANCED}

        await _migrate(database, "0017", down=True)
        restored = {name: await _rows(database, ident) for name, ident in accounts.items()}
        okx_rows = await _rows(database, okx)
    finally:
        await database.dispose()

    assert migrated == {
        "gate": {
            "fee:BTC_USDT:11:GT": ("fee", None, "GT", D("-0.0007"), None),
            "ledger:fee:BTC_USDT:12:POINT": (
                "ledger",
                "out",
                "POINT",
                D("-0.18"),
                None,
            ),  # points: no wallet read holds them
        },
        "bitget": {
            "fee:uta:USDT-FUTURES:9001:BGB": ("fee", None, "BGB", D("-0.5"), None),  # the twin's old row deleted
            "fee:uta:SPOT:9002:BGB": ("fee", None, "BGB", D("0.003"), None),
            "reward:uta:9003": ("reward", None, "BGB", D("1"), None),
            # The classic fill: its USDT fee alone, its BGB part a FEE of its own.
            "futures_trade:USDT-FUTURES:7001": ("futures_trade", "sell", "ETH", D("0.02"), D("0.01361596")),
            "fee:USDT-FUTURES:7001:BGB": ("fee", None, "BGB", D("-0.0125"), None),
            "futures_trade:USDT-FUTURES:7002": ("futures_trade", "buy", "ETH", D("0.02"), D("0.02161596")),
        },
        "kraken": {
            "fee:LT3": ("fee", None, "KFEE", D("-52"), None),
            "ledger:LADJ01": ("ledger", None, "USD", D("-0.5"), None),
        },
    }
    # Read again: only the fills themselves are new; every fee is met by its key.
    assert (new_gate, new_bitget) == (2, 0)
    assert set(read_again["gate"]) == set(migrated["gate"]) | {"trade:BTC_USDT:11", "trade:BTC_USDT:12"}
    assert read_again["bitget"] == migrated["bitget"]
    assert (upload.new, upload.matched.get("key"), upload.rejected_total) == (1, 1, 0)  # the trade new, LT3 met
    assert sum(row[0] == "fee" for row in read_again["kraken"].values()) == 1
    # The balance check counts the GT fee beside the trade's USDT fee; the points line it leaves out.
    assert explained["gate"]["GT"] == D("-0.0042") - D("0.0007")
    assert "POINT" not in explained["gate"]
    assert explained["kraken"]["KFEE"] == D("-52")
    # The way down: the old code's rows again (the trades stored meanwhile stay).
    assert {k: v for k, v in restored["gate"].items() if not k.startswith("trade:")} == {
        "ledger:fee:BTC_USDT:11:GT": ("ledger", "out", "GT", D("-0.0007"), None),
        "ledger:fee:BTC_USDT:12:POINT": ("ledger", "out", "POINT", D("-0.18"), None),
    }
    assert restored["bitget"] == {
        "reward:uta:fee:USDT-FUTURES:9001:BGB": ("reward", "out", "BGB", D("-0.5"), None),
        "reward:uta:fee:SPOT:9002:BGB": ("reward", "in", "BGB", D("0.003"), None),
        "reward:uta:9003": ("reward", None, "BGB", D("1"), None),
        "futures_trade:USDT-FUTURES:7001": ("futures_trade", "sell", "ETH", D("0.02"), D("0.02611596")),
        "futures_trade:USDT-FUTURES:7002": ("futures_trade", "buy", "ETH", D("0.02"), D("0.02161596")),
    }
    assert {k: v for k, v in restored["kraken"].items() if not k.startswith("trade:")} == {
        "ledger:LT3": ("ledger", None, "KFEE", D("-52"), None),
        "ledger:LADJ01": ("ledger", None, "USD", D("-0.5"), None),
    }
    assert okx_rows == {"ledger:fee:BTC_USDT:11:GT": ("ledger", "out", "GT", D("-0.0007"), None)}
