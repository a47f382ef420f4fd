"""Kraken's own exports uploaded after a sync through the real Kraken fetcher against the emulator: every record the
sync stored is recognised by Kraken's id, nothing is stored twice, and the file adds only what the sync left out."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from bot.imports import ImportService
from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from db.engine import Database
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository
from sandbox.exchanges import AccountProfile, KrakenEmulator
from sandbox.exchanges.kraken import KrakenLimits
from sandbox.exchanges.kraken_book import KrakenBook, trade_fee
from tests.files.samples import csv_bytes

PROFILE = AccountProfile(
    years=1.0, traded_markets=4, trades=30, deposits=3, withdrawals=2, converts=2, transfers=2, rewards=3
)
LEDGER_HEADER = ["txid", "refid", "time", "type", "subtype", "aclass", "asset", "amount", "fee", "balance"]
TRADES_HEADER = [
    "txid",
    "ordertxid",
    "pair",
    "time",
    "type",
    "ordertype",
    "price",
    "cost",
    "fee",
    "vol",
    "margin",
    "misc",
    "ledgers",
]


def kraken_time(ms: int) -> str:
    """Kraken's export time: UTC with four decimals of the second."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}0"


def ledgers_csv(book: KrakenBook) -> bytes:
    rows = [LEDGER_HEADER]
    for e in book.ledger:
        rows.append(
            [
                e.ledger_id,
                e.refid,
                kraken_time(e.time),
                e.type,
                e.subtype,
                "currency",
                e.asset,
                format(e.amount, "f"),
                format(e.fee, "f"),
                format(e.balance, "f"),
            ]
        )
    return csv_bytes(rows)


def trades_csv(kraken: KrakenEmulator) -> bytes:
    rows = [TRADES_HEADER]
    for t in kraken.account.trades:
        rows.append(
            [
                t.id,
                t.order_id,
                t.symbol,
                kraken_time(t.timestamp),
                t.side,
                "limit",
                format(t.price, "f"),
                format(t.cost, "f"),
                format(trade_fee(t), "f"),
                format(t.amount, "f"),
                "0.00000000",
                "",
                "",
            ]
        )
    return csv_bytes(rows)


async def synced(kraken: KrakenEmulator, endpoints: tuple[Endpoint, ...]) -> list[NormalizedRecord]:
    key = kraken.create_demo_keys().read_only
    pool = ClientPool({"kraken": kraken.base_url})
    records: list[NormalizedRecord] = []
    try:
        async with pool.client("kraken", "credential-1", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e6
            fetcher = fetcher_for(get_profile("kraken"), client)
            for endpoint in endpoints:
                pages = fetcher.fetch(
                    endpoint,
                    since=datetime(2020, 1, 1, tzinfo=UTC),
                    until=datetime.now(UTC),
                    cursors={},
                    report=FetchReport(),
                )
                async for page in pages:
                    records.extend(page.records)
    finally:
        await pool.close()
    return records


async def stored_after_sync(database: Database, user: int, records: list[NormalizedRecord]) -> tuple[int, int]:
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(user)
        integration = await IntegrationRepository(session).add(user_id=owner.id, exchange_id="kraken", account_name="K")
        count = await TransactionRepository(session).insert_missing([r.to_row(integration.id, "api") for r in records])
        return integration.id, count


async def test_ledgers_and_trades_files_after_a_full_sync_add_nothing(database: Database) -> None:
    limits = KrakenLimits(max_counter=1e9, decay_per_second=1e9)
    async with KrakenEmulator(seed=1713, profile=PROFILE, listed_symbols=20, limits=limits) as kraken:
        records = await synced(kraken, (Endpoint.SPOT_TRADES, Endpoint.LEDGER))
        ledger, trades = ledgers_csv(kraken.book), trades_csv(kraken)
        account = kraken.account
    integration_id, api_count = await stored_after_sync(database, 1713, records)
    # Every record of the scripted account: a trade from TradesHistory, and each ledger line but the trade legs.
    non_trade_lines = len(account.deposits) + len(account.withdrawals) + len(account.transfers)
    non_trade_lines += len(account.rewards) + 2 * len(account.converts)
    assert api_count == len(account.trades) + non_trade_lines

    service = ImportService(database)
    from_ledger = await service.import_file(1713, integration_id, "ledgers.csv", ledger)
    from_trades = await service.import_file(1713, integration_id, "trades.csv", trades)

    assert (from_ledger.format_name, from_ledger.rejected_total, from_ledger.new) == ("kraken-ledgers", 0, 0)
    assert from_ledger.already_known == api_count  # each trade's two lines are one trade, met by its txid
    assert from_ledger.matched == {"key": api_count}
    assert (from_trades.format_name, from_trades.rejected_total, from_trades.new) == ("kraken-trades", 0, 0)
    assert from_trades.already_known == len(account.trades)
    async with database.reader() as session:
        rows = list(await TransactionRepository(session).for_integration(integration_id))
    assert len(rows) == api_count


async def test_a_ledger_upload_after_syncing_the_trades_adds_the_rest_and_each_trade_once(database: Database) -> None:
    limits = KrakenLimits(max_counter=1e9, decay_per_second=1e9)
    async with KrakenEmulator(seed=1714, profile=PROFILE, listed_symbols=20, limits=limits) as kraken:
        records = await synced(kraken, (Endpoint.SPOT_TRADES,))
        ledger = ledgers_csv(kraken.book)
        account = kraken.account
    integration_id, api_count = await stored_after_sync(database, 1714, records)
    assert api_count == len(account.trades)

    report = await ImportService(database).import_file(1714, integration_id, "ledgers.csv", ledger)

    assert (report.already_known, report.rejected_total) == (len(account.trades), 0)
    assert report.new == len(account.deposits) + len(account.withdrawals) + len(account.transfers) + len(
        account.rewards
    ) + 2 * len(account.converts)
    async with database.reader() as session:
        rows = list(await TransactionRepository(session).for_integration(integration_id))
    assert Counter(r.kind for r in rows) == Counter(
        {
            "trade": len(account.trades),
            "deposit": len(account.deposits),
            "withdrawal": len(account.withdrawals),
            "transfer": len(account.transfers),
            "reward": len(account.rewards),
            "convert": 2 * len(account.converts),
        }
    )
    # The withdrawals as Kraken's ledger states them: the amount sent, and the fee apart.
    assert {(r.asset, r.amount, r.fee_amount) for r in rows if r.kind == "withdrawal"} == {
        (w.asset, w.amount, w.fee) for w in account.withdrawals
    }
