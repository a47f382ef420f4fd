"""Migration 0016: Kraken's Buy Crypto convert lines, stored as ledger lines before commit c23872c, become the convert
legs the fetcher and the ledgers.csv reader now store, on SQLite and PostgreSQL. A database that holds the old rows
and is read again (a sync walking the whole ledger, ledgers.csv uploaded again) stores each line once, and the export
lists it once; the way down writes the old rows back, and rows of other types or exchanges are left as they were.

The old rows are written by hand in the old code's form (`git show c23872c^:connectors/fetchers/kraken/rows.py`):
kind `ledger`, key `ledger:<ledger id>`, the line's signed amount, no side, the fee only when there is one, and the
API's row (with its ledger id) or the file's row (with its format) as raw.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from bot.exports import ExportFormat, ExportReport, ExportService
from bot.imports import ImportService
from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.sync import SyncService
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from db.engine import Database
from db.migrate import alembic_config, upgrade_to_head
from db.models import Integration, Transaction, User
from sandbox.exchanges import AccountProfile, KrakenEmulator
from sandbox.exchanges.kraken import KrakenLimits
from sandbox.exchanges.kraken_book import LedgerEntry
from tests.files.test_kraken_files_after_sync import kraken_time, ledgers_csv

# A small account: few ledger lines (one page of 50), three Buy Crypto converts, so six spend/receive lines.
PROFILE = AccountProfile(
    years=0.5, traded_markets=2, trades=6, deposits=2, withdrawals=1, converts=3, transfers=1, rewards=1
)
LIFTED = KrakenLimits(max_counter=1e9, decay_per_second=1e9)
CONVERT_LINES = ("spend", "receive")


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


def _seconds(ms: int) -> float:
    return ms / 1000


def _api_row(e: LedgerEntry) -> dict[str, Any]:
    """A ledger line as Get Ledgers Info sends it (sandbox/exchanges/kraken_book.py `_entry`), with its id as the
    fetcher keeps it in raw."""
    return {
        "ledger_id": e.ledger_id,
        "refid": e.refid,
        "time": _seconds(e.time),
        "type": e.type,
        "subtype": e.subtype,
        "aclass": "currency",
        "asset": e.asset,
        "amount": f"{e.amount:.8f}",
        "fee": f"{e.fee:.8f}",
        "balance": f"{e.balance:.8f}",
    }


def _file_row(e: LedgerEntry) -> dict[str, Any]:
    """The same line as ledgers.csv writes it (tests/files/test_kraken_files_after_sync.py), kept by the reader."""
    return {
        "file_format": "kraken-ledgers",
        "txid": e.ledger_id,
        "refid": e.refid,
        "time": kraken_time(e.time),
        "type": e.type,
        "subtype": e.subtype,
        "aclass": "currency",
        "asset": e.asset,
        "amount": format(e.amount, "f"),
        "fee": format(e.fee, "f"),
        "balance": format(e.balance, "f"),
    }


def _old_ledger_line(integration_id: int, e: LedgerEntry, asset: str, *, source: str) -> dict[str, Any]:
    """How the code before c23872c stored a spend or receive line: a ledger line with its signed amount."""
    return {
        "integration_id": integration_id,
        "natural_key": f"ledger:{e.ledger_id}",
        "kind": "ledger",
        "occurred_at": datetime.fromtimestamp(e.time / 1000, tz=UTC),
        "exchange_tx_id": e.refid,
        "market": None,
        "side": None,
        "asset": asset,
        "amount": e.amount,
        "quote_asset": None,
        "quote_amount": None,
        "price": None,
        "fee_asset": None,  # the emulator's convert lines carry no fee ("0.00000000": `fee or None`)
        "fee_amount": None,
        "source": source,
        "raw": _api_row(e) if source == "api" else _file_row(e),
    }


def _convert_lines(kraken: KrakenEmulator) -> list[tuple[LedgerEntry, str]]:
    """Each spend/receive line of the ledger with the coin it moved, by Tallybot's code (the scripted convert's)."""
    converts = {c.id: c for c in kraken.account.converts}
    lines = []
    for e in kraken.book.ledger:
        if e.type in CONVERT_LINES:
            c = converts[e.refid]
            lines.append((e, c.from_asset if e.type == "spend" else c.to_asset))
    return lines


def _legs_by_hand(kraken: KrakenEmulator) -> set[tuple[str, str, str, str, Decimal, datetime]]:
    """Each convert as the new code stores it: two legs, what was spent going out and what was received coming in."""
    legs = set()
    for e, asset in _convert_lines(kraken):
        c = next(c for c in kraken.account.converts if c.id == e.refid)
        amount, side = (c.from_amount, "out") if e.type == "spend" else (c.to_amount, "in")
        when = datetime.fromtimestamp(c.timestamp / 1000, tz=UTC)
        legs.add((f"convert:{e.ledger_id}", "convert", side, asset, amount, when))
    return legs


async def _rows(database: Database, integration_id: int) -> list[Transaction]:
    async with database.reader() as session:
        query = sa.select(Transaction).where(Transaction.integration_id == integration_id).order_by(Transaction.id)
        return list((await session.scalars(query)).all())


def _convert_rows(rows: list[Transaction]) -> set[tuple[str, str, str | None, str, Decimal, datetime]]:
    return {
        (r.natural_key, r.kind, r.side, r.asset, r.amount, r.occurred_at)
        for r in rows
        if (r.raw or {}).get("type") in CONVERT_LINES
    }


async def _exported(database: Database, fmt: ExportFormat, path: Path) -> tuple[ExportReport, list[dict[str, str]]]:
    report = await ExportService(database).export(1001, fmt=fmt, path=path)
    with path.open(encoding="utf-8", newline="") as file:
        return report, list(csv.DictReader(file))


async def test_a_kraken_account_synced_before_the_change_syncs_again_and_exports_each_convert_once(
    database_url: str, tmp_path: Path
) -> None:
    database = Database(database_url)
    async with KrakenEmulator(seed=160016, profile=PROFILE, listed_symbols=20, limits=LIFTED) as kraken:
        pool = ClientPool({"kraken": kraken.base_url})
        try:
            # The account is connected at head (the key sealed as today's code seals it), then the database is
            # taken back to 0015 to hold what the old fetcher stored: every convert line, as a ledger line.
            await upgrade_to_head(database)
            service = IntegrationService(database, Vault(KeyRing([generate_key()])))
            keys = kraken.create_demo_keys().read_only
            summary = await service.connect(
                1001,
                exchange_id="kraken",
                key_type="normal",
                account_name="Kraken-1",
                fields={"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)},
                options=AdvancedOptions(sync_from=(datetime.now(UTC) - timedelta(days=400)).date()),
            )
            await _migrate(database, "0015", down=True)
            lines = _convert_lines(kraken)
            old = [_old_ledger_line(summary.id, e, asset, source="api") for e, asset in lines]
            async with database.engine.execution_options(tallybot_write=True).begin() as connection:
                await connection.execute(sa.insert(Transaction), old)

            await upgrade_to_head(database)
            migrated = _convert_rows(await _rows(database, summary.id))
            result = await SyncService(database, service, pool).run(1001, summary.id)
            rows = await _rows(database, summary.id)
            _, tallybot = await _exported(database, "tallybot", tmp_path / "tallybot.csv")
            koinly_report, koinly = await _exported(database, "koinly", tmp_path / "koinly.csv")
        finally:
            await pool.close()
            await database.dispose()

    account = kraken.account
    assert len(lines) == 2 * len(account.converts) == 6
    legs = _legs_by_hand(kraken)
    assert migrated == legs, "the migration writes the new form"
    # The sync walked the whole ledger (no cursor yet) and met each convert line under the key it now has.
    every_record = len(account.trades) + len(account.deposits) + len(account.withdrawals) + len(account.transfers)
    every_record += len(account.rewards) + 2 * len(account.converts)
    assert result.new == every_record - 6
    assert len(rows) == every_record
    assert _convert_rows(rows) == legs
    assert not any(r.kind == "ledger" for r in rows)
    assert all(r.source == "api" for r in rows if r.kind == "convert")
    # The Tallybot CSV: one line a record, each convert leg once.
    assert len(tallybot) == every_record
    exported_legs = [line["natural_key"] for line in tallybot if line["kind"] == "convert"]
    assert sorted(exported_legs) == sorted(f"convert:{e.ledger_id}" for e, _ in lines)
    # Koinly's file: every record read, none left out as a ledger line of unknown meaning (an old spend/receive row
    # left beside its convert leg would be), and each convert's coins as much as the convert moved, once (whether its
    # legs are written apart or paired into one trade, a Kraken line's refid is in the Description; which column,
    # Sent or Received, is the export's own concern).
    for c in account.converts:
        moved: dict[str, Decimal] = {}
        for line in koinly:
            if line["Description"].endswith(f"#{c.id}"):
                for amount, currency in (("Sent Amount", "Sent Currency"), ("Received Amount", "Received Currency")):
                    if line[amount]:
                        moved[line[currency]] = moved.get(line[currency], Decimal(0)) + Decimal(line[amount])
        assert moved == {c.from_asset: c.from_amount, c.to_asset: c.to_amount}, c
    assert koinly_report.records == every_record
    assert "export.skip.unknown_ledger" not in koinly_report.skipped


async def test_an_uploaded_ledgers_csv_uploaded_again_adds_nothing_and_the_way_down_restores_the_old_rows(
    database_url: str,
) -> None:
    database = Database(database_url)
    async with KrakenEmulator(seed=160017, profile=PROFILE, listed_symbols=20, limits=LIFTED) as kraken:
        ledger_file = ledgers_csv(kraken.book)
        lines = _convert_lines(kraken)
        legs = _legs_by_hand(kraken)
        account = kraken.account
    try:
        await _migrate(database, "0015")
        async with database.engine.execution_options(tallybot_write=True).begin() as connection:
            await connection.execute(sa.insert(User).values(telegram_user_id=1001, timezone="UTC"))
            user_id = (await connection.execute(sa.select(User.id))).scalar_one()
            ids = []
            for exchange in ("kraken", "okx"):
                inserted = await connection.execute(
                    sa.insert(Integration)
                    .values(user_id=user_id, exchange_id=exchange, account_name=f"{exchange}-1")
                    .returning(Integration.id)
                )
                ids.append(inserted.scalar_one())
            kraken_id, okx_id = ids
            # An upload of ledgers.csv before the change: the convert lines as ledger lines, the first receive line
            # also under its new key already (a re-read by the new code before this migration ran): one copy stays.
            old = [_old_ledger_line(kraken_id, e, asset, source="file") for e, asset in lines]
            twin_line, twin_asset = next((e, a) for e, a in lines if e.type == "receive")
            twin = {
                **_old_ledger_line(kraken_id, twin_line, twin_asset, source="file"),
                "natural_key": f"convert:{twin_line.ledger_id}",
                "kind": "convert",
                "side": "in",
            }
            # Left alone: a Kraken ledger line of another type, and another exchange's line that says "spend".
            adjustment = {
                **old[0],
                "natural_key": "ledger:LADJ01-AAAAA-AAAAAA",
                "amount": Decimal("-0.5"),
                "raw": {**old[0]["raw"], "txid": "LADJ01-AAAAA-AAAAAA", "type": "adjustment"},
            }
            elsewhere = {**old[0], "integration_id": okx_id, "raw": {"type": "spend", "billId": "1"}}
            await connection.execute(sa.insert(Transaction), [*old, twin, adjustment, elsewhere])

        await _migrate(database, "0016")
        migrated = await _rows(database, kraken_id)
        report = await ImportService(database).import_file(1001, kraken_id, "ledgers.csv", ledger_file)
        uploaded_again = await _rows(database, kraken_id)

        await _migrate(database, "0015", down=True)
        restored = await _rows(database, kraken_id)
        okx_rows = await _rows(database, okx_id)
    finally:
        await database.dispose()

    def by_key(rows: list[Transaction]) -> dict[str, tuple[object, ...]]:
        return {r.natural_key: (r.kind, r.side, r.asset, r.amount, r.fee_amount, r.source) for r in rows}

    assert _convert_rows(migrated) == legs
    assert len(migrated) == 6 + 1, "the twin's old row is deleted, its new one kept; the adjustment stays"
    adjustment_kept = ("ledger", None, old[0]["asset"], Decimal("-0.5"), None, "file")
    assert by_key(migrated)["ledger:LADJ01-AAAAA-AAAAAA"] == adjustment_kept
    # The file again: every convert line met by its key; the rest of the ledger is new (not uploaded before).
    assert report.rejected_total == 0
    assert report.matched.get("key") == 6
    rest = len(account.trades) + len(account.deposits) + len(account.withdrawals) + len(account.transfers)
    assert report.new == rest + len(account.rewards)
    assert len(uploaded_again) == 6 + 1 + report.new
    assert _convert_rows(uploaded_again) == legs
    assert sum(r.kind == "convert" for r in uploaded_again) == 6
    # The way down: the old code's rows again (the twin's one copy back as its ledger line), the adjustment as it was.
    assert {key: value for key, value in by_key(restored).items() if value[0] == "ledger"} == {
        f"ledger:{e.ledger_id}": ("ledger", None, asset, e.amount, None, "file") for e, asset in lines
    } | {"ledger:LADJ01-AAAAA-AAAAAA": adjustment_kept}
    assert not any(r.kind == "convert" for r in restored)
    assert [(r.natural_key, r.kind, r.side, r.amount) for r in okx_rows] == [
        (old[0]["natural_key"], "ledger", None, old[0]["amount"])
    ]
