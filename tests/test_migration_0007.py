"""Migration 0007: what the old Bybit and OKX fetchers dropped comes back on the next sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.sync import SyncService
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from connectors.profiles import Endpoint
from db.engine import Database
from db.migrate import alembic_config, upgrade_to_head
from db.models import EndpointState, Integration, Transaction, User
from db.repositories import TransactionRepository
from sandbox.exchanges import AccountProfile, BybitEmulator, BybitLimits


async def _migrate_to(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


def _okx_fill(integration_id: int, *, stored_at: datetime, raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "integration_id": integration_id,
        "natural_key": f"trade:{raw['instId']}:{raw['tradeId']}",
        "kind": "trade",
        "occurred_at": stored_at,
        "exchange_tx_id": raw["tradeId"],
        "asset": "BTC",
        "amount": Decimal(raw["fillSz"]),
        "source": "api",
        "raw": raw,
    }


async def test_okx_trades_take_their_fill_time_and_spot_trade_cursors_are_walked_again(database_url: str) -> None:
    database = Database(database_url)
    try:
        await _migrate_to(database, "0006")
        async with database.writer() as session:
            # The columns users had then (0011 added the language): an insert naming them, not the model of today.
            user_id = await session.scalar(
                insert(User).values(telegram_user_id=1001, timezone="UTC").returning(User.id)
            )
            okx, bybit, binance = (
                Integration(user_id=user_id, exchange_id=exchange, account_name=f"{exchange}-1")
                for exchange in ("okx", "bybit", "binance")
            )
            session.add_all([okx, bybit, binance])
            await session.flush()
            # Only the columns 0006 had (0010 replaced one): an insert naming them, not the model of today.
            await session.execute(
                insert(EndpointState),
                [
                    {
                        "integration_id": okx.id,
                        "endpoint": "spot_trades",
                        "market": "",
                        "cursor": {"walk": {"after": "9"}},
                    },
                    {"integration_id": okx.id, "endpoint": "deposits", "market": "", "cursor": {"after": "3"}},
                    {"integration_id": bybit.id, "endpoint": "spot_trades", "market": "", "cursor": {"since": 1}},
                    {
                        "integration_id": binance.id,
                        "endpoint": "spot_trades",
                        "market": "BTC/USDT",
                        "cursor": {"id": 7},
                    },
                ],
            )
            ids = okx.id, bybit.id, binance.id
        okx_id, bybit_id, binance_id = ids
        # The docs' example fill (OKX v5 "GET / Transaction details (last 3 days)"): fillTime 1597026383085,
        # ts 1597026383087. The old fetcher stored ts; one fill without fillTime keeps what it has.
        with_fill_time = {
            "instId": "BTC-USDT",
            "tradeId": "1",
            "fillSz": "0.01",
            "fillTime": "1597026383085",
            "ts": "1597026383087",
        }
        without_fill_time = {
            "instId": "BTC-USDT",
            "tradeId": "2",
            "fillSz": "0.02",
            "fillTime": "",
            "ts": "1597026383099",
        }
        ts_of_first = datetime(2020, 8, 10, 2, 26, 23, 87000, tzinfo=UTC)
        ts_of_second = datetime(2020, 8, 10, 2, 26, 23, 99000, tzinfo=UTC)
        async with database.writer() as session:
            await TransactionRepository(session).insert_missing(
                [
                    _okx_fill(okx_id, stored_at=ts_of_first, raw=with_fill_time),
                    _okx_fill(okx_id, stored_at=ts_of_second, raw=without_fill_time),
                ]
            )

        await upgrade_to_head(database)

        async with database.reader() as session:
            times = dict((await session.execute(select(Transaction.exchange_tx_id, Transaction.occurred_at))).all())
            states = set((await session.execute(select(EndpointState.integration_id, EndpointState.endpoint))).all())
        assert times == {"1": datetime(2020, 8, 10, 2, 26, 23, 85000, tzinfo=UTC), "2": ts_of_second}
        assert states == {(okx_id, "deposits"), (binance_id, "spot_trades")}
        assert bybit_id not in {integration for integration, _ in states}
    finally:
        await database.dispose()


CLASSIC_PROFILE = AccountProfile(
    years=1.0, traded_markets=3, trades=60, deposits=0, withdrawals=0, converts=0, transfers=0, rewards=0
)
UNLIMITED = BybitLimits(per_second={}, default_per_second=10_000, ip_requests_per_5s=100_000)


async def test_a_bybit_account_synced_before_the_fix_gets_its_dropped_classic_trades_once(tmp_path: Path) -> None:
    """A classic account's executions carry execType "": the old fetcher dropped them and committed its cursor
    past them. After the migration the next sync walks the account again and stores each missing trade once."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'at_0006.sqlite3'}")
    async with BybitEmulator(
        seed=20240712, profile=CLASSIC_PROFILE, listed_symbols=20, limits=UNLIMITED, classic=True
    ) as bybit:
        pool = ClientPool({"bybit": bybit.base_url})
        try:
            async with pool.client("bybit", "warm-up", {}) as client:
                client.throttler.config["refillRate"] = 1e6
            # Today's sync writes today's schema: the account is synced at head, left as the old fetcher left it,
            # and the database taken back to 0006, so that the upgrade below runs 0007 on it.
            await upgrade_to_head(database)
            integrations = IntegrationService(database, Vault(KeyRing([generate_key()])))
            keys = bybit.add_key(label="tallybot")
            summary = await integrations.connect(
                1001,
                exchange_id="bybit",
                key_type="normal",
                account_name="Bybit-1",
                fields={"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)},
                options=AdvancedOptions(
                    sync_from=(datetime.now(UTC) - timedelta(days=400)).date(), endpoints=("spot_trades",)
                ),
            )
            service = SyncService(database, integrations, pool)
            await service.run(1001, summary.id)
            # What the old fetcher left: its cursor committed to now, and every other classic trade missing (the
            # rows kept show that walking again does not store a trade twice).
            async with database.writer() as session:
                stored = (await session.scalars(select(Transaction.id).order_by(Transaction.id))).all()
                await session.execute(delete(Transaction).where(Transaction.id.in_(stored[::2])))
            assert (await service.run(1001, summary.id)).new == 0, "without the migration nothing comes back"

            await _migrate_to(database, "0006", down=True)
            await upgrade_to_head(database)
            result = await service.run(1001, summary.id)

            async with database.reader() as session:
                keys_stored = (
                    await session.scalars(
                        select(Transaction.natural_key).where(Transaction.integration_id == summary.id)
                    )
                ).all()
                count = await session.scalar(select(func.count()).select_from(Transaction))
        finally:
            await pool.close()
            await database.dispose()
    # The profile's 60 trades and one more: the scripted account (scripted.py `settle`) empties a traded base that
    # is neither BTC, ETH nor a quote with a final sell of what its history left. With this seed the markets are
    # BTCUSDT, ETHUSDT and LINKETH, so LINK is emptied, through one last LINKETH sell.
    every_trade = {f"trade:{t.id}" for t in bybit.account.trades}
    assert len(every_trade) == 60 + 1
    trades = result.endpoint(Endpoint.SPOT_TRADES)
    assert trades is not None and trades.new == len(stored[::2]) == 31, "every other of the 61 was deleted"
    assert set(keys_stored) == every_trade and count == 61
