"""MEXC's own exports uploaded after a sync through the real MEXC fetcher against the emulator: each fill, deposit and
withdrawal the sync stored is recognised by content (the files carry no fill id), nothing is stored twice, and the
file's fills older than the API's one-month reach are added once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.imports import ImportService
from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from db.engine import Database
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository
from sandbox.exchanges import AccountProfile, MexcEmulator
from sandbox.exchanges.records import ScriptedAccount
from tests.files.samples import csv_bytes

PROFILE = AccountProfile(
    years=0.3, traded_markets=2, trades=40, deposits=5, withdrawals=3, converts=0, transfers=0, rewards=0
)
FILLS = ["Pairs", "Time", "Side", "Filled Price", "Executed Amount", "Total", "Fee", "Role"]
DEPOSITS = ["Status", "Time", "Crypto", "Network", "Deposit Amount", "TxID", "Progress"]
WITHDRAWALS = [
    "Status",
    "Time",
    "Crypto",
    "Network",
    "Request Amount",
    "Withdrawal Address",
    "TxID",
    "Trading Fee",
    "Settlement Amount",
    "Withdrawal Descriptions",
]


def seconds(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def fills_file(account: ScriptedAccount) -> bytes:
    """MEXC's trade history: one row per fill, `BASE_QUOTE` pairs, the fee without its coin."""
    rows = [FILLS]
    for t in account.trades:
        rows.append(
            [
                f"{t.base}_{t.quote}",
                seconds(t.timestamp),
                t.side.upper(),
                format(t.price, "f"),
                format(t.amount, "f"),
                format(t.cost, "f"),
                format(t.fee, "f"),
                "Maker" if t.is_maker else "Taker",
            ]
        )
    return csv_bytes(rows)


def deposits_file(account: ScriptedAccount) -> bytes:
    rows = [DEPOSITS]
    for d in account.deposits:
        rows.append(
            ["Credited Successfully", seconds(d.timestamp), d.asset, d.network, format(d.amount, "f"), d.tx_id, "1/1"]
        )
    return csv_bytes(rows)


def withdrawals_file(account: ScriptedAccount) -> bytes:
    rows = [WITHDRAWALS]
    for w in account.withdrawals:
        rows.append(
            [
                "Withdrawal Successful",
                seconds(w.timestamp),
                w.asset,
                w.network,
                format(w.amount, "f"),
                w.address,
                w.tx_id,
                format(w.fee, "f"),
                format(w.amount - w.fee, "f"),
                "",
            ]
        )
    return csv_bytes(rows)


async def fetched(emulator: MexcEmulator, endpoint: Endpoint, since: datetime) -> list[NormalizedRecord]:
    """One endpoint through the real fetcher, its markets learnt from the coins the account trades."""
    account = emulator.account
    pool = ClientPool({"mexc": emulator.base_url})
    records: list[NormalizedRecord] = []
    try:
        key = emulator.create_demo_keys().read_only
        async with pool.client("mexc", "files-test", key.ccxt_config()) as client:
            client.throttler.config["refillRate"] = 1e6
            fetcher = fetcher_for(get_profile("mexc"), client)
            fetcher.learn_assets({t.base for t in account.trades})
            pages = fetcher.fetch(endpoint, since=since, until=datetime.now(UTC), cursors={}, report=FetchReport())
            async for page in pages:
                records.extend(page.records)
    finally:
        await pool.close()
    return records


async def test_mexc_files_after_a_sync_meet_every_synced_record_and_add_only_older_fills(database: Database) -> None:
    async with MexcEmulator(seed=1717, profile=PROFILE, listed_symbols=10) as emulator:
        account = emulator.account
        start = datetime.now(UTC) - timedelta(days=200)
        wallet = await fetched(emulator, Endpoint.DEPOSITS, start) + await fetched(
            emulator, Endpoint.WITHDRAWALS, start
        )
        # The API lists only the last month of fills: the older ones are only in the file.
        trades_synced = await fetched(emulator, Endpoint.SPOT_TRADES, start)
        in_reach = len(emulator.trades_in_reach)
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(1717)
        integration = await IntegrationRepository(session).add(user_id=owner.id, exchange_id="mexc", account_name="M")
        integration_id = integration.id
        api_count = await TransactionRepository(session).insert_missing(
            [r.to_row(integration_id, "api") for r in [*wallet, *trades_synced]]
        )
    assert len(wallet) == len(account.deposits) + len(account.withdrawals)
    assert 0 < len(trades_synced) == in_reach < len(account.trades)

    service = ImportService(database)
    fills = await service.import_file(1717, integration_id, "MEXC trade history.csv", fills_file(account))
    deposits = await service.import_file(1717, integration_id, "Deposit History.csv", deposits_file(account))
    withdrawals = await service.import_file(1717, integration_id, "Withdrawal History.csv", withdrawals_file(account))

    assert (fills.format_name, fills.rejected_total) == ("mexc-fills", 0)
    assert (fills.already_known, fills.new) == (len(trades_synced), len(account.trades) - len(trades_synced))
    assert (deposits.format_name, deposits.already_known, deposits.new) == ("mexc-deposits", len(account.deposits), 0)
    assert (withdrawals.format_name, withdrawals.already_known, withdrawals.new) == (
        "mexc-withdrawals",
        len(account.withdrawals),
        0,
    )
    async with database.reader() as session:
        rows = list(await TransactionRepository(session).for_integration(integration_id))
    assert len(rows) == api_count + len(account.trades) - len(trades_synced)
    assert Counter((r.asset, r.side, r.amount, int(r.occurred_at.timestamp())) for r in rows if r.kind == "trade") == (
        Counter((t.base, t.side, t.amount, t.timestamp // 1000) for t in account.trades)
    )
