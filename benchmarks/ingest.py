"""Ingestion: normalized records upserted through the storage layer, against raw drivers in the same run.

    python -m benchmarks.ingest [--quick] [--json PATH] [--rounds N] [--profile]

100,000 normalized records (spot trades of a scripted account, made by the Binance fetcher's own normalizer) are
stored in page-sized batches of 1,000 — one transaction per batch, as the sync engine commits a page — through
`TransactionRepository.insert_missing`, the product's only write path for records; then the same 100,000 again
(all already known, every row a conflict). The baselines write the same rows into the same schema (made by the
same migrations, with the product's SQLite pragmas) in the same batches and transactions:

- SQLite: ``sqlite3.executemany`` of ``INSERT … ON CONFLICT (integration_id, natural_key) DO NOTHING``, with the
  conversion to SQLite values (amounts as text, naive-UTC time text, raw as JSON) counted in its time, because
  the storage layer does that work too;
- PostgreSQL: asyncpg ``copy_records_to_table`` (new rows; COPY cannot skip conflicts, so for known rows it copies
  into a temporary table and inserts from there with ON CONFLICT DO NOTHING) and asyncpg ``executemany`` of the
  same INSERT … ON CONFLICT DO NOTHING.

Each path gets its own fresh database per round; the paths alternate within a round, and rounds repeat (default 3)
so that the machine's noise shows as spread. The ratio is the storage layer's rate over the raw rate (≥ 0.5 is the
target); the median over rounds is reported with the range.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarks.common import Report, asyncpg_dsn, command_line, postgres_database, rounded
from connectors.fetchers.binance.trades import trade_record
from connectors.fetchers.discovery import SpotMarket
from connectors.records import NormalizedRecord
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models import Integration, Transaction, User
from db.repositories import TransactionRepository
from db.repositories.upsert import insert_ignoring_conflicts
from sandbox.exchanges import AccountProfile, ScriptedAccount, TradeRecord, generate_account
from sandbox.exchanges.records import fixed8

SEED = 20261122
BATCH = 1000  # a Binance myTrades page
FULL_RECORDS = 100_000
QUICK_RECORDS = 5_000
COLUMNS = (
    "integration_id",
    "natural_key",
    "kind",
    "occurred_at",
    "exchange_tx_id",
    "market",
    "side",
    "asset",
    "amount",
    "quote_asset",
    "quote_amount",
    "price",
    "fee_asset",
    "fee_amount",
    "source",
    "raw",
    "created_at",
)
DECIMALS = frozenset({"amount", "quote_amount", "price", "fee_amount"})
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DATETIME on SQLite
PREVIOUS = "insert_missing before §2 (ORM insert)"

Row = dict[str, Any]


# ------------------------------------------------------------------------------------------------ the records


def binance_row(trade: TradeRecord) -> dict[str, Any]:
    """The myTrades JSON object Binance (and the emulator) sends for a trade."""
    return {
        "symbol": trade.symbol,
        "id": int(trade.id),
        "orderId": int(trade.order_id),
        "orderListId": -1,
        "price": fixed8(trade.price),
        "qty": fixed8(trade.amount),
        "quoteQty": fixed8(trade.cost),
        "commission": fixed8(trade.fee),
        "commissionAsset": trade.fee_asset,
        "time": trade.timestamp,
        "isBuyer": trade.side == "buy",
        "isMaker": trade.is_maker,
        "isBestMatch": True,
    }


def make_records(count: int) -> list[NormalizedRecord]:
    profile = AccountProfile(
        years=3.0, traded_markets=40, trades=count, deposits=0, withdrawals=0, converts=0, transfers=0, rewards=0
    )
    account: ScriptedAccount = generate_account(SEED, int(time.time() * 1000), profile=profile, listed_markets=200)
    markets = {
        s: SpotMarket(s, m.base, m.quote, f"{m.base}/{m.quote}", m.base, m.quote)
        for s in account.traded_symbols
        for m in [account.market(s)]
    }
    return [trade_record(markets[t.symbol], binance_row(t), str) for t in account.trades]


def batches(rows: Sequence[Row]) -> list[list[Row]]:
    return [list(rows[i : i + BATCH]) for i in range(0, len(rows), BATCH)]


# ------------------------------------------------------------------------------------------------ the product


async def prepare(database: Database) -> int:
    """Migrate and add the one user and integration the records belong to; its id."""
    await upgrade_to_head(database)
    async with database.writer() as session:
        user = User(telegram_user_id=1)
        session.add(user)
        await session.flush()
        integration = Integration(user_id=user.id, exchange_id="binance", account_name="Binance-1")
        session.add(integration)
        await session.flush()
        return integration.id


async def through_repository(database: Database, pages: Sequence[Sequence[Row]]) -> int:
    new = 0
    for page in pages:
        async with database.writer() as session:
            new += await TransactionRepository(session).insert_missing(page)
    return new


# ------------------------------------------------------------------------------------------------ the reference


async def previous_insert_missing(session: AsyncSession, rows: Sequence[Row]) -> int:
    """`TransactionRepository.insert_missing` as it was before this benchmark (an insert on the ORM entity, every
    row bound even when stored), kept as a measured reference for docs/BENCHMARKS.md §2."""
    if not rows:
        return 0
    statement = insert_ignoring_conflicts(session, Transaction, ["integration_id", "natural_key"]).returning(
        Transaction.id
    )
    result = await session.execute(statement, list(rows))
    return len(result.all())


async def through_previous(database: Database, pages: Sequence[Sequence[Row]]) -> int:
    new = 0
    for page in pages:
        async with database.writer() as session:
            new += await previous_insert_missing(session, page)
    return new


# ------------------------------------------------------------------------------------------------ SQLite raw


def sqlite_insert() -> str:
    names = ", ".join(COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    return (
        f"INSERT INTO transactions ({names}) VALUES ({marks}) "  # noqa: S608  # our own column names
        "ON CONFLICT (integration_id, natural_key) DO NOTHING"
    )


def sqlite_values(row: Row, created: str) -> tuple[Any, ...]:
    values: list[Any] = []
    for name in COLUMNS:
        value = row.get(name)
        if name == "created_at":
            value = created
        elif name == "occurred_at" and value is not None:
            value = value.astimezone(UTC).replace(tzinfo=None).strftime(SQLITE_TIME)
        elif name in DECIMALS and value is not None:
            value = format(value, "f")
        elif name == "raw" and value is not None:
            value = json.dumps(value)
        values.append(value)
    return tuple(values)


def sqlite_connect(path: Path) -> sqlite3.Connection:
    """A connection configured as db/engine.py configures the product's."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def raw_sqlite(path: Path, pages: Sequence[Sequence[Row]]) -> int:
    connection = sqlite_connect(path)
    statement = sqlite_insert()
    before = connection.total_changes
    try:
        for page in pages:
            created = datetime.now(UTC).replace(tzinfo=None).strftime(SQLITE_TIME)
            values = [sqlite_values(row, created) for row in page]
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(statement, values)
            connection.execute("COMMIT")
        return connection.total_changes - before
    finally:
        connection.close()


# ------------------------------------------------------------------------------------------------ PostgreSQL raw


def pg_values(row: Row, created: datetime) -> tuple[Any, ...]:
    values: list[Any] = []
    for name in COLUMNS:
        value = row.get(name)
        if name == "created_at":
            value = created
        elif name == "raw" and value is not None:
            value = json.dumps(value)
        values.append(value)
    return tuple(values)


def pg_insert() -> str:
    names = ", ".join(COLUMNS)
    marks = ", ".join(f"${i}" for i in range(1, len(COLUMNS) + 1))
    return (
        f"INSERT INTO transactions ({names}) VALUES ({marks}) "  # noqa: S608  # our own column names
        "ON CONFLICT (integration_id, natural_key) DO NOTHING"
    )


async def count_rows(connection: Any, integration_id: int) -> int:
    found = await connection.fetchval("SELECT count(*) FROM transactions WHERE integration_id = $1", integration_id)
    return int(found)


async def raw_pg_executemany(url: str, pages: Sequence[Sequence[Row]], integration_id: int) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        before = await count_rows(connection, integration_id)
        statement = pg_insert()
        for page in pages:
            created = datetime.now(UTC)
            async with connection.transaction():
                await connection.executemany(statement, [pg_values(row, created) for row in page])
        return await count_rows(connection, integration_id) - before
    finally:
        await connection.close()


async def raw_pg_copy(url: str, pages: Sequence[Sequence[Row]], integration_id: int) -> int:
    """COPY straight into the table while no row can conflict; else through a temporary table and ON CONFLICT."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        before = await count_rows(connection, integration_id)
        names = ", ".join(COLUMNS)
        for page in pages:
            created = datetime.now(UTC)
            records = [pg_values(row, created) for row in page]
            async with connection.transaction():
                if before == 0:
                    await connection.copy_records_to_table("transactions", records=records, columns=list(COLUMNS))
                else:
                    await connection.execute(
                        "CREATE TEMPORARY TABLE staged (LIKE transactions INCLUDING DEFAULTS) ON COMMIT DROP"
                    )
                    await connection.copy_records_to_table("staged", records=records, columns=list(COLUMNS))
                    await connection.execute(
                        f"INSERT INTO transactions ({names}) SELECT {names} FROM staged "  # noqa: S608
                        "ON CONFLICT (integration_id, natural_key) DO NOTHING"
                    )
        return await count_rows(connection, integration_id) - before
    finally:
        await connection.close()


# ------------------------------------------------------------------------------------------------ measuring


@dataclass
class Timing:
    seconds: float
    stored: int


async def timed(work: Callable[[], Awaitable[int]]) -> Timing:
    started = time.perf_counter()
    stored = await work()
    return Timing(time.perf_counter() - started, stored)


@dataclass
class Pass:
    """One path's two passes (new rows, then the same rows again) in one round."""

    new: Timing
    known: Timing


async def sqlite_round(directory: Path, pages: Sequence[Sequence[Row]], rows: int) -> dict[str, Pass]:
    product = Database(f"sqlite+aiosqlite:///{directory / 'product.sqlite3'}")
    previous = Database(f"sqlite+aiosqlite:///{directory / 'previous.sqlite3'}")
    raw_path = directory / "raw.sqlite3"
    raw_schema = Database(f"sqlite+aiosqlite:///{raw_path}")
    try:
        iid = await prepare(product)
        raw_iid = await prepare(raw_schema)
        previous_iid = await prepare(previous)
        await raw_schema.dispose()
        if not iid == raw_iid == previous_iid == 1:  # the rows carry integration id 1 into every database
            raise RuntimeError(f"unexpected integration ids {iid}, {raw_iid}, {previous_iid}")
        results: dict[str, Pass] = {}
        new_raw = await timed(lambda: asyncio.to_thread(raw_sqlite, raw_path, pages))
        new_product = await timed(lambda: through_repository(product, pages))
        known_raw = await timed(lambda: asyncio.to_thread(raw_sqlite, raw_path, pages))
        known_product = await timed(lambda: through_repository(product, pages))
        new_previous = await timed(lambda: through_previous(previous, pages))
        known_previous = await timed(lambda: through_previous(previous, pages))
        results["raw sqlite3.executemany"] = Pass(new_raw, known_raw)
        results["insert_missing"] = Pass(new_product, known_product)
        results[PREVIOUS] = Pass(new_previous, known_previous)
        check_stored(results, rows)
        compare_sqlite(directory / "product.sqlite3", raw_path)
        compare_sqlite(directory / "product.sqlite3", directory / "previous.sqlite3")
        return results
    finally:
        await product.dispose()
        await previous.dispose()


def compare_sqlite(product: Path, raw: Path) -> None:
    """Both paths must store the very same values (ids and creation times aside)."""
    columns = ", ".join(c for c in COLUMNS if c != "created_at")
    query = f"SELECT {columns} FROM transactions ORDER BY natural_key"  # noqa: S608  # our own column names
    with sqlite3.connect(product) as a, sqlite3.connect(raw) as b:
        if a.execute(query).fetchall() != b.execute(query).fetchall():
            raise RuntimeError("the raw baseline stored different values from the storage layer")


def check_stored(results: dict[str, Pass], rows: int) -> None:
    for name, outcome in results.items():
        if outcome.new.stored != rows or outcome.known.stored != 0:
            raise RuntimeError(
                f"{name} stored {outcome.new.stored} then {outcome.known.stored}, expected {rows} then 0"
            )


async def pg_round(pages: Sequence[Sequence[Row]], rows: int) -> dict[str, Pass] | None:
    async with (
        postgres_database() as product_url,
        postgres_database() as copy_url,
        postgres_database() as many_url,
        postgres_database() as previous_url,
    ):
        if product_url is None or copy_url is None or many_url is None or previous_url is None:
            return None
        product = Database(product_url)
        previous = Database(previous_url)
        try:
            iid = await prepare(product)
            if await prepare(previous) != iid:
                raise RuntimeError("integration ids differ between the databases")
            for url in (copy_url, many_url):
                schema = Database(url)
                if await prepare(schema) != iid or iid != 1:
                    raise RuntimeError("integration ids differ between the databases")
                await schema.dispose()
            new_copy = await timed(lambda: raw_pg_copy(copy_url, pages, iid))
            new_many = await timed(lambda: raw_pg_executemany(many_url, pages, iid))
            new_product = await timed(lambda: through_repository(product, pages))
            known_copy = await timed(lambda: raw_pg_copy(copy_url, pages, iid))
            known_many = await timed(lambda: raw_pg_executemany(many_url, pages, iid))
            known_product = await timed(lambda: through_repository(product, pages))
            new_previous = await timed(lambda: through_previous(previous, pages))
            known_previous = await timed(lambda: through_previous(previous, pages))
        finally:
            await product.dispose()
            await previous.dispose()
        results = {
            "raw asyncpg copy_records_to_table": Pass(new_copy, known_copy),
            "raw asyncpg executemany": Pass(new_many, known_many),
            "insert_missing": Pass(new_product, known_product),
            PREVIOUS: Pass(new_previous, known_previous),
        }
        check_stored(results, rows)
        return results


def summarise(
    report: Report, backend: str, rounds: list[dict[str, Pass]], rows: int, baselines: Sequence[str]
) -> dict[str, Any]:
    figures: dict[str, Any] = {"rounds": len(rounds), "rows": rows}
    report.section(f"{backend}: {rows:,} records in batches of {BATCH:,}, {len(rounds)} round(s)")
    for phase in ("new", "known"):
        label = "new rows" if phase == "new" else "the same rows again (all known)"
        report.say(f"  {label}:")
        phase_figures: dict[str, Any] = {}
        for name in ["insert_missing", PREVIOUS, *baselines]:
            seconds = [getattr(r[name], phase).seconds for r in rounds]
            rate = rows / statistics.median(seconds)
            phase_figures[name] = {"rows_per_second": round(rate), "seconds": [rounded(s, 3) for s in seconds]}
            report.say(f"    {name:<36} {rate:>10,.0f} rows/s  (seconds per round: {fmt(seconds)})")
        for path, prefix in (("insert_missing", "ratio"), (PREVIOUS, "previous_ratio")):
            for baseline in baselines:
                ratios = [getattr(r[baseline], phase).seconds / getattr(r[path], phase).seconds for r in rounds]
                median = statistics.median(ratios)
                phase_figures[f"{prefix}_vs_{key(baseline)}"] = rounded(median, 3)
                phase_figures[f"{prefix}_vs_{key(baseline)}_range"] = [rounded(min(ratios), 3), rounded(max(ratios), 3)]
                report.say(f"    ratio {path} / {baseline}: {median:.2f} (rounds {min(ratios):.2f}–{max(ratios):.2f})")
        figures[phase] = phase_figures
    return figures


def fmt(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def key(name: str) -> str:
    return name.split()[-1].split(".")[-1]


async def profile_repository(pages: Sequence[Sequence[Row]]) -> str:
    """cProfile of insert_missing on SQLite, both passes: where its time goes (top functions by own time)."""
    with tempfile.TemporaryDirectory(prefix="tallybot-bench-") as directory:
        database = Database(f"sqlite+aiosqlite:///{Path(directory) / 'profile.sqlite3'}")
        try:
            await prepare(database)
            profiler = cProfile.Profile()
            profiler.enable()
            await through_repository(database, pages)
            await through_repository(database, pages)
            profiler.disable()
        finally:
            await database.dispose()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
    return out.getvalue()


async def measure(count: int, rounds: int, profile: bool) -> dict[str, Any]:
    records = make_records(count)
    iid = 1  # prepare() makes integration 1 in every fresh database
    rows = [record.to_row(iid, "api") for record in records]
    pages = batches(rows)
    sqlite_rounds: list[dict[str, Pass]] = []
    pg_rounds: list[dict[str, Pass]] = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="tallybot-bench-") as directory:
            sqlite_rounds.append(await sqlite_round(Path(directory), pages, len(rows)))
        pg = await pg_round(pages, len(rows))
        if pg is not None:
            pg_rounds.append(pg)
    profiled = await profile_repository(pages) if profile else ""
    return {"rows": len(rows), "sqlite": sqlite_rounds, "postgresql": pg_rounds, "profile": profiled}


def build_report(data: dict[str, Any], command: str, quick: bool) -> Report:
    report = Report("Ingestion: insert_missing against raw drivers", command, quick)
    rows = data["rows"]
    report.figures["sqlite"] = summarise(report, "SQLite", data["sqlite"], rows, ["raw sqlite3.executemany"])
    sqlite = report.figures["sqlite"]
    pg_baselines = ["raw asyncpg copy_records_to_table", "raw asyncpg executemany"]
    if data["postgresql"]:
        report.figures["postgresql"] = summarise(report, "PostgreSQL", data["postgresql"], rows, pg_baselines)
    else:
        report.section("PostgreSQL: not reachable, skipped")
        report.figures["postgresql"] = None
    report.section("Targets (≥ 0.5 of the raw rate)")
    for phase in ("new", "known"):
        value = sqlite[phase]["ratio_vs_executemany"]
        report.target(f"sqlite_{phase}", value >= 0.5, f"SQLite {phase}: {value:.2f} of sqlite3.executemany")
    pg = report.figures["postgresql"]
    if pg is not None:
        for phase in ("new", "known"):
            for baseline in pg_baselines:
                value = pg[phase][f"ratio_vs_{key(baseline)}"]
                short = baseline.split()[-1]
                report.target(
                    f"postgresql_{phase}_{short}", value >= 0.5, f"PostgreSQL {phase}: {value:.2f} of {short}"
                )
    if data["profile"]:
        report.section("Profile of insert_missing on SQLite (both passes, by own time)")
        report.lines.extend("  " + line for line in data["profile"].strip().splitlines())
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingestion: insert_missing against raw sqlite3 and asyncpg.")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RECORDS:,} records and one round")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of every path (default 3; 1 with --quick)")
    parser.add_argument("--profile", action="store_true", help="also profile insert_missing on SQLite")
    options = parser.parse_args(argv)
    count = QUICK_RECORDS if options.quick else FULL_RECORDS
    rounds = options.rounds or (1 if options.quick else 3)
    started = time.monotonic()
    data = asyncio.run(measure(count, rounds, options.profile))
    report = build_report(data, command_line("benchmarks.ingest", argv), options.quick)
    report.figures["wall_seconds"] = rounded(time.monotonic() - started, 1)
    report.emit(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
