"""Migration 0019: OKX rows stored by earlier syncs become what today's readers store, on SQLite and PostgreSQL, and
a re-sync through the emulator then stores only the bills earlier syncs never read, nothing twice.

The account is the emulator's isolated and funding-kinds trader (sandbox/exchanges/okx_isolated.py ISOLATED_*,
okx_funding_kinds.py). Its old rows are written here as the code of commit cefd12b stored them (`git show
cefd12b:connectors/fetchers/okx/derivatives.py`, `…/rows.py`): realized P&L of `balChg - fee` with a liquidation
bill's own fee, isolated funding of `balChg`, the liquidation fill keyed by its negative tradeId alone, and of the
funding bills only the transfer, sub-account and reward types it knew, with the walks' cursors at their top. The
values after the way up are written by hand from the script's comments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from connectors.fetchers.base import Cursor
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord, RecordKind, ms_to_utc
from db.engine import Database
from db.migrate import alembic_config
from db.models import EndpointState, Integration, Transaction, User
from db.repositories.transactions import TransactionRepository
from sandbox.exchanges import OkxEmulator
from tests.connectors.test_fetch_okx import okx_client
from tests.test_okx_derivatives_e2e import FAST, _walk
from tests.test_okx_funding_kinds_e2e import REWARDS_WALK, TRANSFERS_WALK
from tests.test_reconcile_e2e import RECENT

D = Decimal
ENDPOINTS = (Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.TRANSFERS, Endpoint.EARN_REWARDS)
# The funding bill types the code of cefd12b stored (rows.py TRANSFER_BILL_TYPES, SUB_ACCOUNT_BILL_TYPES,
# REWARD_BILL_TYPES): every other type the walks read today is new.
OLD_TRANSFERS = {"75", "76", "80", "82", "130", "131", "20", "21", "22", "23", "361"}
OLD_REWARDS = {"28", "48", "49", "83", "89", "139", "229", "232", "307", "308", "309", "328", "343", "344", "350"}
WHEN = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


def _old_bill(bill: dict[str, Any]) -> NormalizedRecord | None:
    """A trading-account bill as cefd12b's DerivativeRows.pnl and signed_bill stored it."""
    kind, ident, ccy = str(bill["type"]), str(bill["billId"]), str(bill["ccy"])
    fee = D(bill["fee"] or "0")
    own = kind not in ("2", "8") and fee != 0
    record = NormalizedRecord(
        RecordKind.REALIZED_PNL,
        ms_to_utc(bill["ts"]),
        f"realized_pnl:{ident}",
        ccy,
        D(bill["balChg"]) - fee,
        exchange_tx_id=ident,
        fee_asset=ccy if own else None,
        fee_amount=-fee if own else None,
        raw=bill,
    )
    if kind == "8":
        return replace(record, kind=RecordKind.FUNDING, natural_key=f"funding:{ident}", amount=D(bill["balChg"]))
    if kind not in ("2", "3", "5", "9", "10", "34") or (record.amount == 0 and not own):
        return None
    return record


def _old_record(record: NormalizedRecord) -> NormalizedRecord | None:
    """A record of today's walk as cefd12b stored it, or None where it stored none (bills of types it skipped; its
    P&L and funding rows are _old_bill's)."""
    raw = record.raw
    if record.kind is RecordKind.FUTURES_TRADE:
        trade_id = str(raw["tradeId"])
        return (
            replace(record, natural_key=f"futures_trade:{raw['instId']}:{trade_id}") if trade_id[0] == "-" else record
        )
    if record.kind in (RecordKind.REALIZED_PNL, RecordKind.FUNDING):
        return None
    if "billId" not in raw:
        return record  # savings interest (lending-history): unchanged
    if record.kind is RecordKind.REWARD:
        return record if raw["type"] in OLD_REWARDS else None
    return record if raw["type"] in OLD_TRANSFERS else None


def _hand_made(okx: int, bybit: int) -> list[dict[str, Any]]:
    """Rows the emulator's script has not: an ADL bill whose change was all fee (stored with its fee, amount 0), a
    delivery clawback (117, no fill: keeps its fee), a liquidation fill of tradeId 0 whose new key is stored already,
    a reward taken back, and Bybit rows of the same shapes, left alone."""
    adl = {
        "billId": "9101",
        "type": "9",
        "subType": "125",
        "ccy": "USDT",
        "balChg": "-0.4",
        "fee": "-0.4",
        "mgnMode": "cross",
        "posBalChg": "0",
        "instType": "SWAP",
        "instId": "ETH-USDT-SWAP",
        "ts": "1709280000000",
    }
    claw = {**adl, "billId": "9102", "type": "3", "subType": "117", "balChg": "-2.1", "fee": "-0.1"}
    fill = {"instType": "SWAP", "instId": "ETH-USDT-SWAP", "tradeId": "0", "billId": "9103", "fee": "-0.2"}
    taken = {"billId": "9104", "type": "48", "ccy": "USDT", "balChg": "-1.5", "ts": "1709280000000"}

    def row(integration: int, key: str, kind: str, amount: str, raw: Any, fee: str | None = None) -> dict[str, Any]:
        return {"integration_id": integration, "natural_key": key, "kind": kind, "occurred_at": WHEN, "side": None,
                "asset": "USDT", "amount": D(amount), "fee_asset": fee and "USDT", "fee_amount": fee and D(fee),
                "source": "api", "raw": raw}  # fmt: skip

    return [
        row(okx, "realized_pnl:9101", "realized_pnl", "0", adl, "0.4"),
        row(okx, "realized_pnl:9102", "realized_pnl", "-2.0", claw, "0.1"),
        row(okx, "futures_trade:ETH-USDT-SWAP:0", "futures_trade", "0.1", fill, "0.2"),
        row(okx, "futures_trade:ETH-USDT-SWAP:0:9103", "futures_trade", "0.1", fill, "0.2"),
        row(okx, "reward:9104", "reward", "-1.5", taken),
        row(bybit, "realized_pnl:9101", "realized_pnl", "0", adl, "0.4"),
        row(bybit, "futures_trade:ETH-USDT-SWAP:0", "futures_trade", "0.1", fill, "0.2"),
        row(bybit, "reward:9104", "reward", "-1.5", taken),
    ]


async def _rows(database: Database, integration_id: int) -> dict[str, tuple[Any, ...]]:
    async with database.reader() as session:
        query = sa.select(Transaction).where(Transaction.integration_id == integration_id)
        found = (await session.scalars(query)).all()
        return {r.natural_key: (r.kind, r.side, r.asset, r.amount, r.fee_asset, r.fee_amount) for r in found}


async def _cursors(database: Database, integration_id: int) -> dict[tuple[str, str], Any]:
    async with database.reader() as session:
        query = sa.select(EndpointState).where(EndpointState.integration_id == integration_id)
        return {(s.endpoint, s.market): s.cursor for s in (await session.scalars(query)).all()}


def _values(records: list[NormalizedRecord]) -> dict[str, tuple[Any, ...]]:
    return {r.natural_key: (str(r.kind), r.side, r.asset, r.amount, r.fee_asset, r.fee_amount) for r in records}


async def test_old_okx_rows_become_todays_and_a_resync_stores_only_the_bills_never_read(database_url: str) -> None:
    database = Database(database_url)
    emulator = OkxEmulator(
        seed=83, profile=RECENT, listed_symbols=20, derivatives=True, funding_kinds=True, limits=FAST
    )
    try:
        async with emulator as okx, okx_client(okx) as client:
            okx.book.derivatives.trade_isolated()
            bills = {r.bill["billId"]: dict(r.bill) for r in okx.book.derivatives.rows}
            walked: dict[Endpoint, dict[str, Cursor]] = {e: {} for e in ENDPOINTS}
            today = [r for e in ENDPOINTS for r in await _walk(client, e, walked[e])]
            old = [o for r in today if (o := _old_record(r)) is not None]
            seen = {str(r.raw["billId"]) for r in today if r.kind in (RecordKind.REALIZED_PNL, RecordKind.FUNDING)}
            seen |= {str(r.raw["billId"]) for r in today if r.kind is RecordKind.FUTURES_TRADE}  # opening bills
            old += [o for ident, b in bills.items() if ident in seen and (o := _old_bill(b)) is not None]

            await _migrate(database, "0018")
            async with database.engine.execution_options(tallybot_write=True).begin() as connection:
                await connection.execute(sa.insert(User).values(telegram_user_id=1901, timezone="UTC"))
                user = (await connection.execute(sa.select(User.id))).scalar_one()
                ids = []
                for exchange in ("okx", "bybit"):
                    values = {"user_id": user, "exchange_id": exchange, "account_name": f"{exchange}-1"}
                    inserted = await connection.execute(sa.insert(Integration).values(values).returning(Integration.id))
                    ids.append(inserted.scalar_one())
                okx_id, bybit_id = ids
                await connection.execute(sa.insert(Transaction), [r.to_row(okx_id, "api") for r in old])
                await connection.execute(sa.insert(Transaction), _hand_made(okx_id, bybit_id))
                states = [
                    {"integration_id": okx_id, "endpoint": str(e), "market": m, "cursor": c, "covered_until": WHEN}
                    for e in ENDPOINTS
                    for m, c in walked[e].items()
                ]
                states.append(
                    {
                        "integration_id": bybit_id,
                        "endpoint": "transfers",
                        "market": "",
                        "cursor": {"p": 1},
                        "covered_until": WHEN,
                    }
                )
                await connection.execute(sa.insert(EndpointState), states)
            before = await _rows(database, okx_id)

            await _migrate(database, "0019")
            migrated = await _rows(database, okx_id)
            kept_cursors = await _cursors(database, okx_id)
            # The next sync, from the cursors as stored.
            resync: list[NormalizedRecord] = []
            for endpoint in ENDPOINTS:
                cursors = {m: c for (e, m), c in kept_cursors.items() if e == str(endpoint) and c is not None}
                resync += await _walk(client, endpoint, cursors)
            async with database.writer() as session:
                new = await TransactionRepository(session).insert_missing([r.to_row(okx_id, "api") for r in resync])
            synced = await _rows(database, okx_id)
            bybit_rows = await _rows(database, bybit_id)
            bybit_cursors = await _cursors(database, bybit_id)

        await _migrate(database, "0018", down=True)
        restored = await _rows(database, okx_id)
    finally:
        await database.dispose()

    by_bill = {str(r.raw.get("billId")): r for r in today if r.kind is RecordKind.REALIZED_PNL}
    liquidation = next(b for b in bills.values() if b["type"] == "5" and b["subType"] == "104")
    closing = next(b for b in bills.values() if b.get("posBalChg") == "-299.6" and b["type"] == "2")
    openings = [b["billId"] for b in bills.values() if b["type"] == "2" and b["mgnMode"] == "isolated"]
    openings = [ident for ident in openings if ident != closing["billId"] and ident not in by_bill]
    liq_fill = next(r for r in today if r.kind is RecordKind.FUTURES_TRADE and r.raw["billId"] == liquidation["billId"])
    liq_key = f"futures_trade:{liq_fill.raw['instId']}:{liq_fill.raw['tradeId']}"
    # Before: the liquidation's P&L +6 (0.27 + 5.73) with its own 5.73 fee, the closing bill +399.6 (398.05 + 1.55),
    # each opening bill its margin as a loss, the isolated funding 0.
    assert before[f"realized_pnl:{liquidation['billId']}"] == ("realized_pnl", None, "USDT", D("6"), "USDT", D("5.73"))
    assert before[f"realized_pnl:{closing['billId']}"][3] == D("399.6")
    assert sorted(before[f"realized_pnl:{ident}"][3] for ident in openings) == [D("-300"), D("-60"), D("-0.008")]
    funding = sorted((k, v[3]) for k, v in before.items() if k.startswith("funding:"))
    isolated_funding = [k for k, _ in funding if bills[k.split(":")[1]]["mgnMode"] == "isolated"]
    assert sorted(before[k][3] for k in isolated_funding) == [D("0"), D("0"), D("0")]
    assert liq_key in before

    # After: -54 (0.27 - 60 + 5.73) with no fee of its own (its fill has the 5.73), +100 (398.05 - 299.6 + 1.55),
    # the opening bills gone, the isolated funding -0.6, +0.2, -0.000003 as moved inside the positions.
    assert migrated[f"realized_pnl:{liquidation['billId']}"] == ("realized_pnl", None, "USDT", D("-54"), None, None)
    assert migrated[f"realized_pnl:{closing['billId']}"] == ("realized_pnl", None, "USDT", D("100"), None, None)
    assert [f"realized_pnl:{ident}" in migrated for ident in openings] == [False, False, False]
    assert sorted(migrated[k][3] for k in isolated_funding) == [D("-0.6"), D("-0.000003"), D("0.2")]
    assert liq_key not in migrated and f"{liq_key}:{liquidation['billId']}" in migrated
    # The hand-made rows: the ADL bill that was all fee is gone, the clawback keeps its fee, the tradeId 0 fill
    # keeps one row under the new key, the reward taken back goes out; Bybit's are as they were.
    assert "realized_pnl:9101" not in migrated
    assert migrated["realized_pnl:9102"] == ("realized_pnl", None, "USDT", D("-2.0"), "USDT", D("0.1"))
    assert [k for k in migrated if k.startswith("futures_trade:ETH-USDT-SWAP:0")] == [
        "futures_trade:ETH-USDT-SWAP:0:9103"
    ]
    assert migrated["reward:9104"] == ("reward", "out", "USDT", D("1.5"), None, None)
    assert bybit_rows == {
        "realized_pnl:9101": ("realized_pnl", None, "USDT", D("0"), "USDT", D("0.4")),
        "futures_trade:ETH-USDT-SWAP:0": ("futures_trade", None, "USDT", D("0.1"), "USDT", D("0.2")),
        "reward:9104": ("reward", None, "USDT", D("-1.5"), None, None),
    }
    # Only the funding-bills walks' cursors are dropped (the savings list's and the derivatives' stay, Bybit's too).
    assert sorted(k for k, c in kept_cursors.items() if c is None) == [("earn_rewards", ""), ("transfers", "")]
    assert bybit_cursors == {("transfers", ""): {"p": 1}}

    # The re-sync stores exactly the bills of the kinds cefd12b skipped (the funding-kinds script's, by hand in
    # tests/test_okx_funding_kinds_e2e.py, less the SOL staking reward 328 it knew), nothing twice: every record
    # today's code reads from the account is stored once, with today's values.
    added = [v for k, v in synced.items() if k not in migrated]
    expected = sorted(
        (kind, asset, amount) for t, kind, asset, amount, _ in TRANSFERS_WALK + REWARDS_WALK if t != "328"
    )
    assert new == len(added) == 32
    assert sorted((v[0], v[2], v[3]) for v in added) == expected
    hand_made = {"realized_pnl:9102", "futures_trade:ETH-USDT-SWAP:0:9103", "reward:9104"}
    assert {k: v for k, v in synced.items() if k not in hand_made} == _values(today)

    # The way down: the old values again, but for the rows deleted on the way up; the re-synced bills stay.
    deleted = {"realized_pnl:9101", *(f"realized_pnl:{ident}" for ident in openings)}
    moved_back = "futures_trade:ETH-USDT-SWAP:0:9103"  # to the old key, whose row the way up deleted
    assert {k: v for k, v in restored.items() if k in before} == {
        k: v for k, v in before.items() if k not in deleted and k != moved_back
    }
    assert set(restored) - set(before) == set(synced) - set(migrated)
