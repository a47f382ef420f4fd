"""KuCoin's own exports uploaded after a sync through the real KuCoin fetcher against the emulator: each fill,
deposit and withdrawal the sync stored is recognised by content (the files carry no tradeId), nothing is stored
twice, and the file's fills before the sync's start are added once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

from bot.imports import ImportService
from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from db.engine import Database
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository
from sandbox.exchanges import AccountProfile, KucoinEmulator
from sandbox.exchanges.records import ScriptedAccount
from tests.files.samples import csv_bytes

PROFILE = AccountProfile(
    years=0.3, traded_markets=2, trades=40, deposits=5, withdrawals=3, converts=0, transfers=0, rewards=0
)
SINGAPORE = timezone(timedelta(hours=8))
FILLS_V3 = [
    "tradeCreatedAt",
    "orderId",
    "symbol",
    "side",
    "price",
    "size",
    "funds",
    "fee",
    "liquidity",
    "feeCurrency",
    "orderType",
]
WALLET = ["UID", "Account Type", "Time(UTC)", "Coin", "Amount", "Fee", "Hash", "Transfer Network", "Status", "Remarks"]


def seconds(ms: int, zone: timezone = UTC) -> str:
    return datetime.fromtimestamp(ms // 1000, zone).strftime("%Y-%m-%d %H:%M:%S")


def fills_file(account: ScriptedAccount) -> bytes:
    """KuCoin's older trade export: one row per fill, in Singapore time."""
    rows = [FILLS_V3]
    for t in account.trades:
        rows.append(
            [
                seconds(t.timestamp, SINGAPORE),
                t.order_id,
                t.symbol,
                t.side,
                format(t.price, "f"),
                format(t.amount, "f"),
                format(t.cost, "f"),
                format(t.fee, "f"),
                "maker" if t.is_maker else "taker",
                t.fee_asset,
                "limit",
            ]
        )
    return csv_bytes(rows)


def deposits_file(account: ScriptedAccount) -> bytes:
    rows = [[*WALLET, "Deposit Address"]]
    for d in account.deposits:
        rows.append(
            [
                "1",
                "mainAccount",
                seconds(d.timestamp),
                d.asset,
                format(d.amount, "f"),
                "0",
                d.tx_id,
                d.network,
                "SUCCESS",
                "",
                d.address,
            ]
        )
    return csv_bytes(rows)


def withdrawals_file(account: ScriptedAccount) -> bytes:
    rows = [[*WALLET, "Withdrawal Address/Account"]]
    for w in account.withdrawals:
        rows.append(
            [
                "1",
                "mainAccount",
                seconds(w.timestamp),
                w.asset,
                format(w.amount, "f"),
                format(w.fee, "f"),
                w.tx_id,
                w.network,
                "SUCCESS",
                "",
                w.address,
            ]
        )
    return csv_bytes(rows)


async def fetched(emulator: KucoinEmulator, endpoint: Endpoint, since: datetime) -> list[NormalizedRecord]:
    """One endpoint through the real fetcher, its markets discovered from the coins the account holds and moved (as
    the sync engine lets it learn them from deposits and withdrawals)."""
    account = emulator.account
    pool = ClientPool({"kucoin": emulator.base_url})
    records: list[NormalizedRecord] = []
    try:
        key = emulator.create_demo_keys().read_only
        async with pool.client("kucoin", "files-test", key.ccxt_config()) as client:
            client.throttler.config["refillRate"] = 1e6
            fetcher = fetcher_for(get_profile("kucoin"), client)
            fetcher.learn_assets({d.asset for d in account.deposits} | {w.asset for w in account.withdrawals})
            pages = fetcher.fetch(endpoint, since=since, until=datetime.now(UTC), cursors={}, report=FetchReport())
            async for page in pages:
                records.extend(page.records)
    finally:
        await pool.close()
    return records


async def test_kucoin_files_after_a_sync_meet_every_synced_record_and_add_only_older_fills(database: Database) -> None:
    async with KucoinEmulator(seed=1716, profile=PROFILE, listed_symbols=10) as emulator:
        account = emulator.account
        # The sync starts in the middle of the trade history: the older half is only in the file.
        middle = sorted(t.timestamp for t in account.trades)[len(account.trades) // 2]
        since = datetime.fromtimestamp(middle / 1000, UTC)
        start = datetime.now(UTC) - timedelta(days=200)
        wallet = await fetched(emulator, Endpoint.DEPOSITS, start) + await fetched(
            emulator, Endpoint.WITHDRAWALS, start
        )
        trades_synced = await fetched(emulator, Endpoint.SPOT_TRADES, since)
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(1716)
        integration = await IntegrationRepository(session).add(user_id=owner.id, exchange_id="kucoin", account_name="K")
        integration_id = integration.id
        api_count = await TransactionRepository(session).insert_missing(
            [r.to_row(integration_id, "api") for r in [*wallet, *trades_synced]]
        )
    assert len(wallet) == len(account.deposits) + len(account.withdrawals)
    assert 0 < len(trades_synced) < len(account.trades)

    service = ImportService(database)
    fills = await service.import_file(1716, integration_id, "KuCoin-trades.csv", fills_file(account))
    deposits = await service.import_file(1716, integration_id, "Deposit History.csv", deposits_file(account))
    withdrawals = await service.import_file(1716, integration_id, "Withdrawal Record.csv", withdrawals_file(account))

    assert (fills.format_name, fills.rejected_total) == ("kucoin-fills-v3", 0)
    assert (fills.already_known, fills.new) == (len(trades_synced), len(account.trades) - len(trades_synced))
    assert (deposits.format_name, deposits.already_known, deposits.new) == ("kucoin-deposits", len(account.deposits), 0)
    assert (withdrawals.format_name, withdrawals.already_known, withdrawals.new) == (
        "kucoin-withdrawals",
        len(account.withdrawals),
        0,
    )
    async with database.reader() as session:
        rows = list(await TransactionRepository(session).for_integration(integration_id))
    assert len(rows) == api_count + len(account.trades) - len(trades_synced)
    assert Counter((r.asset, r.side, r.amount, int(r.occurred_at.timestamp())) for r in rows if r.kind == "trade") == (
        Counter((t.base, t.side, t.amount, t.timestamp // 1000) for t in account.trades)
    )
