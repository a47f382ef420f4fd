"""/status turns an account with history out of the API's reach green once an uploaded file fills that gap and the
balances match (test_status_state.py). A product Tallybot does not read yet is no such gap: no file Tallybot reads
holds it, so an upload that happens to fall inside its range must not turn the account green.

The account: HTX, whose futures fills reach back 90 days (connectors/fetchers/htx/futures.py REACH), synced from an
earlier date, and holding a coin-margined delivery account (not read yet: its gap is flagged not_read over the whole
range). The user uploaded a statement with a deposit before the reach and a withdrawal inside the delivery gap's
range; the balances match. The summary is the one the sync stores: EndpointResult.to_json of the fetcher's gaps."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.integrations import IntegrationService
from bot.status import StatusService
from bot.sync.results import EndpointResult, EndpointStatus, SyncGap
from bot.vault import KeyRing, Vault, generate_key
from connectors.diagnosis import DiagnosisCode, diagnosis_for
from connectors.fetchers.htx.futures import COIN_MARGINED, DELIVERY_ACCOUNTS
from connectors.profiles import Endpoint, get_profile
from db.engine import Database
from db.models import (
    EndpointState,
    Integration,
    IntegrationStatus,
    SyncRun,
    Transaction,
    TransactionSource,
    User,
)
from db.repositories.reconcile import ReconcileRepository, StoredBalance
from i18n import Text

USER = 1001
SINCE = datetime(2026, 6, 1, tzinfo=UTC)  # the account's sync-from date
REACH = datetime(2026, 9, 2, tzinfo=UTC)  # 90 days before the sync
SYNCED = datetime(2026, 12, 1, tzinfo=UTC)
# As connectors/fetchers/windows.py words a walk's reach gap.
SPEC = get_profile("htx").endpoint(Endpoint.FUTURES_TRADES, "normal")
assert SPEC is not None
PHRASE = SPEC.phrase
REACH_TEXT = Text.of("sync.gap.lookback", name="HTX", days=90, phrase=PHRASE)
DELIVERY = Text.of(COIN_MARGINED[DELIVERY_ACCOUNTS])


def futures(*, delivery_held: bool) -> EndpointResult:
    gaps = [SyncGap(Endpoint.FUTURES_TRADES, SINCE, REACH, REACH_TEXT)]
    if delivery_held:
        gaps.append(SyncGap(Endpoint.FUTURES_TRADES, SINCE, SYNCED, DELIVERY, not_read=True))
    return EndpointResult(
        Endpoint.FUTURES_TRADES,
        "Futures trades",
        EndpointStatus.PARTIAL,
        covered_from=REACH,
        covered_until=SYNCED,
        diagnosis=diagnosis_for(DiagnosisCode.LOOKBACK_LIMIT, get_profile("htx")),
        gaps=tuple(gaps),
    )


def filed(at: datetime, key: str, kind: str, amount: str) -> Transaction:
    return Transaction(
        natural_key=key, kind=kind, occurred_at=at, asset="USDT", amount=Decimal(amount), source=TransactionSource.FILE
    )


async def an_account(database: Database, *, delivery_held: bool) -> None:
    async with database.writer() as session:
        user = User(telegram_user_id=USER, timezone="UTC")
        session.add(user)
        await session.flush()
        account = Integration(
            user_id=user.id,
            exchange_id="htx",
            account_name="HTX-1",
            options={"sync_from": SINCE.date().isoformat()},
            status=IntegrationStatus.PARTIAL,
            last_synced_at=SYNCED,
        )
        session.add(account)
        await session.flush()
        result = futures(delivery_held=delivery_held)
        summary = {"status": "partial", "endpoints": {str(Endpoint.FUTURES_TRADES): result.to_json()}}
        session.add(SyncRun(integration_id=account.id, status="partial", finished_at=SYNCED, summary=summary))
        session.add(
            EndpointState(
                integration_id=account.id,
                endpoint=str(Endpoint.FUTURES_TRADES),
                last_status="partial",
                last_error_code=str(DiagnosisCode.LOOKBACK_LIMIT),
                covered_until=SYNCED,
            )
        )
        # The statement: 500 USDT deposited before the reach, 120 withdrawn inside the delivery gap's range.
        for record in (
            filed(datetime(2026, 7, 1, tzinfo=UTC), "file:deposit:1", "deposit", "500"),
            filed(datetime(2026, 10, 1, tzinfo=UTC), "file:withdrawal:1", "withdrawal", "-120"),
        ):
            record.integration_id = account.id
            session.add(record)
    # HTX says 380 USDT, which the history explains: a balanced reconciliation, stored after the records.
    async with database.writer() as session:
        await ReconcileRepository(session).save(
            account.id,
            checked_at=datetime.now(UTC),
            outcome="balanced",
            error_code=None,
            wallets={"read": ["spot"], "failed": {}, "quotes": []},
            balances=[StoredBalance("USDT", Decimal(380), Decimal(380), None, None)],
        )


async def overview(database: Database) -> StatusService:
    return StatusService(database, IntegrationService(database, Vault(KeyRing([generate_key()]))))


async def test_an_upload_inside_a_product_not_read_yet_does_not_turn_the_account_green(database: Database) -> None:
    await an_account(database, delivery_held=True)
    (account,) = await (await overview(database)).overview(USER)
    assert account.reconciliation is not None and account.reconciliation.balanced
    assert account.state == IntegrationStatus.PARTIAL
    # Only the reach gap is one a file fills; the delivery futures' history is still missing.
    assert account.gaps == ((SINCE, REACH),)
    assert account.unfillable and not account.gaps_filed
    # Both ranges are listed; the delivery futures' apart, as no upload Tallybot reads brings them.
    delivery = (
        "Your HTX account holds coin-margined delivery futures, whose history Tallybot does not fetch yet: their "
        "fills and profit are missing."
    )
    reach = "HTX only returns the last 90 days of futures trades through its API; add older history by file upload."
    assert account.missing_ranges == (reach, delivery)
    assert account.not_read_ranges == (delivery,)


async def test_the_same_upload_without_the_product_turns_it_green(database: Database) -> None:
    await an_account(database, delivery_held=False)
    (account,) = await (await overview(database)).overview(USER)
    assert not account.unfillable and account.gaps_filed
    assert len(account.missing_ranges) == 1 and account.not_read_ranges == ()
    assert account.state == IntegrationStatus.OK
