"""Bybit fetcher against the Bybit emulator through real ccxt clients from the ClientPool.

Bybit's API reaches about two years back for trades and pages with its own cursor inside 7- and 30-day windows:
a user's first sync brings back all of that (and says what is older than Bybit can give), a later sync asks one
window per endpoint, and a rate-limited sync stops cleanly and carries on where it stopped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited, UnsupportedEndpoint
from connectors.fetchers.bybit import BYBIT_OPENED, BybitFetcher
from connectors.fetchers.bybit.pacing import Pacer
from connectors.fetchers.bybit.rows import RowReader
from connectors.fetchers.registry import fetcher_for
from connectors.fetchers.windows import date_ms, span_ms, to_ms
from connectors.profiles import Endpoint, ExchangeProfile, get_profile
from connectors.records import NormalizedRecord
from i18n import render
from sandbox.exchanges import AccountProfile, BybitEmulator, BybitLimits, DepositRecord, TradeRecord
from sandbox.exchanges.bybit_assets import is_internal

PROFILE = AccountProfile(
    years=3.0, traded_markets=16, trades=900, deposits=40, withdrawals=25, converts=20, transfers=25, rewards=30
)
FAST = BybitLimits(per_second={}, default_per_second=10_000, ip_requests_per_5s=100_000)
UNPACED = Pacer(budgets={})  # with the emulator's budgets lifted, the fetcher's own pacing is lifted too
WINDOWED = (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.TRANSFERS, Endpoint.SPOT_TRADES)
PATHS = {
    Endpoint.SPOT_TRADES: "/v5/execution/list",
    Endpoint.DEPOSITS: "/v5/asset/deposit/query-record",
    Endpoint.WITHDRAWALS: "/v5/asset/withdraw/query-record",
    Endpoint.TRANSFERS: "/v5/asset/transfer/query-inter-transfer-list",
}
INTERNAL_DEPOSITS = "/v5/asset/deposit/query-internal-record"
UNIVERSAL_TRANSFERS = "/v5/asset/transfer/query-universal-transfer-list"  # moves with sub-accounts, in TRANSFERS
KEY_INFO = "/v5/user/query-api"


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    async with BybitEmulator(seed=20240612, profile=PROFILE, listed_symbols=150, limits=FAST) as emulator:
        yield emulator


@asynccontextmanager
async def bybit_client(emulator: BybitEmulator) -> AsyncIterator[Any]:
    keys = emulator.create_demo_keys()
    pool = ClientPool({"bybit": emulator.base_url})
    credentials = {"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret}
    try:
        async with pool.client("bybit", "credential-1", credentials) as client:
            client.throttler.config["refillRate"] = 1e6  # counts, not times, are under test
            yield client
    finally:
        await pool.close()


async def drain(
    fetcher: Any,
    endpoint: Endpoint,
    stored: dict[str, Cursor],
    *,
    until: datetime,
    report: FetchReport | None = None,
    stop_after: int | None = None,
    into: list[NormalizedRecord] | None = None,
) -> list[NormalizedRecord]:
    """Fetch one endpoint the way the sync engine does: keep each page's records and cursor as committed
    (in `into`, which keeps them when the fetch stops with an exception)."""
    records: list[NormalizedRecord] = [] if into is None else into
    pages = 0
    async for page in fetcher.fetch(
        endpoint, since=None, until=until, cursors=dict(stored), report=report or FetchReport()
    ):
        stored[page.market] = json.loads(json.dumps(page.cursor))
        records.extend(page.records)
        pages += 1
        if stop_after is not None and pages >= stop_after:
            break
    return records


def executions(records: Iterable[NormalizedRecord]) -> dict[str, tuple[object, ...]]:
    return {
        str(r.exchange_tx_id): (
            r.raw["symbol"],
            r.side,
            r.amount,
            r.price,
            r.quote_amount,
            r.fee_amount,
            r.fee_asset,
            to_ms(r.occurred_at),
        )
        for r in records
    }


def truth_executions(trades: Iterable[TradeRecord]) -> dict[str, tuple[object, ...]]:
    return {t.id: (t.symbol, t.side, t.amount, t.price, t.cost, t.fee, t.fee_asset, t.timestamp) for t in trades}


def assert_ground_truth(emulator: BybitEmulator, found: Mapping[Endpoint, list[NormalizedRecord]]) -> None:
    account = emulator.account
    for endpoint, records in found.items():
        keys = [r.natural_key for r in records]
        assert len(keys) == len(set(keys)), f"duplicates in {endpoint}"
    oldest, _ = emulator.trades_reachable
    reachable = [t for t in account.trades if t.timestamp >= oldest]
    assert executions(found[Endpoint.SPOT_TRADES]) == truth_executions(reachable)
    # On-chain deposits and internal (off-chain) ones, whose times Bybit gives in seconds.
    assert {r.exchange_tx_id: (r.asset, r.amount, to_ms(r.occurred_at)) for r in found[Endpoint.DEPOSITS]} == {
        d.id: (d.asset, d.amount, d.timestamp // 1000 * 1000 if is_internal(d) else d.timestamp)
        for d in account.deposits
    }
    assert {
        r.exchange_tx_id: (r.asset, r.amount, r.fee_amount, to_ms(r.occurred_at)) for r in found[Endpoint.WITHDRAWALS]
    } == {w.id: (w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals}
    assert {r.exchange_tx_id: (r.asset, r.amount, to_ms(r.occurred_at)) for r in found[Endpoint.TRANSFERS]} == {
        t.id: (t.asset, t.amount, t.timestamp) for t in account.transfers
    }


def windows(endpoint: Endpoint, start_ms: int, until: datetime) -> int:
    spec = get_profile("bybit").endpoint(endpoint)
    assert spec is not None and spec.window is not None
    return math.ceil((to_ms(until) - start_ms + 1) / span_ms(spec.window))


async def test_first_sync_returns_everything_bybit_still_has_and_says_what_is_older(bybit: BybitEmulator) -> None:
    async with bybit_client(bybit) as client:
        fetcher = fetcher_for(get_profile("bybit"), client)
        assert isinstance(fetcher, BybitFetcher)
        fetcher.pacer = UNPACED
        bybit.requests.reset()
        until = datetime.now(UTC)
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        reports = {e: FetchReport() for e in WINDOWED}
        found = {
            e: await drain(fetcher, e, cursors.setdefault(e, {}), until=until, report=reports[e]) for e in WINDOWED
        }
        assert_ground_truth(bybit, found)

        # Trades older than 730 days are Bybit's to keep: one gap, from Bybit's opening, saying why.
        (gap,) = reports[Endpoint.SPOT_TRADES].gaps
        assert gap.start.date() == BYBIT_OPENED
        oldest, _ = bybit.trades_reachable
        assert 0 < to_ms(gap.end) - oldest <= 2 * 3_600_000
        assert "730 days" in render(gap.reason) and "file" in render(gap.reason)
        assert all(not r.gaps for e, r in reports.items() if e is not Endpoint.SPOT_TRADES)

        # One request per window (no window here holds more than a page), none wasted.
        assert bybit.requests.count(PATHS[Endpoint.SPOT_TRADES]) == windows(Endpoint.SPOT_TRADES, to_ms(gap.end), until)
        for endpoint in (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.TRANSFERS):
            expected = windows(endpoint, date_ms(BYBIT_OPENED), until)
            assert bybit.requests.count(PATHS[endpoint]) == expected
            # Deposits: on-chain, then internal; transfers: the own wallets', then (after the key info that names
            # this UID) the moves with sub-accounts.
            walks = 2 if endpoint in (Endpoint.DEPOSITS, Endpoint.TRANSFERS) else 1
            key_info = 1 if endpoint is Endpoint.TRANSFERS else 0
            assert reports[endpoint].requests == walks * expected + key_info
        assert bybit.requests.count(INTERNAL_DEPOSITS) == windows(Endpoint.DEPOSITS, date_ms(BYBIT_OPENED), until)
        assert bybit.requests.count(UNIVERSAL_TRANSFERS) == windows(Endpoint.TRANSFERS, date_ms(BYBIT_OPENED), until)
        assert bybit.requests.count(KEY_INFO) == 1
        assert bybit.requests.unexpected == []

        # Nothing new: exactly one request per endpoint.
        bybit.requests.reset()
        second_until = datetime.now(UTC)
        again = {e: await drain(fetcher, e, cursors[e], until=second_until) for e in WINDOWED}
        assert all(not records for records in again.values())
        assert bybit.requests.total == len(WINDOWED) + 3  # deposits ask both lists; transfers key info and both

        # New activity: a trade and a deposit since the last sync come back, and nothing else.
        now = to_ms(second_until) + 1  # since the last sync
        trade = dataclasses.replace(bybit.account.trades[-1], id="a7e0c1de-0000-4000-8000-000000000001", timestamp=now)
        deposit = DepositRecord("77001", "e" * 64, "BTC", "BTC", Decimal("0.00000001"), "bc1qxyz", now + 1)
        grown = dataclasses.replace(
            bybit.account, trades=(*bybit.account.trades, trade), deposits=(*bybit.account.deposits, deposit)
        )
        bybit.account = bybit.book.account = bybit.assets.account = grown
        bybit.requests.reset()
        await asyncio.sleep(0.01)
        later = {e: await drain(fetcher, e, cursors[e], until=datetime.now(UTC)) for e in WINDOWED}
        assert executions(later[Endpoint.SPOT_TRADES]) == truth_executions([trade])
        assert [(r.exchange_tx_id, r.amount) for r in later[Endpoint.DEPOSITS]] == [("77001", Decimal("0.00000001"))]
        assert later[Endpoint.WITHDRAWALS] == [] and later[Endpoint.TRANSFERS] == []
        assert bybit.requests.total == len(WINDOWED) + 3


def small_pages(size: int) -> ExchangeProfile:
    profile = get_profile("bybit")
    return dataclasses.replace(
        profile, endpoints=tuple(dataclasses.replace(s, page_size=size) for s in profile.endpoints)
    )


async def test_cursor_pages_inside_windows_resume_exactly_after_an_interruption(bybit: BybitEmulator) -> None:
    async with bybit_client(bybit) as client:
        until = datetime.now(UTC)
        found: dict[Endpoint, list[NormalizedRecord]] = {}
        for endpoint in WINDOWED:
            stored: dict[str, Cursor] = {}
            records: list[NormalizedRecord] = []
            for stop_after in (5, 17, 3, None):  # interrupted syncs, each from the committed cursors
                fetcher = BybitFetcher(small_pages(2), client, pacer=UNPACED)
                records += await drain(fetcher, endpoint, stored, until=until, stop_after=stop_after)
            found[endpoint] = records
        assert_ground_truth(bybit, found)  # no duplicates across the resumed syncs, nothing missing
    # Two-row pages really paged inside windows with Bybit's cursor (about 5 executions a week here).
    assert bybit.requests.count(PATHS[Endpoint.SPOT_TRADES]) > 2 * 105


async def test_rate_limited_fetch_stops_after_a_complete_page_and_resumes_from_its_cursor() -> None:
    limits = dataclasses.replace(FAST, per_second={"/v5/execution/list": 20})
    async with (
        BybitEmulator(seed=20240612, profile=PROFILE, listed_symbols=150, limits=limits) as emulator,
        bybit_client(emulator) as client,
    ):
        until = datetime.now(UTC)
        stored: dict[str, Cursor] = {}
        records: list[NormalizedRecord] = []
        stops = 0
        reports: list[FetchReport] = []
        while True:
            report = FetchReport()
            reports.append(report)
            fetcher = BybitFetcher(get_profile("bybit"), client, pacer=UNPACED)
            try:
                await drain(fetcher, Endpoint.SPOT_TRADES, stored, until=until, report=report, into=records)
            except RateLimited as stop:
                stops += 1
                assert stop.endpoint is Endpoint.SPOT_TRADES
                assert stop.retry_after is not None and 0 <= stop.retry_after <= 1  # Bybit's reset timestamp
                emulator.reset_rate_limits()
                continue
            break
        assert stops >= 4
        oldest, _ = emulator.trades_reachable
        keys = [r.natural_key for r in records]
        assert len(keys) == len(set(keys))
        assert executions(records) == truth_executions(t for t in emulator.account.trades if t.timestamp >= oldest)
        # The lookback gap is reported once, by the first attempt; later ones resume inside the reach.
        assert [len(r.gaps) for r in reports] == [1] + [0] * stops
        # Each refused request is the only one repeated.
        gap_end = to_ms(reports[0].gaps[0].end)
        assert (
            emulator.requests.count(PATHS[Endpoint.SPOT_TRADES])
            == windows(Endpoint.SPOT_TRADES, gap_end, until) + stops
        )


# -------------------------------------------------------------------------------------------- converts


async def test_a_classic_accounts_spot_trades_all_come_back_with_their_fee_coin() -> None:
    """Classic accounts' executions carry execType "" and no feeCurrency (ccxt's recorded classic spot row):
    every one is a trade, and its fee coin follows Bybit's spot rule (a buy pays in the base coin, a sell in
    the quote coin), the same coins the account really paid in."""
    async with (
        BybitEmulator(seed=20240612, profile=PROFILE, listed_symbols=150, limits=FAST, classic=True) as emulator,
        bybit_client(emulator) as client,
    ):
        fetcher = BybitFetcher(get_profile("bybit"), client, pacer=UNPACED)
        records = await drain(fetcher, Endpoint.SPOT_TRADES, {}, until=datetime.now(UTC))
    oldest, _ = emulator.trades_reachable
    reachable = [t for t in emulator.account.trades if t.timestamp >= oldest]
    assert len(reachable) > 100
    # A classic row leaves execValue empty: what one reads off it is price times quantity.
    assert executions(records) == truth_executions(dataclasses.replace(t, cost=t.price * t.amount) for t in reachable)
    assert {r.fee_asset for r in records if r.side == "buy"} == {t.base for t in reachable if t.side == "buy"}


async def test_converts_from_the_emulator_and_the_reach_of_web_converts_said_once(bybit: BybitEmulator) -> None:
    """Bybit lists converts made on its website only from 2025-09-10 on: the first walk says so (a gap pointing at
    file upload), the records are exactly what the API lists, and the next sync neither repeats nor re-says."""
    async with bybit_client(bybit) as client:
        fetcher = BybitFetcher(get_profile("bybit"), client, pacer=UNPACED)
        stored: dict[str, Cursor] = {}
        report = FetchReport()
        first = await drain(fetcher, Endpoint.CONVERT, stored, until=datetime.now(UTC), report=report)
        listed = bybit.assets.listed_converts()
        assert 0 < len(listed) < len(bybit.account.converts)  # older web converts are not in the API
        assert {(r.exchange_tx_id, r.asset, r.amount, r.quote_asset, r.quote_amount) for r in first} == {
            (c.quote_id, c.to_asset, c.to_amount, c.from_asset, c.from_amount) for c in listed
        }
        (gap,) = report.gaps
        assert gap.end == datetime(2025, 9, 10, tzinfo=UTC) and gap.reason.id == "sync.gap.bybit.web_converts"
        assert "website" in render(gap.reason) and "file" in render(gap.reason)
        again = FetchReport()
        assert await drain(fetcher, Endpoint.CONVERT, stored, until=datetime.now(UTC), report=again) == []
        assert again.gaps == [] and again.requests == 1


class FakeConvertClient:
    """Bybit's convert history with rows still processing: newest first, by page number."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows
        self.calls: list[dict[str, Any]] = []

    def safe_currency_code(self, code: str) -> str:
        return code

    async def privateGetV5AssetExchangeQueryConvertHistory(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(params)
        ordered = sorted(self.rows, key=lambda r: int(r["createdAt"]), reverse=True)
        index, limit = int(params["index"]), int(params["limit"])
        return {"retCode": 0, "result": {"list": ordered[(index - 1) * limit : index * limit]}}


def convert(ident: str, when: int, status: str = "success") -> dict[str, str]:
    return {
        "accountType": "eb_convert_uta",
        "exchangeTxId": ident,
        "fromCoin": "USDT",
        "fromAmount": "10",
        "toCoin": "BTC",
        "toAmount": "0.00015344889",
        "exchangeStatus": status,
        "convertRate": "0.000015344889",
        "createdAt": str(when),
    }


async def test_converts_walk_newest_first_down_to_the_last_one_committed() -> None:
    now = to_ms(datetime.now(UTC)) - 3_600_000  # an hour ago
    rows = [convert(f"c{i}", now - (10 - i) * 60_000) for i in range(7)]
    rows.append(convert("failed", now - 30_000, "failure"))
    client = FakeConvertClient(rows)
    fetcher = BybitFetcher(small_pages(3), client)
    stored: dict[str, Cursor] = {}
    first = await drain(fetcher, Endpoint.CONVERT, stored, until=datetime.now(UTC))
    assert sorted(r.exchange_tx_id or "" for r in first) == [f"c{i}" for i in range(7)]
    assert {(r.asset, r.amount, r.quote_asset, r.quote_amount) for r in first} == {
        ("BTC", Decimal("0.00015344889"), "USDT", Decimal("10"))
    }
    assert len(client.calls) == 3  # 8 rows in pages of 3

    # One new convert and one still processing: the walk stops at the newest committed; the pending one holds
    # the cursor so the next sync sees it once it settles.
    client.rows += [convert("new", now + 1_000), convert("pending", now + 2_000, "processing")]
    client.calls.clear()
    second = await drain(fetcher, Endpoint.CONVERT, stored, until=datetime.now(UTC))
    assert [r.exchange_tx_id for r in second] == ["new"]
    assert len(client.calls) == 1  # page 1 already reaches the newest convert committed before
    client.rows[-1]["exchangeStatus"] = "success"
    third = await drain(fetcher, Endpoint.CONVERT, stored, until=datetime.now(UTC))
    assert [r.exchange_tx_id for r in third] == ["pending"]


def test_unsupported_endpoints_are_refused_before_any_request() -> None:
    fetcher = BybitFetcher(get_profile("bybit"), client=None)
    assert not fetcher.supports(Endpoint.DUST)
    with pytest.raises(UnsupportedEndpoint):
        fetcher.fetch(Endpoint.DUST, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport())


# -------------------------------------------------------------------------------------------- deposit states


@pytest.mark.parametrize(
    ("status", "stored"),
    [
        (3, True),  # success
        (10012, True),  # credited to the funding pool
        (70012, True),  # "Deposit remains successful after rollback review"
        (4, False),  # deposit failed
        (70011, False),  # "Deposit rolled back"
    ],
)
def test_every_final_deposit_status_of_bybits_enum_is_read_as_bybit_means_it(status: int, stored: bool) -> None:
    """docs/v5/enum.mdx#depositstatus, on the docs' own deposit row (deposit-record.mdx)."""
    row = {
        "coin": "USDT",
        "chain": "TRX",
        "amount": "999.0496",
        "txID": "04bf3fbad2fc85b107a42cfdc5ff83110092b606ca754efa0f032f8b94b3262e",
        "status": status,
        "depositFee": "",
        "successAt": "1742728163000",
        "id": "160237231",
    }
    record, hold = RowReader(lambda code: code, None).deposit(row, 0)
    assert hold is None
    if stored:
        assert record is not None and (record.asset, record.amount, record.exchange_tx_id) == (
            "USDT",
            Decimal("999.0496"),
            "160237231",
        )
    else:
        assert record is None


def test_deposits_still_on_their_way_hold_the_cursor_while_recent() -> None:
    now = to_ms(datetime.now(UTC))
    for status in (1, 2, 7, 10011):  # to be confirmed, processing, rollback processing, pending to the funding pool
        row = {"coin": "USDT", "amount": "1", "status": status, "successAt": str(now - 60_000), "id": "1"}
        assert RowReader(lambda code: code, None).deposit(row, 0) == (None, now - 60_000)


async def test_a_first_deposit_walk_waits_its_turn_under_bybits_100_a_minute_instead_of_meeting_10006() -> None:
    """Bybit allows 100 deposit-record requests a minute per account (rate-limit.mdx); walking deposits since
    Bybit opened takes over a hundred 30-day windows. The fetcher lets a minute's budget through, then waits for
    the window to roll: no 10006, no partial sync, every deposit."""
    documented = BybitLimits(ip_requests_per_5s=100_000)  # the per-account table as Bybit documents it
    async with (
        BybitEmulator(seed=20240612, profile=PROFILE, listed_symbols=150, limits=documented) as emulator,
        bybit_client(emulator) as client,
    ):

        async def sleep(seconds: float) -> None:  # a minute passes at once, for Bybit and for ccxt's signature
            emulator.clock.advance(math.ceil(seconds * 1000))
            client.options["timeDifference"] = -emulator.clock.offset_ms

        pacer = Pacer(clock=lambda: emulator.clock.now_ms() / 1000, sleep=sleep)
        fetcher = BybitFetcher(get_profile("bybit"), client, pacer=pacer)
        records = await drain(fetcher, Endpoint.DEPOSITS, {}, until=datetime.now(UTC))
    windows_since_opening = windows(Endpoint.DEPOSITS, date_ms(BYBIT_OPENED), datetime.now(UTC))
    assert windows_since_opening > 100
    assert emulator.requests.count(PATHS[Endpoint.DEPOSITS]) == windows_since_opening  # none refused, none repeated
    assert len(records) == len(emulator.account.deposits)
    assert 55 <= pacer.waited <= 62  # one wait for the minute to roll
