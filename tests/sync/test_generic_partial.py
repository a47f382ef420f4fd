"""Through the sync engine: an untested generic endpoint that cannot be paged ends partial, never ok.

Bithumb's deposits (an untested exchange: no fetcher of Tallybot's own) through the real ccxt client, against the
local HTTP stub of tests/connectors/test_generic_ranges.py (BithumbStub names its sources; it checks no signature).
ccxt's `bithumb.fetch_deposits` cannot send a start time, so only the newest page can be read: the engine stores it
and reports the endpoint partial with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.status import StatusService
from bot.sync import SyncService
from bot.sync.results import EndpointStatus
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from connectors.profiles import Endpoint
from db.engine import Database
from db.models import SyncRun, Transaction
from tests.connectors.test_generic_ranges import BithumbStub, scripted_deposits

TELEGRAM_USER = 515151


async def test_deposits_without_a_start_time_end_partial_with_the_newest_page_stored(sqlite_database: Database) -> None:
    async with BithumbStub(scripted_deposits(60)) as stub:
        pool = ClientPool({"bithumb": stub.base_url})
        integrations = IntegrationService(sqlite_database, Vault(KeyRing([generate_key()])))
        summary = await integrations.connect(
            TELEGRAM_USER,
            exchange_id="bithumb",
            key_type="normal",
            account_name="Bithumb main",
            fields={
                "apiKey": Secret("3e97926e9b75a6aeb637d2c172a292588502daccfb5cab"),
                "secret": Secret("c0ffee12" * 8),
            },
            options=AdvancedOptions(
                sync_from=(datetime.now(UTC) - timedelta(days=365)).date(), endpoints=(str(Endpoint.DEPOSITS),)
            ),
        )
        try:
            result = await SyncService(sqlite_database, integrations, pool).run(TELEGRAM_USER, summary.id)
        finally:
            await pool.close()
        (status,) = await StatusService(sqlite_database, integrations).overview(TELEGRAM_USER)

    deposits = result.endpoint(Endpoint.DEPOSITS)
    assert deposits is not None
    assert deposits.status is EndpointStatus.PARTIAL  # never ok: older deposits could not be asked for
    assert deposits.new == 50 and deposits.requests == 1
    (gap,) = deposits.gaps
    # The database keeps the catalogue id and its arguments, never English; the account is named "Bithumb main".
    async with sqlite_database.reader() as session:
        run = await session.scalar(select(SyncRun).where(SyncRun.integration_id == summary.id))
    assert run is not None
    (stored,) = run.summary["endpoints"][str(Endpoint.DEPOSITS)]["gaps"]
    assert stored["reason"] == {
        "id": "sync.gap.untested_no_start",
        "args": {
            "name": "Bithumb",
            "phrase": {"id": "endpoint.deposits.phrase", "args": {}},
            "method": "fetchDeposits",
        },
    }
    # /sync's summary and /status word it the same, from the English catalogue (tallybot.po, sync.po).
    english = (
        "Untested exchange: ccxt cannot ask Bithumb for deposits from a start time (fetchDeposits), so only the "
        "newest the exchange sends could be read; add older ones by file upload."
    )
    assert gap.reason == english
    assert status.missing_ranges == (english,)
    async with sqlite_database.reader() as session:
        rows = list((await session.scalars(select(Transaction).where(Transaction.integration_id == summary.id))).all())
    assert sorted(int(str(r.exchange_tx_id)) for r in rows) == list(range(11, 61))
    assert {r.amount for r in rows if r.exchange_tx_id == "60"} == {Decimal("60.000000012345678901")}
