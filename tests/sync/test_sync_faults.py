"""When the exchange misbehaves mid-sync: each endpoint ends in the right state with the right diagnosis, the
others carry on, a refused key stops the integration, and nothing already stored is harmed."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.sync import EndpointStatus, ProgressEvent, RetryPolicy, SyncService, SyncStatus
from bot.sync.stored import endpoint_reason
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from connectors.diagnosis import DiagnosisCode
from connectors.fetchers.binance import BinanceFetcher
from connectors.fetchers.windows import to_ms
from connectors.profiles import Endpoint
from db.engine import Database
from db.models import EndpointState, Integration
from i18n import t
from sandbox.exchanges import AccountProfile, BybitEmulator, BybitLimits
from tests.sync.conftest import (
    TELEGRAM_USER,
    UNLIMITED,
    Bench,
    as_without_fault,
    assert_ground_truth,
    stored,
    truth,
)

D = DiagnosisCode
Respond = Callable[[web.Request], web.StreamResponse | None]


def inject(bench: Bench, path: str, respond: Respond) -> list[str]:
    """Answer requests to `path` with `respond(request)` instead of the emulator (None: let the emulator answer).
    Returns the list of paths seen, to count them."""
    original = bench.emulator.serve
    seen: list[str] = []

    def serve(request: web.Request, endpoint: object) -> web.StreamResponse:
        seen.append(request.path)
        if request.path == path:
            answer = respond(request)
            if answer is not None:
                return answer
        return original(request, endpoint)  # type: ignore[arg-type]

    bench.emulator.serve = serve  # type: ignore[assignment,method-assign]
    return seen


async def endpoint_state(database: Database, integration_id: int, endpoint: Endpoint) -> EndpointState:
    async with database.reader() as session:
        state = await session.scalar(
            select(EndpointState).where(
                EndpointState.integration_id == integration_id,
                EndpointState.endpoint == str(endpoint),
                EndpointState.market == "",
            )
        )
    assert state is not None
    return state


async def integration_row(database: Database, integration_id: int) -> Integration:
    async with database.reader() as session:
        integration = await session.get(Integration, integration_id)
    assert integration is not None
    return integration


# ------------------------------------------------------------------------------------------------ rate limits


async def test_a_rate_limit_mid_sync_leaves_that_endpoint_partial_and_the_next_sync_completes_it(bench: Bench) -> None:
    # Room for the balance call and four myTrades calls a minute: spot trades run into Binance's 429.
    bench.emulator.limits = dataclasses.replace(UNLIMITED, request_weight_per_minute=20 * 5)
    bench.emulator.reset_rate_limits()

    first = await bench.sync()

    assert first.status is SyncStatus.PARTIAL and first.status_detail == "rate_limited"
    spot = first.endpoint(Endpoint.SPOT_TRADES)
    assert spot is not None and spot.status is EndpointStatus.PARTIAL
    assert spot.diagnosis is not None and spot.diagnosis.code is D.RATE_LIMITED
    assert spot.diagnosis.retry_after is not None and spot.diagnosis.retry_after > 0  # Binance's Retry-After
    assert bench.sleep.waits == [spot.diagnosis.retry_after]  # waited once as asked, then limited again: stop
    assert spot.gaps and spot.gaps[-1].end is not None and "slow down" in spot.gaps[-1].reason
    assert all(as_without_fault(e.endpoint, e.status) for e in first.endpoints if e is not spot)
    expected = truth(bench.emulator)
    kept = stored(await bench.rows())
    assert kept.items() <= expected.items() and len(kept) == first.new < len(expected)
    state = await endpoint_state(bench.database, bench.integration_id, Endpoint.SPOT_TRADES)
    assert (state.last_status, state.last_error_code) == ("partial", "rate_limited")
    assert state.last_note is None  # the code says it, worded when read
    assert endpoint_reason(state.last_error_code, state.last_note, "Binance") == spot.diagnosis.title
    assert (await integration_row(bench.database, bench.integration_id)).status == "partial"

    # Later, with the limit passed: the next sync carries on from the cursors and completes.
    bench.emulator.limits = UNLIMITED
    bench.emulator.reset_rate_limits()
    second = await bench.sync()

    assert second.status is SyncStatus.OK
    assert second.known == 0 and first.new + second.new == len(expected)  # nothing fetched twice
    await assert_ground_truth(bench)
    state = await endpoint_state(bench.database, bench.integration_id, Endpoint.SPOT_TRADES)
    assert (state.last_status, state.last_error_code, state.last_note) == ("ok", None, None)


async def test_a_short_rate_limit_is_waited_out_as_the_exchange_asks(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    # Room for ten calls a minute. (Each restart of the trades walk asks again the markets it finished before the
    # limit, so the limit must leave room for more than those.)
    bench.emulator.limits = dataclasses.replace(UNLIMITED, request_weight_per_minute=20 * 10)
    bench.emulator.reset_rate_limits()
    bench.sleep.then = bench.emulator.reset_rate_limits  # the wait lets Binance's window pass

    result = await bench.sync(retry=RetryPolicy(rate_limit_waits=50))

    assert result.status is SyncStatus.OK
    assert len(bench.sleep.waits) >= 2 and all(0 < wait <= 60 for wait in bench.sleep.waits)
    await assert_ground_truth(bench)


# ------------------------------------------------------------------------------------------------ transient errors


async def test_a_server_error_is_retried_after_the_wait_the_exchange_asks_for(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    answered: list[int] = []

    def unavailable_once(request: web.Request) -> web.StreamResponse | None:
        if answered:
            return None
        answered.append(503)
        return web.Response(status=503, text="Service Unavailable", headers={"Retry-After": "7"})

    inject(bench, "/sapi/v1/capital/deposit/hisrec", unavailable_once)
    result = await bench.sync()

    assert result.status is SyncStatus.OK
    assert bench.sleep.waits == [7.0]
    await assert_ground_truth(bench)


async def test_a_connection_that_keeps_dropping_ends_the_endpoint_partial_after_bounded_retries(
    sqlite_bench: Bench,
) -> None:
    bench = sqlite_bench

    def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=200, text="")

    seen = inject(bench, "/sapi/v1/capital/withdraw/history", drop)
    result = await bench.sync(retry=RetryPolicy(attempts=2, base_delay=1.0))

    withdrawals = result.endpoint(Endpoint.WITHDRAWALS)
    assert withdrawals is not None and withdrawals.status is EndpointStatus.PARTIAL
    assert withdrawals.diagnosis is not None and withdrawals.diagnosis.code is D.NETWORK_ERROR
    assert withdrawals.gaps and "did not answer" in withdrawals.gaps[-1].reason
    assert withdrawals.requests == 3  # the first try and two retries
    # (aiohttp itself repeats a request once when a kept-alive connection drops, so the emulator sees 3 or 6)
    assert seen.count("/sapi/v1/capital/withdraw/history") in (3, 6)
    assert bench.sleep.waits == [1.0, 2.0]  # exponential backoff
    assert result.status is SyncStatus.PARTIAL and result.status_detail == "network_error"
    assert all(as_without_fault(e.endpoint, e.status) for e in result.endpoints if e is not withdrawals)


async def test_a_malformed_answer_fails_that_endpoint_only(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    inject(
        bench,
        "/sapi/v1/convert/tradeFlow",
        lambda request: web.Response(status=200, text="{not json", content_type="application/json"),
    )

    result = await bench.sync()

    converts = result.endpoint(Endpoint.CONVERT)
    assert converts is not None and converts.status is EndpointStatus.FAILED
    # An answer Tallybot cannot read is said as Tallybot's failure to read it, not as an error of Binance's.
    assert converts.diagnosis is not None and converts.diagnosis.code is D.UNREADABLE_RECORD
    assert bench.sleep.waits == []  # not a transient error: no retries
    assert result.status is SyncStatus.PARTIAL and result.status_detail == "unreadable_record"
    assert all(as_without_fault(e.endpoint, e.status) for e in result.endpoints if e is not converts)
    state = await endpoint_state(bench.database, bench.integration_id, Endpoint.CONVERT)
    assert (state.last_status, state.last_error_code) == ("failed", "unreadable_record")
    # Our words, never the exchange's: a code, worded when read.
    assert endpoint_reason(state.last_error_code, state.last_note, "Binance") == converts.diagnosis.title


# ------------------------------------------------------------------------------------------------ a refused key


def revoke_after(bench: Bench, endpoint: Endpoint, pages: int) -> Callable[[ProgressEvent], None]:
    """A progress callback that revokes the key on the exchange after `pages` committed pages of `endpoint`."""
    count = 0

    def on_progress(event: ProgressEvent) -> None:
        nonlocal count
        if event.endpoint is endpoint and event.state is EndpointStatus.RUNNING and event.fetched:
            count += 1
            if count == pages:
                bench.emulator.revoke_key(bench.keys.api_key)

    return on_progress


async def test_a_key_revoked_mid_sync_stops_the_integration_and_keeps_what_was_stored(bench: Bench) -> None:
    result = await bench.sync(on_progress=revoke_after(bench, Endpoint.DEPOSITS, 2))

    assert result.status is SyncStatus.FAILED and result.status_detail == "invalid_key"
    assert result.diagnosis is not None and result.diagnosis.code is D.INVALID_KEY
    deposits = result.endpoint(Endpoint.DEPOSITS)
    assert deposits is not None and deposits.status is EndpointStatus.FAILED and deposits.new > 0
    # The wallet endpoints run together (each on its own Binance budget): each ended, or met the refused key too.
    beside = [e for e in result.endpoints if e.endpoint in BinanceFetcher.concurrent_endpoints and e is not deposits]
    assert beside and all(
        e.status is EndpointStatus.OK
        or (e.status is EndpointStatus.FAILED and e.diagnosis is not None and e.diagnosis.code is D.INVALID_KEY)
        for e in beside
    )
    later = [e for e in result.endpoints if e.endpoint not in BinanceFetcher.concurrent_endpoints]
    assert later and all(e.status is EndpointStatus.SKIPPED and e.requests == 0 for e in later)
    assert all(e.note == t("sync.skip.stopped_by_key", name="Binance") for e in later)
    kept = stored(await bench.rows())
    assert kept.items() <= truth(bench.emulator).items() and len(kept) == result.new
    integration = await integration_row(bench.database, bench.integration_id)
    assert (integration.status, integration.status_detail) == ("failed", "invalid_key")
    assert integration.last_synced_at is None

    # The user pastes a new key: the next sync continues from what was stored.
    fresh = bench.emulator.add_key(label="new")
    await bench.integrations.replace_key(
        TELEGRAM_USER,
        bench.integration_id,
        key_type="normal",
        fields={"apiKey": Secret(fresh.api_key), "secret": Secret(fresh.secret)},
    )
    again = await bench.sync()
    assert again.status is SyncStatus.OK and again.known == 0
    await assert_ground_truth(bench)


async def test_a_key_refused_while_paging_trades_is_recognised_behind_binances_rate_limit_type(
    sqlite_bench: Bench,
) -> None:
    """After a key has worked, ccxt raises Binance's -2015 as DDoSProtection, which fetchers report as a rate
    limit: the engine still sees the refused key behind it."""
    bench = sqlite_bench
    result = await bench.sync(on_progress=revoke_after(bench, Endpoint.SPOT_TRADES, 2))

    spot = result.endpoint(Endpoint.SPOT_TRADES)
    assert spot is not None and spot.status is EndpointStatus.FAILED
    assert result.status is SyncStatus.FAILED and result.status_detail == "key_refused"
    assert bench.sleep.waits == []  # not waited for as if it were a rate limit
    assert stored(await bench.rows()).items() <= truth(bench.emulator).items()


# ------------------------------------------------------------------------------------------------ progress, skips


async def test_progress_is_reported_per_page_and_a_broken_callback_never_breaks_the_sync(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    events: list[ProgressEvent] = []

    def on_progress(event: ProgressEvent) -> None:
        events.append(event)
        raise RuntimeError("the progress message could not be edited")

    result = await bench.sync(on_progress=on_progress)

    assert result.status is SyncStatus.OK
    await assert_ground_truth(bench)
    pages = [e for e in events if e.endpoint is not None and e.state is EndpointStatus.RUNNING and e.fetched]
    assert pages and all(e.new + e.known == e.fetched for e in pages)
    last = events[-1]
    assert last.endpoint is None and last.state is EndpointStatus.OK
    assert (last.total_fetched, last.total_new) == (result.fetched, result.new)
    assert [line.endpoint for line in last.endpoints] == [e.endpoint for e in result.endpoints]
    assert all(as_without_fault(line.endpoint, line.state) for line in last.endpoints)
    trades = [e for e in pages if e.endpoint is Endpoint.SPOT_TRADES]
    assert {e.market for e in trades} <= set(result.markets_scanned)  # which market is being fetched


async def test_kinds_of_history_the_exchange_or_tallybot_cannot_fetch_are_skipped_with_the_reason(
    sqlite_bench: Bench,
) -> None:
    bench = sqlite_bench
    summary = await bench.integrations.get(TELEGRAM_USER, bench.integration_id)
    # Binance offers no ledger; transfers between its wallets are fetched (every Binance kind but the ledger is now).
    wanted = ("deposits", "ledger", "transfers", "no_such_history")
    await bench.integrations.update_options(
        TELEGRAM_USER, bench.integration_id, AdvancedOptions(sync_from=summary.options.sync_from, endpoints=wanted)
    )

    result = await bench.sync()

    assert result.status is SyncStatus.OK
    by_endpoint = {e.endpoint: e for e in result.endpoints}
    assert set(by_endpoint) == {Endpoint.DEPOSITS, Endpoint.LEDGER, Endpoint.TRANSFERS}
    assert by_endpoint[Endpoint.DEPOSITS].status is EndpointStatus.OK
    ledger, transfers = by_endpoint[Endpoint.LEDGER], by_endpoint[Endpoint.TRANSFERS]
    assert ledger.status is EndpointStatus.SKIPPED and "does not offer" in ledger.note
    assert ledger.diagnosis is not None and ledger.diagnosis.code is D.ENDPOINT_NOT_OFFERED
    # One per direction, one look for the isolated-margin pairs (no margin account here: -3003, none) and two for
    # sub-account moves (neither a sub-account's key, -12022, nor a master with sub-accounts, -8012).
    assert transfers.status is EndpointStatus.OK and transfers.requests == 18 + 1 + 2
    assert ledger.requests == 0
    state = await endpoint_state(bench.database, bench.integration_id, Endpoint.LEDGER)
    assert state.last_status == "skipped"


# ------------------------------------------------------------------------------------------------ lookback limits

BYBIT_PROFILE = AccountProfile(
    years=3.0, traded_markets=4, trades=240, deposits=20, withdrawals=5, converts=0, transfers=0, rewards=0
)


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    limits = BybitLimits(per_second={}, default_per_second=10_000, ip_requests_per_5s=100_000)
    async with BybitEmulator(seed=20240712, profile=BYBIT_PROFILE, listed_symbols=40, limits=limits) as emulator:
        yield emulator


async def test_history_older_than_bybit_keeps_makes_the_endpoint_partial_and_says_which_range(
    sqlite_database: Database, bybit: BybitEmulator
) -> None:
    pool = ClientPool({"bybit": bybit.base_url})
    async with pool.client("bybit", "warm-up", {}) as client:
        client.throttler.config["refillRate"] = 1e6
    integrations = IntegrationService(sqlite_database, Vault(KeyRing([generate_key()])))
    keys = bybit.add_key(label="tallybot")
    since = (datetime.now(UTC) - timedelta(days=3 * 365 + 10)).date()
    summary = await integrations.connect(
        TELEGRAM_USER,
        exchange_id="bybit",
        key_type="normal",
        account_name="Bybit-1",
        fields={"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)},
        options=AdvancedOptions(sync_from=since, endpoints=("spot_trades", "deposits")),
    )
    service = SyncService(sqlite_database, integrations, pool)
    try:
        first = await service.run(TELEGRAM_USER, summary.id)
        second = await service.run(TELEGRAM_USER, summary.id)
    finally:
        await pool.close()

    assert first.status is SyncStatus.PARTIAL and first.status_detail == "lookback_limit"
    trades, deposits = first.endpoint(Endpoint.SPOT_TRADES), first.endpoint(Endpoint.DEPOSITS)
    assert deposits is not None and deposits.status is EndpointStatus.OK and not deposits.gaps
    assert trades is not None and trades.status is EndpointStatus.PARTIAL
    assert trades.diagnosis is not None and trades.diagnosis.code is D.LOOKBACK_LIMIT
    (gap,) = trades.gaps
    oldest, _ = bybit.trades_reachable
    assert gap.start is not None and gap.start.date() == since
    assert gap.end is not None and 0 < to_ms(gap.end) - oldest <= 2 * 3_600_000
    assert "730 days" in gap.reason and "file upload" in gap.reason
    assert trades.covered_from == gap.end and trades.covered_until is not None
    reachable = [t for t in bybit.account.trades if t.timestamp >= oldest]
    assert trades.new == len(reachable) and deposits.new == len(bybit.account.deposits)

    # The next sync starts where the first ended, inside Bybit's reach: complete, nothing missing any more.
    assert second.status is SyncStatus.OK and second.new == 0 and not second.gaps
    # One window each since the last sync; deposits are two lists on Bybit (on-chain and internal).
    assert {e.endpoint: e.requests for e in second.endpoints} == {Endpoint.SPOT_TRADES: 1, Endpoint.DEPOSITS: 2}


async def test_the_sync_logs_no_secret_and_no_exchange_text(
    sqlite_bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    bench = sqlite_bench
    caplog.set_level(logging.DEBUG, logger="bot")
    inject(
        bench,
        "/sapi/v1/convert/tradeFlow",
        lambda request: web.json_response(
            {"code": -1001, "msg": "Internal error; see " + str(request.url)}, status=500
        ),
    )

    result = await bench.sync(retry=RetryPolicy(attempts=1), on_progress=revoke_after(bench, Endpoint.SPOT_TRADES, 1))

    assert result.status is SyncStatus.FAILED
    ours = [r for r in caplog.records if r.name.startswith("bot.sync")]
    assert any("OperationFailed" in r.getMessage() for r in ours)  # the error's type, exchange, status, code
    for record in ours:
        text = record.getMessage() + str(record.exc_info or "")
        assert bench.keys.api_key not in text and bench.keys.secret not in text
        assert "http" not in text and "Internal error" not in text
