"""A user syncs a Binance account: the database ends up holding exactly what the exchange holds, a second sync
costs only the requests needed to learn nothing changed, new activity is picked up, and rows that came from a
file upload are never stored twice. On SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.imports import ImportService
from bot.sync import SyncResult, SyncStatus
from connectors.fetchers.binance import BINANCE_OPENED
from connectors.fetchers.binance.simple_earn import SIMPLE_EARN_LAUNCHED
from connectors.fetchers.binance.simple_earn import WINDOW_MS as EARN_WINDOW_MS
from connectors.fetchers.binance.transfers import DIRECTIONS
from connectors.fetchers.windows import date_ms, span_ms, to_ms
from connectors.profiles import Endpoint, get_profile
from connectors.records import RecordKind, natural_key
from db.models import EndpointState, Integration, SyncRun, TransactionSource
from db.repositories import TransactionRepository
from sandbox.exchanges import DepositRecord, TradeRecord
from tests.files import samples
from tests.sync.conftest import (
    TELEGRAM_USER,
    UNUSED_KIND_LOOKS,
    UNUSED_KINDS,
    WALLET_PATHS,
    Bench,
    add_activity,
    as_without_fault,
    assert_ground_truth,
    truth,
)

ENDPOINTS = {Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.CONVERT, Endpoint.EARN_REWARDS, Endpoint.SPOT_TRADES}
# Dust, P2P, Pay and fiat (connectors/fetchers/binance/wallet_kinds.py), on by default.
WALLET_KINDS = {Endpoint.DUST, Endpoint.P2P, Endpoint.PAY, Endpoint.FIAT}
ENDPOINTS |= WALLET_KINDS
ENDPOINTS |= UNUSED_KINDS  # futures and margin, on by default: skipped for this account (tests/sync/conftest.py)
# What they ask in a sync that finds nothing new: one range of each list (dust 1, P2P's BUY and SELL 2, Pay 1, fiat's
# two payment lists; its two order lists, read less than a minute before, are skipped: wallet_kinds.py), and Simple
# Earn's real-time and locked rewards and locked redemptions after the distributions (3).
WALLET_KIND_RESYNC = 9
# Transfers between the account's own wallets, on by default: one request per direction a sync, each one window over
# its six-month reach (connectors/fetchers/binance/transfers.py).
ENDPOINTS.add(Endpoint.TRANSFERS)
# And two looks for sub-account moves (subaccounts.py): this account is neither a sub-account (-12022) nor a master
# with sub-accounts (-8012).
TRANSFER_LISTS = len(DIRECTIONS) + 2
# Lists read after the convert history (Auto-Invest) and after the reward lists (ETH staking's four, spot rebates),
# each in ranges of its documented span from its documented first day (docs/exchange-apis/binance.md, "Auto-Invest
# and ETH staking" and "Spot rebates"); a sync that finds nothing new asks one range of each.
AUTO_INVEST = "/sapi/v1/lending/auto-invest/history/list"
ETH_STAKING = (
    "/sapi/v1/eth-staking/eth/history/stakingHistory",
    "/sapi/v1/eth-staking/eth/history/redemptionHistory",
    "/sapi/v1/eth-staking/wbeth/history/wrapHistory",
    "/sapi/v1/eth-staking/wbeth/history/unwrapHistory",
)
REBATES = "/sapi/v1/rebate/taxQuery"
NEW_LISTS = (AUTO_INVEST, *ETH_STAKING, REBATES)
# Crypto loans, on by default (docs/exchange-apis/binance.md, "Crypto loans"): the v1 lists from 2023-08-26 to
# 2024-02-27 08:00 and the v2 lists from then, 180 days a request; the open loans once on a sync of the whole history
# (the interest), not with a sync-from date. A sync that finds nothing new asks each v2 list once.
ENDPOINTS.add(Endpoint.CRYPTO_LOANS)
LOANS_V1 = tuple(
    f"/sapi/v1/loan/flexible/{tail}" for tail in ("borrow/history", "repay/history", "ltv/adjustment/history")
)
LOANS_V2 = (*(path.replace("/v1/", "/v2/") for path in LOANS_V1), "/sapi/v2/loan/flexible/liquidation/history")
LOANS_OPEN = "/sapi/v2/loan/flexible/ongoing/orders"
LOANS_V2_FROM = datetime(2024, 2, 27, 8, tzinfo=UTC)


def loan_requests(first: SyncResult, sync_from: date | None) -> dict[str, int]:
    """What a first sync asks each loan path, by hand from the pages' 180 days and the change log's dates."""
    loans = first.endpoint(Endpoint.CRYPTO_LOANS)
    assert loans is not None and loans.covered_until is not None
    span = span_ms(timedelta(days=180))
    v2_from = max(to_ms(LOANS_V2_FROM), date_ms(sync_from) if sync_from is not None else 0)
    asked = {path: math.ceil((to_ms(loans.covered_until) - v2_from + 1) / span) for path in LOANS_V2}
    if sync_from is None:  # 2023-08-26 00:00 to 2024-02-27 07:59:59.999: 185 days and 8 hours, two ranges
        asked |= {path: 2 for path in LOANS_V1}
        asked[LOANS_OPEN] = 1
    return asked


def new_list_requests(first: SyncResult, sync_from: date | None) -> dict[str, int]:
    """What a first sync asks each of NEW_LISTS: one request per range from the later of the list's first day and
    the sync-from date, to where its endpoint is complete."""
    convert, rewards = first.endpoint(Endpoint.CONVERT), first.endpoint(Endpoint.EARN_REWARDS)
    assert convert is not None and convert.covered_until is not None
    assert rewards is not None and rewards.covered_until is not None

    def ranges(until: datetime, first_day: date, span_days: int) -> int:
        start = date_ms(max(first_day, sync_from) if sync_from is not None else first_day)
        return math.ceil((to_ms(until) - start + 1) / span_ms(timedelta(days=span_days)))

    # Auto-Invest: "Max span between startTime and endTime is 30days"; no first day stated: Binance's opening.
    asked = {AUTO_INVEST: ranges(convert.covered_until, BINANCE_OPENED, 30)}
    # ETH staking: "cannot be longer than 3 months" (89 days fit any three); the service began 2020-12-02.
    asked |= {path: ranges(rewards.covered_until, date(2020, 12, 2), 89) for path in ETH_STAKING}
    # Rebates: "The max interval between startTime and endTime is 30 days", "The earliest startTime is supported on
    # June 10, 2020".
    asked[REBATES] = ranges(rewards.covered_until, date(2020, 6, 10), 30)
    return asked


async def test_a_full_first_sync_stores_the_ground_truth_and_a_resync_asks_only_what_it_must(bench: Bench) -> None:
    # As far back as Binance allows (no sync-from date): every window since Binance opened.
    bench.integration_id = await bench.connect(sync_from=None, name="Binance all")
    first = await bench.sync()
    first_requests = bench.emulator.requests.total

    assert first.status is SyncStatus.OK and first.status_detail is None
    assert {e.endpoint for e in first.endpoints} == ENDPOINTS
    assert all(as_without_fault(e.endpoint, e.status) and not e.gaps for e in first.endpoints)
    await assert_ground_truth(bench)
    expected = len(truth(bench.emulator))
    assert (first.fetched, first.new, first.known) == (expected, expected, 0)
    assert first.requests == first_requests  # the fetchers count every request they make
    assert first.markets_scanned and set(bench.emulator.account.traded_symbols) <= set(first.markets_scanned)
    assert bench.emulator.requests.unexpected == []
    # The minimum for a first sync: one request per window of each wallet endpoint since Binance opened, the
    # balances, and one myTrades call per market asked (each holds under one page of trades).
    opened = date_ms(BINANCE_OPENED)
    windows = 0
    for endpoint in (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.CONVERT, Endpoint.EARN_REWARDS):
        spec, done = get_profile("binance").endpoint(endpoint), first.endpoint(endpoint)
        assert spec is not None and spec.window is not None and done is not None and done.covered_until is not None
        windows += math.ceil((to_ms(done.covered_until) - opened + 1) / span_ms(spec.window))
    rewards = first.endpoint(Endpoint.EARN_REWARDS)
    assert rewards is not None and rewards.covered_until is not None
    windows += math.ceil((to_ms(rewards.covered_until) - opened + 1) / EARN_WINDOW_MS)  # real-time rewards
    launched = date_ms(SIMPLE_EARN_LAUNCHED)  # locked rewards and redemptions
    windows += 2 * math.ceil((to_ms(rewards.covered_until) - launched + 1) / EARN_WINDOW_MS)
    kinds = sum(done.requests for done in first.endpoints if done.endpoint in WALLET_KINDS)
    # And the lists after the convert history and the reward lists, each from its own first day.
    new_lists = new_list_requests(first, None)
    assert {path: bench.emulator.requests.count(path) for path in NEW_LISTS} == new_lists
    windows += sum(new_lists.values())
    loans = loan_requests(first, None)
    assert {path: bench.emulator.requests.count(path) for path in loans} == loans
    windows += sum(loans.values())
    assert first_requests == windows + kinds + 1 + len(first.markets_scanned) + UNUSED_KIND_LOOKS + TRANSFER_LISTS

    bench.emulator.requests.reset()
    second = await bench.sync()
    assert second.status is SyncStatus.OK
    assert (second.fetched, second.new, second.known) == (0, 0, 0)
    await assert_ground_truth(bench)
    # The minimum to learn that nothing changed: the balances (market discovery), one myTrades call per market
    # that has trades, and one call per wallet endpoint for the one window since the last sync.
    traded = set(bench.emulator.account.traded_symbols)
    assert bench.emulator.requests.count("/api/v3/myTrades") == len(traded)
    assert all(bench.emulator.requests.count(path) == 1 for path in (*WALLET_PATHS, *NEW_LISTS))
    resync = 1 + len(traded) + len(WALLET_PATHS) + WALLET_KIND_RESYNC + UNUSED_KIND_LOOKS + TRANSFER_LISTS
    resync += len(NEW_LISTS) + len(LOANS_V2) + 1  # and the open loans (a whole-history sync)
    assert all(bench.emulator.requests.count(path) == 1 for path in (*LOANS_V2, LOANS_OPEN))
    assert bench.emulator.requests.total == second.requests == resync

    # What /status reads: the integration is green, each endpoint ok with its time, the run recorded.
    async with bench.database.reader() as session:
        integration = await session.get(Integration, bench.integration_id)
        assert integration is not None and integration.status == "ok" and integration.status_detail is None
        assert integration.last_synced_at == second.finished_at
        states = (
            await session.scalars(
                select(EndpointState).where(
                    EndpointState.integration_id == bench.integration_id, EndpointState.market == ""
                )
            )
        ).all()
        assert {s.endpoint for s in states} == {str(e) for e in ENDPOINTS}
        used = [s for s in states if s.endpoint not in {str(e) for e in UNUSED_KINDS}]
        assert all(s.last_status == "skipped" for s in states if s not in used)
        assert all(s.last_status == "ok" and s.last_success_at is not None for s in used)
        assert all(s.last_error_code is None and s.covered_until is not None for s in used)
        runs = (await session.scalars(select(SyncRun).where(SyncRun.integration_id == bench.integration_id))).all()
        assert [r.status for r in runs] == ["ok", "ok"] and all(r.finished_at for r in runs)
        summary = next(r.summary for r in runs if r.id == first.run_id)
        assert summary["new"] == expected and summary["endpoints"]["deposits"]["status"] == "ok"


async def test_a_later_sync_stores_only_the_new_activity_with_exact_amounts(bench: Bench) -> None:
    first = await bench.sync()
    assert first.status is SyncStatus.OK
    # The account's sync-from date bounds every list, however far back the list reaches: none asks a range before it.
    assert first.sync_from is not None and first.sync_from > date(2020, 12, 2)
    asked = {path: bench.emulator.requests.count(path) for path in NEW_LISTS}
    assert asked == new_list_requests(first, first.sync_from)
    loans = {path: bench.emulator.requests.count(path) for path in (*LOANS_V1, *LOANS_V2, LOANS_OPEN)}
    assert {path: n for path, n in loans.items() if n} == loan_requests(first, first.sync_from)

    account = bench.emulator.account
    after = to_ms(first.finished_at) + 1
    last = account.trades_for("BTCUSDT")[-1] if account.trades_for("BTCUSDT") else account.trades[-1]
    market = account.market(last.symbol)
    trade = TradeRecord(
        id=str(int(last.id) + 1000),
        order_id="99000111",
        symbol=last.symbol,
        base=market.base,
        quote=market.quote,
        side="sell",
        price=market.price,
        amount=Decimal("0.00012345"),
        cost=(market.price * Decimal("0.00012345")).quantize(Decimal("0.00000001")),
        fee=Decimal("0.00000012"),
        fee_asset=market.quote,
        is_maker=True,
        timestamp=after,
    )
    deposit = DepositRecord("7777777", "e" * 64, "USDT", "ETH", Decimal("123456789.12345678"), "0xabc", after + 1)
    add_activity(bench.emulator, trades=[trade], deposits=[deposit])

    bench.emulator.requests.reset()
    later = await bench.sync()
    assert later.status is SyncStatus.OK
    assert (later.new, later.known) == (2, 0)
    new_deposits = later.endpoint(Endpoint.DEPOSITS)
    new_trades = later.endpoint(Endpoint.SPOT_TRADES)
    assert new_deposits is not None and new_deposits.new == 1
    assert new_trades is not None and new_trades.new == 1
    await assert_ground_truth(bench)
    rows = {r.natural_key: r for r in await bench.rows()}
    assert rows[f"deposit:{deposit.id}"].amount == Decimal("123456789.12345678")
    assert rows[f"deposit:{deposit.id}"].occurred_at == datetime.fromtimestamp(deposit.timestamp / 1000, UTC)
    # Still only the requests a no-change sync makes: the new records ride on pages it asks for anyway.
    resync = 1 + len(account.traded_symbols) + len(WALLET_PATHS) + WALLET_KIND_RESYNC + UNUSED_KIND_LOOKS
    resync += TRANSFER_LISTS + len(NEW_LISTS) + len(LOANS_V2)
    assert bench.emulator.requests.total == resync


async def test_history_already_uploaded_from_a_file_is_not_stored_twice(bench: Bench) -> None:
    account = bench.emulator.account
    from_file = [
        {
            "integration_id": bench.integration_id,
            "natural_key": natural_key(RecordKind.DEPOSIT, d.id),
            "kind": "deposit",
            "occurred_at": datetime.fromtimestamp(d.timestamp / 1000, UTC),
            "asset": d.asset,
            "amount": d.amount,
            "source": str(TransactionSource.FILE),
        }
        for d in account.deposits[:12]
    ] + [
        {
            "integration_id": bench.integration_id,
            "natural_key": natural_key(RecordKind.TRADE, f"{t.symbol}:{t.id}"),
            "kind": "trade",
            "occurred_at": datetime.fromtimestamp(t.timestamp / 1000, UTC),
            "market": f"{t.base}/{t.quote}",
            "side": t.side,
            "asset": t.base,
            "amount": t.amount,
            "quote_amount": t.cost,
            "price": t.price,
            "fee_amount": t.fee,
            "source": str(TransactionSource.FILE),
        }
        for t in account.trades[:30]
    ]
    async with bench.database.writer() as session:
        assert await TransactionRepository(session).insert_missing(from_file) == len(from_file)

    result = await bench.sync()

    assert result.status is SyncStatus.OK
    expected = len(truth(bench.emulator))
    assert (result.fetched, result.new, result.known) == (expected, expected - len(from_file), len(from_file))
    deposits = result.endpoint(Endpoint.DEPOSITS)
    assert deposits is not None and deposits.known == 12
    rows = await bench.rows()
    assert len(rows) == expected  # no duplicates: the unique natural key is the guard
    await assert_ground_truth(bench)
    assert sum(1 for r in rows if r.source == "file") == len(from_file)  # the uploaded rows are kept as they were


async def test_a_binance_trade_export_uploaded_before_the_first_sync_is_not_stored_twice(bench: Bench) -> None:
    """Binance's trade export has no trade ids, so the file's trades are stored under content keys; the sync must
    still recognise them as known rather than store each trade again under its API key."""
    account = bench.emulator.account
    uploaded = account.trades[:40]
    report = await ImportService(bench.database).import_file(
        TELEGRAM_USER, bench.integration_id, "binance-trades.csv", samples.binance_trade_export(uploaded)
    )
    assert report.written and report.new == len(uploaded)

    result = await bench.sync()

    expected = len(truth(bench.emulator))
    trades = result.endpoint(Endpoint.SPOT_TRADES)
    assert trades is not None and trades.known == len(uploaded)
    assert len(await bench.rows()) == expected, "every trade stored once"
