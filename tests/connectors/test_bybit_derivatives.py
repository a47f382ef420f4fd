"""Bybit derivatives against the emulator through real ccxt clients: fills of linear, inverse and option contracts,
realized profit and loss and funding from the transaction log, spot-margin interest from the borrow history.

A full sync stores exactly the scripted history (every record, exact amounts, no duplicates), the fee of a fill is
counted once (the log repeats it), a classic account is read through its own lists (its contract log writes a funding
payment as positive), a re-sync asks only for what is new, and the balance reads pick the wallets by the account's
kind and read a unified wallet net of its spot-margin loan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.balances import read_balances
from connectors.balances.bybit import _bybit_wallet
from connectors.fetchers.base import Cursor, FetchReport, UnsupportedEndpoint
from connectors.fetchers.bybit import BybitFetcher
from connectors.fetchers.bybit.derivative_rows import DerivativeRows, contract
from connectors.fetchers.bybit.pacing import Pacer
from connectors.fetchers.windows import to_ms
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, BybitEmulator, BybitLimits
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.bybit_derivatives_script import CashLine, DerivativesScript, Fill
from tests.connectors.test_fetch_bybit import UNPACED, bybit_client

SMALL = AccountProfile(years=0.2, traded_markets=3, trades=30, deposits=4, withdrawals=2, converts=2, transfers=2)
FAST = BybitLimits(per_second={}, default_per_second=10_000, ip_requests_per_5s=100_000)
KINDS = (Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_LOANS)
# Bybit's symbols as ccxt names them, written by hand (docs/v5/enum.mdx#symbol).
MARKETS = {"BTCUSDT": "BTC/USDT:USDT", "ETHUSDT": "ETH/USDT:USDT", "BTCUSD": "BTC/USD:BTC"}


@pytest.fixture(params=[False, True], ids=["unified", "classic"])
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[BybitEmulator]:
    async with BybitEmulator(seed=4242, profile=SMALL, limits=FAST, classic=request.param, derivatives=True) as e:
        yield e


def start_of(emulator: BybitEmulator) -> datetime:
    first = min(t.timestamp for t in emulator.account.trades)
    return datetime.fromtimestamp((first - DAY_MS) / 1000, tz=UTC)


async def sync(
    emulator: BybitEmulator,
    stored: dict[Endpoint, dict[str, Cursor]],
    until: datetime,
    skipped: list[tuple[Endpoint, str]] | None = None,
) -> dict[Endpoint, list[NormalizedRecord]]:
    """Every derivatives kind fetched as the engine does; an endpoint the fetcher skips is noted in `skipped` with
    its notice's id (the engine marks it skipped with that notice, which /status shows)."""
    found: dict[Endpoint, list[NormalizedRecord]] = {}
    async with bybit_client(emulator) as client:
        fetcher = BybitFetcher(get_profile("bybit"), client, pacer=UNPACED)
        for endpoint in KINDS:
            cursors = stored.setdefault(endpoint, {})
            records: list[NormalizedRecord] = []
            try:
                async for page in fetcher.fetch(
                    endpoint, since=start_of(emulator), until=until, cursors=dict(cursors), report=FetchReport()
                ):
                    cursors[page.market] = dict(page.cursor)
                    records.extend(page.records)
            except UnsupportedEndpoint as refusal:
                assert refusal.notice is not None and skipped is not None
                skipped.append((endpoint, refusal.notice.id))
                continue
            found[endpoint] = records
    return found


def option_market(symbol: str) -> str:
    """BTC-21NOV26-64000-C as ccxt writes it: BTC/USDC:USDC-261121-64000-C."""
    base, day, strike, kind = symbol.split("-")
    expiry = datetime.strptime(day, "%d%b%y").strftime("%y%m%d")
    return f"{base}/USDC:USDC-{expiry}-{strike}-{kind}"


def market_of(symbol: str) -> str:
    return MARKETS.get(symbol) or option_market(symbol)


def fills_of(records: Iterable[NormalizedRecord]) -> dict[str, tuple[object, ...]]:
    return {
        str(r.exchange_tx_id): (
            r.market,
            r.side,
            r.amount,
            r.price,
            r.quote_asset,
            r.quote_amount,
            r.fee_amount,
            r.fee_asset,
            to_ms(r.occurred_at),
        )
        for r in records
        if r.kind is RecordKind.FUTURES_TRADE
    }


def truth_fills(fills: Iterable[Fill]) -> dict[str, tuple[object, ...]]:
    return {
        f.exec_id: (market_of(f.symbol), f.side.lower(), f.qty, f.price, f.settle, f.value, f.fee, f.settle, f.time)
        for f in fills
    }


def lines_of(records: Iterable[NormalizedRecord], kind: RecordKind) -> list[tuple[object, ...]]:
    return sorted((r.market or "", r.asset, r.amount, to_ms(r.occurred_at)) for r in records if r.kind is kind)


def truth_lines(lines: Iterable[CashLine], *, funding: bool) -> list[tuple[object, ...]]:
    picked = [
        (market_of(x.symbol), x.currency, x.funding if funding else x.cash_flow, x.time)
        for x in lines
        if (x.funding if funding else x.cash_flow or x.type == "FEE_REFUND")
    ]
    return sorted(picked)


async def test_a_full_sync_stores_exactly_the_scripted_derivatives_and_counts_each_fee_once(
    emulator: BybitEmulator,
) -> None:
    script = emulator.derivatives.script
    skipped: list[tuple[Endpoint, str]] = []
    found = await sync(emulator, {}, datetime.now(UTC), skipped)
    every = [r for records in found.values() for r in records]
    assert len({r.natural_key for r in every}) == len(every), "duplicates"
    assert fills_of(found[Endpoint.FUTURES_TRADES]) == truth_fills(script.fills)
    assert lines_of(found[Endpoint.FUTURES_TRADES], RecordKind.REALIZED_PNL) == truth_lines(script.cash, funding=False)
    assert lines_of(found[Endpoint.FUNDING], RecordKind.FUNDING) == truth_lines(script.cash, funding=True)
    # Only the fee refund's fee is stored on a log line's record; every fill's line's fee is its execFee, kept once.
    line_fees = [
        (r.fee_asset, r.fee_amount) for r in found[Endpoint.FUTURES_TRADES] if r.kind is RecordKind.REALIZED_PNL
    ]
    assert [fee for fee in line_fees if fee != (None, None)] == [("USDT", Decimal("-0.42"))]
    interest = sorted((r.asset, r.amount, to_ms(r.occurred_at)) for r in found.get(Endpoint.MARGIN_LOANS, []))
    assert interest == sorted((c.currency, -c.cost, c.time) for c in script.interest)
    categories = {r.raw["category"] for r in found[Endpoint.FUTURES_TRADES] if r.kind is RecordKind.FUTURES_TRADE}
    if emulator.book.classic:
        assert categories == {"linear", "inverse"} and interest == []
        assert skipped == [(Endpoint.MARGIN_LOANS, "profile.bybit.skip.classic_no_loans")]
        assert "/v5/account/transaction-log" not in emulator.requests.by_path
        assert "/v5/account/borrow-history" not in emulator.requests.by_path
    else:
        assert categories == {"linear", "inverse", "option"} and len(interest) == 3 and skipped == []
        assert "/v5/account/contract-transaction-log" not in emulator.requests.by_path
    # What the records move, coin by coin, is exactly what the log says the wallet changed (Change = cashFlow +
    # funding - fee): the fee of each fill is counted once, from the execution, never again from the log; a fee refund's
    # fee, which no fill carries, from its line.
    moved: dict[str, Decimal] = {}
    for r in every:
        if r.kind is not RecordKind.FUTURES_TRADE:
            moved[r.asset] = moved.get(r.asset, Decimal(0)) + r.amount
        if r.fee_asset and r.fee_amount:
            moved[r.fee_asset] = moved.get(r.fee_asset, Decimal(0)) - r.fee_amount
    assert moved == script.change()


async def test_a_resync_asks_only_for_the_new_windows_and_stores_only_the_new_fill() -> None:
    async with BybitEmulator(seed=77, profile=SMALL, listed_symbols=20, limits=FAST, derivatives=True) as emulator:
        now = emulator.clock.now_ms()
        stored: dict[Endpoint, dict[str, Cursor]] = {}
        first = await sync(emulator, stored, datetime.fromtimestamp((now - DAY_MS) / 1000, tz=UTC))
        assert fills_of(first[Endpoint.FUTURES_TRADES]) == truth_fills(emulator.derivatives.script.fills)
        # A new fill and its log line, twelve hours ago: after the first sync's end.
        old = emulator.derivatives.script
        fill = dataclasses.replace(old.fills[0], exec_id="0b0b0b0b-new-fill", order_id="new", time=now - 12 * HOUR_MS)
        line = dataclasses.replace(old.cash[0], id="new_line", trade_id=fill.exec_id, time=fill.time,
                                   cash_flow=Decimal("1.25"))  # fmt: skip
        emulator.derivatives.script = dataclasses.replace(old, fills=(*old.fills, fill), cash=(*old.cash, line))
        before = dict(emulator.requests.by_path)
        second = await sync(emulator, stored, datetime.now(UTC))
        asked = {path: count - before.get(path, 0) for path, count in emulator.requests.by_path.items()}
    assert fills_of(second[Endpoint.FUTURES_TRADES]) == truth_fills([fill])
    assert lines_of(second[Endpoint.FUTURES_TRADES], RecordKind.REALIZED_PNL) == [
        ("BTC/USDT:USDT", "USDT", Decimal("1.25"), now - 12 * HOUR_MS)
    ]
    assert second[Endpoint.FUNDING] == [] and second[Endpoint.MARGIN_LOANS] == []
    # One 7-day window (at most two, when the day re-read crosses a window) per category, per log walk, and one
    # 30-day borrow window: never the history again.
    assert asked["/v5/execution/list"] <= 3 * 2
    assert asked["/v5/account/transaction-log"] <= 2 * 2
    assert asked["/v5/account/borrow-history"] <= 2


async def test_balances_are_read_from_the_wallets_of_the_accounts_kind_and_net_of_spot_borrowing(
    emulator: BybitEmulator,
) -> None:
    async with bybit_client(emulator) as client:
        snapshot = await read_balances(client, get_profile("bybit"))
    script = emulator.derivatives.script
    expected = {b.asset: b.total for b in emulator.account.balances}
    for coin, change in script.change().items():  # the borrowed 250 USDT is not the account's: not added
        expected[coin] = expected.get(coin, Decimal(0)) + change
    assert snapshot.totals == {coin: amount for coin, amount in expected.items() if amount != 0}
    assert snapshot.complete and snapshot.requests == len(snapshot.wallets_read) + 1  # + the account's kind
    if emulator.book.classic:
        assert snapshot.wallets_read == ["spot", "contract", "funding", "savings", "earn", "crypto_loan"]
    else:
        assert snapshot.wallets_read == ["unified", "funding", "savings", "earn", "crypto_loan"]
        assert script.spot_borrow == {"USDT": Decimal(250)}


def test_a_unified_wallet_is_read_net_of_what_it_borrowed_on_spot_margin() -> None:
    # wallet-balance.mdx: "old walletBalance = new walletBalance - spotBorrow".
    body = {"result": {"list": [{"coin": [
        {"coin": "USDT", "walletBalance": "2000", "spotBorrow": "5000"},
        {"coin": "BTC", "walletBalance": "0.805994", "spotBorrow": ""},
        {"coin": "ETH", "walletBalance": "1.5"},
    ]}]}}  # fmt: skip
    assert list(_bybit_wallet(body)) == [
        ("USDT", Decimal(-3000)),
        ("BTC", Decimal("0.805994")),
        ("ETH", Decimal("1.5")),
    ]


@pytest.mark.parametrize(
    ("category", "symbol", "expected"),
    [
        ("linear", "BTCUSDT", ("BTC", "USDT", "BTC/USDT:USDT")),
        ("linear", "ETHPERP", ("ETH", "USDC", "ETH/USDC:USDC")),
        ("linear", "BTCUSDT-21FEB25", ("BTC", "USDT", "BTC/USDT:USDT-250221")),
        ("linear", "BTC-27DEC24", ("BTC", "USDC", "BTC/USDC:USDC-241227")),
        ("inverse", "BTCUSD", ("BTC", "BTC", "BTC/USD:BTC")),
        ("option", "BTC-30DEC22-18000-C", ("BTC", "USDC", "BTC/USDC:USDC-221230-18000-C")),
        ("option", "ETH-7JUN24-3000-P-USDT", ("ETH", "USDT", "ETH/USDT:USDT-240607-3000-P")),
        ("inverse", "BTCUSDH25", None),  # inverse futures: kept as Bybit names them
    ],
)
def test_bybit_symbols_become_ccxt_symbols_with_their_settle_coin(
    category: str, symbol: str, expected: tuple[str, str, str] | None
) -> None:
    assert contract(category, symbol) == expected


def test_the_classic_log_writes_a_funding_payment_as_positive() -> None:
    # contract-transaction-log.mdx's example: funding "-0.00000156" on a short BTCUSD ("Negative value means
    # receiving funding fee"), change "0.00000156": received.
    row = {"id": "467153", "symbol": "BTCUSD", "category": "inverse", "type": "SETTLEMENT", "currency": "BTC",
           "funding": "-0.00000156", "cashFlow": "0.00000000", "transactionTime": "1714032000000",
           "tradeId": "423a565c-f1b6-4c81-bc62-760cd7dd89e7"}  # fmt: skip
    rows = DerivativeRows(lambda coin: coin)
    classic, _ = rows.funding(deducted_positive=True)(row, 0)
    unified, _ = rows.funding(deducted_positive=False)(row, 0)
    assert classic is not None and classic.amount == Decimal("0.00000156") and classic.market == "BTC/USD:BTC"
    assert unified is not None and unified.amount == Decimal("-0.00000156")
    assert rows.realized(row, 0) == (None, None)  # no cash flow: no realized profit or loss
    assert classic.occurred_at == datetime(2024, 4, 25, 8, tzinfo=UTC)


def test_transfers_and_spot_lines_of_the_log_are_not_profit() -> None:
    rows = DerivativeRows(lambda coin: coin)
    base = {"symbol": "", "currency": "USDT", "cashFlow": "500", "transactionTime": "1714032000000", "tradeId": ""}
    assert rows.realized({**base, "category": "linear", "type": "TRANSFER_IN"}, 0) == (None, None)
    assert rows.realized({**base, "category": "spot", "type": "TRADE"}, 0) == (None, None)


def test_the_fee_of_a_log_line_no_fill_stands_behind_is_stored_and_a_fills_is_not() -> None:
    # transaction-log.mdx: "Change = cashFlow + funding - fee"; `fee` "Positive fee value means expense; Negative fee
    # value means rebates". A FEE_REFUND line has no execution behind it (enum.mdx#exectype lists none), so its fee is
    # its own: -0.42 paid back is a change of +0.42 USDT. A TRADE line's fee is its fill's execFee, kept with the fill.
    rows = DerivativeRows(lambda coin: coin)
    base = {"id": "592324", "symbol": "BTCUSDT", "category": "linear", "currency": "USDT",
            "transactionTime": "1714032000000", "tradeId": "", "funding": ""}  # fmt: skip
    refund, _ = rows.realized({**base, "type": "FEE_REFUND", "cashFlow": "0", "fee": "-0.42"}, 0)
    assert refund is not None
    assert (refund.kind, refund.asset, refund.amount) == (RecordKind.REALIZED_PNL, "USDT", Decimal(0))
    assert (refund.fee_asset, refund.fee_amount) == ("USDT", Decimal("-0.42"))
    closing, _ = rows.realized({**base, "type": "TRADE", "cashFlow": "12.5", "fee": "0.3", "tradeId": "t-1"}, 0)
    assert closing is not None and closing.amount == Decimal("12.5")
    assert (closing.fee_asset, closing.fee_amount) == (None, None)
    assert rows.realized({**base, "type": "TRADE", "cashFlow": "0", "fee": "0.3", "tradeId": "t-2"}, 0) == (None, None)


CLASSIC_LOG = "/v5/account/contract-transaction-log"


@pytest.mark.parametrize("reach_days", [None, 730], ids=["no reach", "two years"])
async def test_the_classic_log_whose_page_states_no_reach_is_read_as_far_back_as_bybit_answers(
    reach_days: int | None,
) -> None:
    # docs/v5/abandon/contract-transaction-log.mdx states no reach. A classic account whose only line is a funding
    # payment 800 days old (the page's example: funding "-0.00000156", received), synced from 810 days back: where
    # the log answers that far, the payment is stored; where it keeps two years, the sync still succeeds, stores
    # nothing older and names the rest as out of reach. One probe request decides.
    async with BybitEmulator(seed=4242, profile=SMALL, limits=FAST, classic=True, derivatives=True) as emulator:
        now = emulator.clock.now_ms()
        when = now - 800 * DAY_MS
        paid = CashLine("467153", "BTCUSD", "inverse", "Sell", when, "SETTLEMENT", Decimal(1000), Decimal(-1000),
                        "BTC", Decimal("63974.88"), Decimal(0), Decimal("0.00000156"))  # fmt: skip
        emulator.derivatives.script = dataclasses.replace(emulator.derivatives.script, fills=(), cash=(paid,))
        emulator.derivatives.contract_log_reach_ms = reach_days * DAY_MS if reach_days else None
        report = FetchReport()
        async with bybit_client(emulator) as client:
            fetcher = BybitFetcher(get_profile("bybit"), client, pacer=UNPACED)
            since = datetime.fromtimestamp((now - 810 * DAY_MS) / 1000, tz=UTC)
            until = datetime.fromtimestamp(now / 1000, tz=UTC)
            pages = fetcher.fetch(Endpoint.FUNDING, since=since, until=until, cursors={}, report=report)
            stored = [(r.kind, r.asset, r.amount, to_ms(r.occurred_at)) async for p in pages for r in p.records]
        asked = emulator.requests.by_path[CLASSIC_LOG]
    if reach_days is None:
        assert stored == [(RecordKind.FUNDING, "BTC", Decimal("0.00000156"), when)]
        assert report.gaps == []
        assert asked == 1 + 116  # the probe, then 810 days in 7-day windows
    else:
        assert stored == []
        assert [gap.endpoint for gap in report.gaps] == [Endpoint.FUNDING]
        assert asked == 1 + 105  # the refused probe, then two years in 7-day windows


def only(emulator: BybitEmulator, category: str | None, script: DerivativesScript | None = None) -> None:
    """Keep the scripted derivatives of one category (None: none at all)."""
    script = script or emulator.derivatives.script
    emulator.derivatives.script = dataclasses.replace(
        script,
        fills=tuple(f for f in script.fills if f.category == category),
        cash=tuple(x for x in script.cash if x.category == category),
    )


async def test_the_fills_of_a_category_are_asked_for_only_once_the_log_shows_that_category() -> None:
    async with BybitEmulator(seed=78, profile=SMALL, listed_symbols=20, limits=FAST, derivatives=True) as emulator:
        scripted = emulator.derivatives.script
        for category in (None, "linear"):
            only(emulator, category, scripted)
            before = emulator.requests.by_path.get("/v5/execution/list", 0)
            stored: dict[Endpoint, dict[str, Cursor]] = {}
            found = await sync(emulator, stored, datetime.now(UTC))
            fills = fills_of(found[Endpoint.FUTURES_TRADES])
            if category is None:
                # A spot-only account: the log walk only, not one execution request (they would be 3 x 12 here).
                assert fills == {} and emulator.requests.by_path.get("/v5/execution/list", 0) == before
                assert set(stored[Endpoint.FUTURES_TRADES]) == {"uta_log_pnl"}
            else:
                assert (
                    fills == truth_fills(emulator.derivatives.script.fills) and len(fills) == 4
                )  # two USDT perpetuals, opened and closed
                assert set(stored[Endpoint.FUTURES_TRADES]) == {"uta_log_pnl", "linear"}
                assert stored[Endpoint.FUTURES_TRADES]["uta_log_pnl"]["seen_categories"] == ["linear"]


async def test_a_category_the_log_showed_before_an_interruption_is_still_walked_later() -> None:
    async with BybitEmulator(seed=79, profile=SMALL, listed_symbols=20, limits=FAST, derivatives=True) as emulator:
        only(emulator, "inverse")
        stored: dict[Endpoint, dict[str, Cursor]] = {}
        await sync(emulator, stored, datetime.now(UTC))
        # As if the sync had stopped after the log walk: its cursor (with the category seen) kept, no fill walk yet.
        stored[Endpoint.FUTURES_TRADES].pop("inverse")
        resumed = {Endpoint.FUTURES_TRADES: {"uta_log_pnl": stored[Endpoint.FUTURES_TRADES]["uta_log_pnl"]}}
        found = await sync(emulator, resumed, datetime.now(UTC))
    assert fills_of(found[Endpoint.FUTURES_TRADES]) == truth_fills(emulator.derivatives.script.fills)


async def test_the_transaction_log_is_paced_at_25_a_second_counted_from_each_answer() -> None:
    """Bybit allows 25 transaction-log requests a second (rate-limit.mdx, Account table); ccxt's cost table sends 50.
    A request is counted from its answer (ccxt may have held it after its turn): the 26th waits until the first
    answer is 1.1 s old (the second and a tenth of it)."""
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = Pacer(clock=lambda: now[0], sleep=sleep)
    for _ in range(25):
        await pacer.turn("privateGetV5AccountTransactionLog")
        now[0] += 0.01  # held by ccxt and answered 10 ms later
        pacer.answered("privateGetV5AccountTransactionLog")
    assert waits == []
    await pacer.turn("privateGetV5AccountTransactionLog")
    assert waits == [pytest.approx(0.01 + 1.1 - 0.25)]
    await pacer.turn("privateGetV5ExecutionList")  # no budget of its own beyond ccxt's: never waits here
    assert len(waits) == 1
