"""HTX's Chinese trade history uploaded after a sync through the real HTX fetcher against the emulator: each match
result the sync stored is recognised by content (the file carries no match id), nothing is stored twice, and the
file's fills older than the API's 120 days are added once."""

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
from sandbox.exchanges import AccountProfile, HtxEmulator, HtxLimits
from sandbox.exchanges.records import ScriptedAccount
from tests.files.samples import csv_bytes

PROFILE = AccountProfile(
    years=0.6, traded_markets=2, trades=40, deposits=2, withdrawals=1, converts=0, transfers=0, rewards=0
)
BEIJING = timezone(timedelta(hours=8))
HEADER = ["时间", "交易类型", "交易对", "方向", "价格", "数量", "成交额", "手续费"]


def trades_file(account: ScriptedAccount) -> bytes:
    """The trade history as the source's example writes it: UTC+8 times, BASE/QUOTE, the fee's coin in its cell."""
    rows = [HEADER]
    for t in account.trades:
        rows.append(
            [
                datetime.fromtimestamp(t.timestamp // 1000, BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                "币币交易",
                f"{t.base}/{t.quote}",
                "买入" if t.side == "buy" else "卖出",
                format(t.price, "f"),
                format(t.amount, "f"),
                format(t.cost, "f"),
                f"{format(t.fee, 'f')}{t.fee_asset}",
            ]
        )
    return csv_bytes(rows)


async def synced_trades(emulator: HtxEmulator, since: datetime) -> list[NormalizedRecord]:
    pool = ClientPool({"htx": emulator.base_url})
    records: list[NormalizedRecord] = []
    try:
        key = emulator.create_demo_keys().read_only
        async with pool.client("htx", "files-test", key.ccxt_config()) as client:
            client.throttler.config["refillRate"] = 1e6
            fetcher = fetcher_for(get_profile("htx"), client)
            fetcher.learn_assets({t.base for t in emulator.account.trades})
            report = FetchReport()
            async for page in fetcher.fetch(
                Endpoint.SPOT_TRADES, since=since, until=datetime.now(UTC), cursors={}, report=report
            ):
                records.extend(page.records)
    finally:
        await pool.close()
    return records


async def test_the_htx_trade_file_after_a_sync_meets_every_synced_fill_and_adds_only_older_ones(
    database: Database,
) -> None:
    # The fetcher's pacing is not under test here: the emulator's window is widened so the walk never waits.
    limits = HtxLimits(requests=10_000)
    async with HtxEmulator(seed=1718, profile=PROFILE, listed_symbols=10, limits=limits) as emulator:
        account = emulator.account
        synced = await synced_trades(emulator, datetime.now(UTC) - timedelta(days=365))
        in_reach = len(emulator.trades_in_reach)
    assert 0 < len(synced) == in_reach < len(account.trades)
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(1718)
        integration = await IntegrationRepository(session).add(user_id=owner.id, exchange_id="htx", account_name="H")
        integration_id = integration.id
        api_count = await TransactionRepository(session).insert_missing(
            [r.to_row(integration_id, "api") for r in synced]
        )

    result = await ImportService(database).import_file(1718, integration_id, "huobi records.csv", trades_file(account))

    assert (result.format_name, result.rejected_total) == ("htx-trades", 0)
    assert (result.already_known, result.new) == (len(synced), len(account.trades) - len(synced))
    async with database.reader() as session:
        rows = list(await TransactionRepository(session).for_integration(integration_id))
    assert len(rows) == api_count + len(account.trades) - len(synced)
    assert Counter((r.asset, r.side, r.amount, int(r.occurred_at.timestamp())) for r in rows if r.kind == "trade") == (
        Counter((t.base, t.side, t.amount, t.timestamp // 1000) for t in account.trades)
    )
