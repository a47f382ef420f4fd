"""Database round trips per reply of a webhook replica on PostgreSQL: what a user's reply waits for on a shared
database (docs/BENCHMARKS.md §3, "Scaled out": the tail of `/status` under syncs is the shared PostgreSQL's).

A replica (bot/webhook.py `serve_webhook`, as `tallybot run --webhook` runs it) reaches PostgreSQL through a relay
that counts round trips on the wire (tests/support/pg_round_trips.py): every statement, BEGIN, COMMIT, ping and pool
reset, from SQLAlchemy's pool and the Telegram budget's alike. Telegram is the Bot API emulator delivering through
the webhook. The counts are written by hand; a change that adds a round trip to every reply fails here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.vault import generate_key
from bot.webhook import serve_webhook
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models import (
    Credential,
    EndpointState,
    Integration,
    IntegrationStatus,
    ReconciledBalance,
    Reconciliation,
    SyncRun,
    Transaction,
    TransactionSource,
    User,
)
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import settings_for
from tests.postgres import fresh_database
from tests.support.pg_round_trips import CountingRelay, free_port

SECRET = "round-trips-secret_0123456789"
# Work of the replica's own clocks, not of an update: the instance lease's heartbeat and the update ids' forgetting.
BACKGROUND = ("instance_leases", "DELETE FROM webhook_updates")


@dataclass
class Replica:
    relay: CountingRelay
    emulator: BotApiEmulator


@contextlib.asynccontextmanager
async def replica(telegram: BotApiEmulator, data_dir: Path) -> AsyncIterator[Replica]:
    async with fresh_database() as database_url:
        database = Database(database_url)
        try:
            await upgrade_to_head(database)
            await seed(database)
        finally:
            await database.dispose()
        server = make_url(database_url)
        relay = CountingRelay(server.host or "127.0.0.1", server.port or 5432)
        await relay.start()
        through = make_url(database_url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
        port = free_port()
        public = f"http://127.0.0.1:{port}/telegram"
        settings = settings_for(
            telegram,
            data_dir,
            database_url=through,
            master_key=SecretStr(base64.b64encode(generate_key()).decode()),
            webhook_url=public,
            webhook_secret=SecretStr(SECRET),
            webhook_listen_port=port,
        )
        async with aiohttp.ClientSession() as session:
            set_webhook = f"{telegram.base_url}{telegram.token}/setWebhook"
            async with session.post(set_webhook, json={"url": public, "secret_token": SECRET}) as answer:
                assert answer.status == 200
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_webhook(settings, stop))
        try:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with aiohttp.ClientSession() as session, session.get(f"{public[:-9]}/healthz") as answer:
                        if answer.status == 200:
                            break
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.1)
            yield Replica(relay, telegram)
        finally:
            stop.set()
            await asyncio.wait_for(serving, 60)
            await relay.close()


ADA = 6100
NOW = datetime.now(UTC).replace(microsecond=0)


async def seed(database: Database) -> None:
    """Ada's three accounts, each a different shape /status reads: a Binance account synced with a gap a file filled
    and its balances compared, a Bybit key never synced, and a file-only OKX account."""
    async with database.writer() as session:
        ada = User(telegram_user_id=ADA, timezone="UTC", language="en")
        session.add(ada)
        await session.flush()
        binance = Integration(
            user_id=ada.id,
            exchange_id="binance",
            account_name="Binance-1",
            status=IntegrationStatus.PARTIAL,
            last_synced_at=NOW - timedelta(hours=1),
        )
        bybit = Integration(user_id=ada.id, exchange_id="bybit", account_name="Bybit-1")
        okx = Integration(
            user_id=ada.id,
            exchange_id="okx",
            account_name="OKX-1",
            options={"file_only": True},
            status=IntegrationStatus.DISCONNECTED,
        )
        session.add_all([binance, bybit, okx])
        await session.flush()
        for integration, fingerprint in ((binance, "…7f3a"), (bybit, "…11c0")):
            session.add(Credential(integration_id=integration.id, api_key_fingerprint=fingerprint))
        gap_end = NOW - timedelta(days=400)
        session.add(
            SyncRun(
                integration_id=binance.id,
                started_at=NOW - timedelta(hours=1, minutes=2),
                finished_at=NOW - timedelta(hours=1),
                status=IntegrationStatus.PARTIAL,
                summary={
                    "endpoints": {
                        "deposits": {
                            "gaps": [
                                {"start": None, "end": gap_end.isoformat(), "reason": "Older deposits are out of reach"}
                            ]
                        }
                    }
                },
            )
        )
        session.add_all(
            [
                EndpointState(
                    integration_id=binance.id,
                    endpoint="spot_trades",
                    last_status="ok",
                    last_success_at=NOW - timedelta(hours=1),
                    covered_until=NOW - timedelta(hours=1),
                ),
                EndpointState(
                    integration_id=binance.id,
                    endpoint="deposits",
                    last_status="partial",
                    last_error_code="lookback_limit",
                    last_success_at=NOW - timedelta(hours=1),
                    covered_until=NOW - timedelta(hours=1),
                ),
            ]
        )
        session.add_all(
            [
                Transaction(
                    integration_id=binance.id,
                    natural_key="deposit-1",
                    kind="deposit",
                    occurred_at=NOW - timedelta(days=30),
                    asset="BTC",
                    amount=Decimal("0.5"),
                    created_at=NOW - timedelta(hours=2),
                ),
                Transaction(
                    integration_id=binance.id,
                    natural_key="file-deposit-1",
                    kind="deposit",
                    occurred_at=gap_end - timedelta(days=10),
                    asset="BTC",
                    amount=Decimal("0.25"),
                    source=TransactionSource.FILE,
                    created_at=NOW - timedelta(hours=2),
                ),
            ]
        )
        session.add(
            Reconciliation(
                integration_id=binance.id,
                checked_at=NOW - timedelta(hours=1),
                outcome="balanced",
                wallets={"read": ["spot"]},
            )
        )
        session.add(
            ReconciledBalance(
                integration_id=binance.id, asset="BTC", reported=Decimal("0.75"), explained=Decimal("0.75")
            )
        )


async def reply(replica: Replica, walker: Walker, text: str, containing: str) -> list[str]:
    """Send `text`, wait for the reply and for the webhook request to be answered; the round trips it made."""
    emulator = replica.emulator
    mark = len(replica.relay.trips)
    answered = len([d for d in emulator.webhook_deliveries if d[1] is not None])
    sent = await walker.send(text)
    await walker.reply_to(sent, containing)
    await emulator.wait_until(lambda: len([d for d in emulator.webhook_deliveries if d[1] is not None]) > answered)
    await asyncio.sleep(0.2)  # anything the update still does after its answer would show here
    return replica.relay.since(mark, ignoring=BACKGROUND)


# Each reply's round trips, in order, written by hand from what a reply needs (before this file's counts, 2026-12-06:
# /help 16 and /status 53 — a ping of three round trips before every session, BEGIN and ROLLBACK around every read,
# one session per part of /status, a budget reservation per limit and a pool reset after each).
CLAIM = "INSERT INTO webhook_updates"  # the dedupe: one autocommitted INSERT ... ON CONFLICT DO NOTHING RETURNING
LOCALE = ["SELECT users."]  # the user's language (handlers/locale.py), outside a transaction
BUDGET = "WITH turn1 AS ( INSERT INTO telegram_budget"  # the chat's and the overall turn, one statement
HELP = [CLAIM, *LOCALE, BUDGET]
STATUS = [
    CLAIM,
    *LOCALE,
    "SELECT integrations.",  # the accounts, their keys, the time zone, running syncs, record counts and newest
    "SELECT endpoint_states.",
    "SELECT sync_runs.",  # each account's last finished run
    "SELECT reconciliations.",  # with their balances, joined
    "SELECT EXISTS (SELECT transactions.id",  # uploaded records in the last sync's gaps, every gap at once
    BUDGET,
]


def shape(trips: list[str], expected: list[str]) -> list[str]:
    """Each round trip as the expected entry it starts with (itself when none): a readable difference."""
    return [next((want for want in expected if trip.startswith(want)), trip) for trip in trips]


async def test_round_trips_per_reply(telegram: BotApiEmulator, tmp_path: Path) -> None:
    async with replica(telegram, tmp_path) as bot:
        walker = Walker(telegram, telegram.add_user(ADA, "Ada", started=True))
        # The first replies open the pool's connections and prepare each statement once per connection.
        for _ in range(3):
            await reply(bot, walker, "/help", "Tallybot syncs")
            await reply(bot, walker, "/status", "Binance-1")
        await asyncio.sleep(3.1)  # Ada's chat has its burst of 3 again: a reply's turn is now
        help_trips = await reply(bot, walker, "/help", "Tallybot syncs")
        await asyncio.sleep(3.1)
        status_trips = await reply(bot, walker, "/status", "Binance-1")
        status_text = walker.last_bot_text()

    assert shape(help_trips, HELP) == HELP
    assert shape(status_trips, STATUS) == STATUS, "a round trip more on every /status: the reply's tail grows"
    assert len(help_trips) == 3
    assert len(status_trips) == 8
    # What those reads show (from the seed): Binance green, its gap filled by the uploaded deposit and its balances
    # explained; the never-synced Bybit key; the file-only OKX account.
    assert "🟢 Binance-1 (Binance)" in status_text
    assert "Transactions stored: 2" in status_text
    assert "The history explains every balance." in status_text
    assert "⚪ Bybit-1 (Bybit)\nNever synced yet." in status_text
    assert "OKX-1" in status_text
