"""Bitget fetcher against the Bitget emulator through real ccxt clients from the ClientPool, with both key types.

A normal key reads spot fills of every market in one list (90 days back, as Bitget's docs say), deposits,
withdrawals, converts and transfers in 90-day windows two years back; a Tax API key (no passphrase) reads the tax
transaction records (spot, crossed and isolated margin, P2P, USDT-M / coin-M / USDC-M futures) in 30-day windows.
The first sync brings back all of that and says what is older, a later sync asks one window per stream, and a
rate-limited sync carries on where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited, UnsupportedEndpoint
from connectors.fetchers.bitget import BITGET_OPENED, BitgetFetcher
from connectors.fetchers.registry import fetcher_for, sync_order
from connectors.fetchers.windows import DAY_MS, span_ms, to_ms
from connectors.keycheck import check_key
from connectors.profiles import Endpoint, ExchangeProfile, get_profile
from connectors.records import NormalizedRecord
from i18n import render
from sandbox.exchanges import (
    AccountProfile,
    BitgetEmulator,
    BitgetLimits,
    DepositRecord,
    ScriptedAccount,
    TaxRecord,
    TradeRecord,
)
from sandbox.exchanges.bitget_tax import BitgetTaxBook

PROFILE = AccountProfile(
    years=3.0, traded_markets=16, trades=900, deposits=40, withdrawals=25, converts=20, transfers=25, rewards=30
)
# A smaller account for the tests that walk everything several times.
SMALL = AccountProfile(
    years=3.0, traded_markets=8, trades=300, deposits=30, withdrawals=15, converts=12, transfers=20, rewards=10
)
FAST = BitgetLimits(per_second={}, default_per_second=100_000, ip_requests_per_minute=1_000_000)
TWO_YEARS_MS = 730 * DAY_MS
FILLS_REACH_MS = 90 * DAY_MS  # spot/trade/Get-Fills: "It only supports to get the data within 90days"
WALLET = (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.CONVERT)
ENDPOINTS = (*WALLET, Endpoint.TRANSFERS, Endpoint.SPOT_TRADES)
TAX_ENDPOINTS = (Endpoint.LEDGER, Endpoint.FUTURES_TRADES)
PATHS = {
    Endpoint.SPOT_TRADES: "/api/v2/spot/trade/fills",
    Endpoint.DEPOSITS: "/api/v2/spot/wallet/deposit-records",
    Endpoint.WITHDRAWALS: "/api/v2/spot/wallet/withdrawal-records",
    Endpoint.CONVERT: "/api/v2/convert/convert-record",
    Endpoint.TRANSFERS: "/api/v2/spot/account/transferRecords",
}
ASSETS_PATH = "/api/v2/spot/account/assets"
# With the TRANSFERS kind: moves between the main account and its sub-accounts: what the main account sent (role
# initiator, no subUid), then what each sub-account sent (none here: the sub-account assets list, asked once, names
# none), kept when they name the key's own user id, asked once a sync from the account information.
MAIN_SUB_PATH, ACCOUNT_INFO_PATH = "/api/v2/spot/account/sub-main-trans-record", "/api/v2/spot/account/info"
SUB_ASSETS_PATH = "/api/v2/spot/account/subaccount-assets"
MAIN_SUB_WALKS = 1
SPOT_TAX_PATH, MARGIN_TAX_PATH, P2P_TAX_PATH = (
    "/api/v2/tax/spot-record",
    "/api/v2/tax/margin-record",
    "/api/v2/tax/p2p-record",
)
FUTURES_TAX_PATH = "/api/v2/tax/future-record"


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=20240614, profile=PROFILE, listed_symbols=150, limits=FAST) as emulator:
        yield emulator


@asynccontextmanager
async def bitget_client(emulator: BitgetEmulator, *, tax: bool = False) -> AsyncIterator[Any]:
    keys = emulator.create_demo_keys()
    pool = ClientPool({"bitget": emulator.base_url})
    profile = get_profile("bitget")
    if tax:
        credentials = {"apiKey": keys.tax.api_key, "secret": keys.tax.secret}  # a Tax API key has no passphrase
        fields = profile.key_type("tax").field_names
    else:
        key = keys.read_only
        credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
        fields = profile.key_type("normal").field_names
    try:
        async with pool.client("bitget", "credential-1", credentials, key_fields=fields) as client:
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
    """Fetch one endpoint the way the sync engine does: keep each page's records and cursor as committed."""
    records: list[NormalizedRecord] = [] if into is None else into
    pages = 0
    async for page in fetcher.fetch(
        endpoint, since=None, until=until, cursors=dict(stored), report=report or FetchReport()
    ):
        assert page.endpoint is endpoint and page.covered_until.tzinfo is not None
        stored[page.market] = json.loads(json.dumps(page.cursor))  # as the database will hand it back
        records.extend(page.records)
        pages += 1
        if stop_after is not None and pages >= stop_after:
            break
    return records


async def sync(
    fetcher: Any,
    endpoints: Iterable[Endpoint],
    cursors: dict[Endpoint, dict[str, Cursor]],
    *,
    until: datetime,
    reports: dict[Endpoint, FetchReport] | None = None,
) -> dict[Endpoint, list[NormalizedRecord]]:
    found: dict[Endpoint, list[NormalizedRecord]] = {}
    for endpoint in sync_order(endpoints):
        report = FetchReport() if reports is None else reports.setdefault(endpoint, FetchReport())
        found[endpoint] = await drain(fetcher, endpoint, cursors.setdefault(endpoint, {}), until=until, report=report)
    return found


# -------------------------------------------------------------------------------------------- ground truth


def fills(records: Iterable[NormalizedRecord]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {
        (str(r.raw["symbol"]), str(r.exchange_tx_id)): (
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


def truth_fills(trades: Iterable[TradeRecord]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {(t.symbol, t.id): (t.side, t.amount, t.price, t.cost, t.fee, t.fee_asset, t.timestamp) for t in trades}


def reach(emulator: BitgetEmulator, lookback_ms: int = TWO_YEARS_MS) -> int:
    return emulator.reachable_since(lookback_ms)


def assert_ground_truth(emulator: BitgetEmulator, found: dict[Endpoint, list[NormalizedRecord]]) -> None:
    account, oldest = emulator.account, reach(emulator)
    for endpoint, records in found.items():
        keys = [r.natural_key for r in records]
        assert len(keys) == len(set(keys)), f"duplicates in {endpoint}"
        assert all(r.occurred_at.utcoffset() == timedelta(0) for r in records)
    if Endpoint.SPOT_TRADES in found:
        expected = truth_fills(t for t in account.trades if t.timestamp >= reach(emulator, FILLS_REACH_MS))
        assert fills(found[Endpoint.SPOT_TRADES]) == expected
    assert {r.exchange_tx_id: (r.asset, r.amount, to_ms(r.occurred_at)) for r in found[Endpoint.DEPOSITS]} == {
        d.id: (d.asset, d.amount, d.timestamp) for d in account.deposits if d.timestamp >= oldest
    }
    assert {
        r.exchange_tx_id: (r.asset, r.amount, r.fee_amount, to_ms(r.occurred_at)) for r in found[Endpoint.WITHDRAWALS]
    } == {w.id: (w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals if w.timestamp >= oldest}
    assert {
        r.exchange_tx_id: (r.quote_asset, r.quote_amount, r.asset, r.amount, to_ms(r.occurred_at))
        for r in found[Endpoint.CONVERT]
    } == {
        c.id: (c.from_asset, c.from_amount, c.to_asset, c.to_amount, c.timestamp)
        for c in account.converts
        if c.timestamp >= oldest
    }
    if Endpoint.TRANSFERS in found:
        assert {r.exchange_tx_id: (r.asset, r.amount, to_ms(r.occurred_at)) for r in found[Endpoint.TRANSFERS]} == {
            t.id: (t.asset, t.amount, t.timestamp) for t in account.transfers if t.timestamp >= oldest
        }


def tax_lines(records: Iterable[NormalizedRecord]) -> dict[str, tuple[object, ...]]:
    return {
        r.natural_key: (
            r.asset,
            r.raw["spotTaxType"],
            r.amount,
            r.fee_amount,
            r.raw["bizOrderId"],
            to_ms(r.occurred_at),
        )
        for r in records
    }


def truth_tax_lines(lines: Iterable[TaxRecord]) -> dict[str, tuple[object, ...]]:
    return {f"ledger:spot:{t.id}": (t.coin, t.tax_type, t.amount, t.fee, t.biz_order_id, t.ts) for t in lines}


def windows(spec_endpoint: Endpoint, start_ms: int, until: datetime, key_type: str | None = None) -> int:
    spec = get_profile("bitget").endpoint(spec_endpoint, key_type)
    assert spec is not None and spec.window is not None
    return math.ceil((to_ms(until) - start_ms + 1) / span_ms(spec.window))


def swap(emulator: BitgetEmulator, account: ScriptedAccount) -> None:
    """New activity since the last sync: swap in a grown scripted account (and the tax ledger derived from it)."""
    emulator.account = emulator.book.account = account
    emulator.book.tax = BitgetTaxBook(account)


def small_pages(size: int) -> ExchangeProfile:
    profile = get_profile("bitget")
    return dataclasses.replace(
        profile, endpoints=tuple(dataclasses.replace(s, page_size=size) for s in profile.endpoints)
    )


# -------------------------------------------------------------------------------------------- normal key


def new_fetcher(client: Any) -> BitgetFetcher:
    """A normal key's fetcher, asking transfers from the two accounts the scripted account moves between (the
    default asks all seven of Bitget's account types the same way, at 3.5 times the requests)."""
    fetcher = fetcher_for(get_profile("bitget"), client, transfer_from_types=("spot", "p2p"))
    assert isinstance(fetcher, BitgetFetcher)
    return fetcher


async def test_first_sync_with_a_normal_key_returns_what_each_list_reaches_and_a_resync_asks_one_window_per_stream(
    bitget: BitgetEmulator,
) -> None:
    async with bitget_client(bitget) as client:
        fetcher = new_fetcher(client)
        bitget.requests.reset()
        until = datetime.now(UTC)
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        reports: dict[Endpoint, FetchReport] = {}
        found = await sync(fetcher, ENDPOINTS, cursors, until=until, reports=reports)
        assert_ground_truth(bitget, found)
        account = bitget.account
        assert any(t.timestamp < reach(bitget, FILLS_REACH_MS) for t in account.trades), "older fills exist"
        assert len({r.market for r in found[Endpoint.SPOT_TRADES]}) > 1  # every market in one list

        # What is older than each list's reach is a gap with a reason, never an empty success.
        for endpoint in ENDPOINTS:
            (gap,) = reports[endpoint].gaps
            assert gap.start.date() == BITGET_OPENED and "file" in render(gap.reason)
            days = 90 if endpoint is Endpoint.SPOT_TRADES else 730
            assert f"{days} days" in render(gap.reason)
            assert 0 < to_ms(gap.end) - reach(bitget, days * DAY_MS) <= 2 * 3_600_000
        start = to_ms(reports[Endpoint.DEPOSITS].gaps[0].end)

        # One request per 90-day window (no window holds a full page here), one balance call, the account's user
        # id once, nothing else.
        per_stream = windows(Endpoint.DEPOSITS, start, until)
        assert per_stream == 9
        for endpoint in WALLET:
            assert bitget.requests.count(PATHS[endpoint]) == per_stream == reports[endpoint].requests
        streams = len(reports[Endpoint.TRANSFERS].markets_scanned)
        assert bitget.requests.count(PATHS[Endpoint.TRANSFERS]) == streams * per_stream
        assert bitget.requests.count(MAIN_SUB_PATH) == MAIN_SUB_WALKS * per_stream
        assert bitget.requests.count(ACCOUNT_INFO_PATH) == bitget.requests.count(SUB_ASSETS_PATH) == 1
        fill_pages = math.ceil(len(found[Endpoint.SPOT_TRADES]) / 100 + 1e-9)
        assert bitget.requests.count(PATHS[Endpoint.SPOT_TRADES]) == fill_pages
        assert bitget.requests.count(ASSETS_PATH) == 1  # for the transfer streams
        assert bitget.requests.unexpected == []

        # Nothing new: one window per stream.
        bitget.requests.reset()
        again = await sync(new_fetcher(client), ENDPOINTS, cursors, until=datetime.now(UTC))
        assert all(not records for records in again.values())
        for endpoint in (*WALLET, Endpoint.SPOT_TRADES):
            assert bitget.requests.count(PATHS[endpoint]) == 1
        assert bitget.requests.count(PATHS[Endpoint.TRANSFERS]) == streams
        assert bitget.requests.count(MAIN_SUB_PATH) == MAIN_SUB_WALKS
        # The wallet lists, the fills, the transfer streams, the balance call, the new fetcher's user id and
        # sub-accounts, the main-sub walk.
        assert bitget.requests.total == len(WALLET) + 1 + streams + 1 + 1 + 1 + MAIN_SUB_WALKS

        # New activity: fills in two markets, a deposit of an amount no float can carry.
        now = to_ms(datetime.now(UTC)) + 1
        old = account.trades_for("BTCUSDT")[-1]
        other = next(s for s in account.traded_symbols if s != "BTCUSDT")
        market = account.market(other)
        new_trades = [
            dataclasses.replace(old, id=str(int(old.id) + 7), timestamp=now),
            dataclasses.replace(
                old, id="1100000000999999999", symbol=other, base=market.base, quote=market.quote,
                fee_asset=market.base, timestamp=now + 1,
            ),
        ]  # fmt: skip
        deposit = DepositRecord(
            "1059999999999999999", "f" * 64, "USDT", "ETH", Decimal("98765432109.87654321"), "0x", now
        )
        swap(
            bitget,
            dataclasses.replace(account, trades=(*account.trades, *new_trades), deposits=(*account.deposits, deposit)),
        )
        until = datetime.now(UTC) + timedelta(seconds=1)
        later = await sync(new_fetcher(client), ENDPOINTS, cursors, until=until)
        assert fills(later[Endpoint.SPOT_TRADES]) == truth_fills(new_trades)
        assert [(r.exchange_tx_id, r.amount) for r in later[Endpoint.DEPOSITS]] == [(deposit.id, deposit.amount)]
        assert all(not later[e] for e in (Endpoint.WITHDRAWALS, Endpoint.CONVERT, Endpoint.TRANSFERS))


async def test_small_pages_interrupted_anywhere_resume_exactly_after_the_last_committed_page() -> None:
    async with (
        BitgetEmulator(seed=11, profile=SMALL, listed_symbols=60, limits=FAST) as bitget,
        bitget_client(bitget) as client,
    ):
        until = datetime.now(UTC)
        found: dict[Endpoint, list[NormalizedRecord]] = {}
        every: list[NormalizedRecord] = []
        for endpoint in sync_order(ENDPOINTS):
            stored: dict[str, Cursor] = {}
            records: list[NormalizedRecord] = []
            for stop_after in (4, 9, 2, 25, None):  # interrupted syncs, each from the committed cursors
                fetcher = BitgetFetcher(small_pages(3), client, transfer_from_types=("spot", "p2p"))
                # What earlier syncs stored, as the sync engine hands it over before spot trades.
                fetcher.learn_assets({r.asset for r in every} | {r.quote_asset or r.asset for r in every})
                records += await drain(fetcher, endpoint, stored, until=until, stop_after=stop_after)
            found[endpoint] = records
            every += records
        assert_ground_truth(bitget, found)  # nothing twice across the resumed syncs, nothing missing
    # Three-row pages really paged inside windows with idLessThan.
    reachable = [t for t in bitget.account.trades if t.timestamp >= reach(bitget, FILLS_REACH_MS)]
    assert bitget.requests.count(PATHS[Endpoint.SPOT_TRADES]) > len(reachable) / 3


async def test_rate_limited_fetch_stops_after_a_complete_page_and_resumes_from_its_cursor() -> None:
    limits = dataclasses.replace(FAST, per_second={PATHS[Endpoint.SPOT_TRADES]: 3})
    async with (
        BitgetEmulator(seed=11, profile=PROFILE, listed_symbols=60, limits=limits) as emulator,
        bitget_client(emulator) as client,
    ):
        until = datetime.now(UTC)
        stored: dict[str, Cursor] = {}
        records: list[NormalizedRecord] = []
        stops = 0
        emulator.requests.reset()
        while True:
            fetcher = BitgetFetcher(small_pages(4), client)  # each attempt a new sync from stored cursors
            try:
                await drain(fetcher, Endpoint.SPOT_TRADES, stored, until=until, into=records)
            except RateLimited as stop:
                stops += 1
                assert stop.endpoint is Endpoint.SPOT_TRADES
                assert stop.retry_after is None  # Bitget's 429 carries no wait time
                emulator.reset_rate_limits()
                continue
            break
        truth = truth_fills(t for t in emulator.account.trades if t.timestamp >= reach(emulator, FILLS_REACH_MS))
        assert stops >= 3 and len(truth) > 20
        assert fills(records) == truth
        assert len(records) == len({r.natural_key for r in records})
        # Only the refused requests were repeated: one request per four-row page, plus the last (short) page.
        pages = len(truth) // 4 + 1
        assert emulator.requests.count(PATHS[Endpoint.SPOT_TRADES]) == pages + stops


# -------------------------------------------------------------------------------------------- tax key


async def test_a_tax_key_reads_every_tax_record_and_a_resync_asks_one_window_per_list(bitget: BitgetEmulator) -> None:
    async with bitget_client(bitget, tax=True) as client:
        profile = get_profile("bitget")
        assert {s.endpoint for s in profile.default_endpoints("tax")} == {Endpoint.LEDGER}
        fetcher = fetcher_for(profile, client, key_type="tax")
        assert isinstance(fetcher, BitgetFetcher)
        assert {e for e in Endpoint if fetcher.supports(e)} == set(TAX_ENDPOINTS)
        bitget.requests.reset()
        until = datetime.now(UTC)
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        reports: dict[Endpoint, FetchReport] = {}
        found = await sync(fetcher, TAX_ENDPOINTS, cursors, until=until, reports=reports)
        oldest = reach(bitget)
        truth = [t for t in bitget.tax_spot_records if t.ts >= oldest]
        assert len(truth) > 500  # more than one page's worth in all
        spot = [r for r in found[Endpoint.LEDGER] if r.natural_key.startswith("ledger:spot:")]
        assert tax_lines(spot) == truth_tax_lines(truth)
        book = bitget.book.tax
        # P2P lines carry their quantity in `balance` (current docs); both margin types and all three futures
        # product types are asked, not only Bitget's defaults.
        assert {r.exchange_tx_id: (r.asset, r.amount) for r in found[Endpoint.LEDGER] if "p2p" in r.natural_key} == {
            # transfer_out lines are read as outflows (the docs' "Quantity" is unsigned)
            p.id: (p.coin, p.quantity if p.tax_type == "transfer_in" else -p.quantity)
            for p in book.p2p
            if p.ts >= oldest
        }
        assert {p.tax_type for p in book.p2p if p.ts >= oldest} == {"transfer_in", "transfer_out"}
        margin = {
            r.exchange_tx_id: (r.amount, r.fee_amount) for r in found[Endpoint.LEDGER] if "margin" in r.natural_key
        }
        assert margin == {m.id: (m.amount, m.fee) for m in book.margin if m.ts >= oldest}
        assert {m.margin_type for m in book.margin if m.ts >= oldest} == {"crossed", "isolated"}
        futures = {r.exchange_tx_id: (r.asset, r.amount, r.fee_amount) for r in found[Endpoint.FUTURES_TRADES]}
        assert futures == {f.id: (f.margin_coin, f.amount, f.fee) for f in book.future if f.ts >= oldest}
        assert {f.product_type for f in book.future if f.ts >= oldest} == {
            "USDT-FUTURES",
            "COIN-FUTURES",
            "USDC-FUTURES",
        }
        assert set(cursors[Endpoint.LEDGER]) == {"spot", "margin", "margin:isolated", "p2p"}

        (gap,) = reports[Endpoint.LEDGER].gaps
        assert gap.start.date() == BITGET_OPENED and "730 days" in render(gap.reason)
        per_list = windows(Endpoint.LEDGER, to_ms(gap.end), until, "tax")
        assert per_list == 25  # two years in 30-day windows
        assert bitget.requests.count(SPOT_TAX_PATH) == per_list
        assert bitget.requests.count(P2P_TAX_PATH) == per_list
        assert bitget.requests.count(MARGIN_TAX_PATH) == 2 * per_list
        assert bitget.requests.count(FUTURES_TAX_PATH) == 3 * per_list
        assert bitget.requests.unexpected == []

        bitget.requests.reset()
        again = await sync(fetcher, TAX_ENDPOINTS, cursors, until=datetime.now(UTC))
        assert all(not records for records in again.values())
        assert bitget.requests.total == 7

        # A new trade: both of its legs come back as spot tax records, nothing else.
        last = bitget.account.trades[-1]
        trade = dataclasses.replace(last, id=str(int(last.id) + 1), timestamp=to_ms(datetime.now(UTC)) + 1)
        swap(bitget, dataclasses.replace(bitget.account, trades=(*bitget.account.trades, trade)))
        later = await sync(fetcher, TAX_ENDPOINTS, cursors, until=datetime.now(UTC) + timedelta(seconds=1))
        legs = [t for t in bitget.tax_spot_records if t.biz_order_id == trade.order_id and t.ts == trade.timestamp]
        assert len(legs) == 2
        assert tax_lines(later[Endpoint.LEDGER]) == truth_tax_lines(legs)

    # Small pages, interrupted anywhere: idLessThan inside 30-day windows resumes exactly.
    async with bitget_client(bitget, tax=True) as client:
        stored: dict[str, Cursor] = {}
        records: list[NormalizedRecord] = []
        for stop_after in (3, 30, 7, None):
            fetcher = BitgetFetcher(small_pages(20), client, key_type="tax")
            records += await drain(fetcher, Endpoint.LEDGER, stored, until=datetime.now(UTC), stop_after=stop_after)
        truth = [t for t in bitget.tax_spot_records if t.ts >= reach(bitget)]
        spot = [r for r in records if r.natural_key.startswith("ledger:spot:")]
        assert tax_lines(spot) == truth_tax_lines(truth) and len(spot) == len(truth)


def test_each_key_type_is_refused_what_it_cannot_read_before_any_request() -> None:
    profile = get_profile("bitget")
    normal = BitgetFetcher(profile, client=None)
    tax = BitgetFetcher(profile, client=None, key_type="tax")
    derivatives = {Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_TRADES, Endpoint.MARGIN_LOANS}
    # BGB dust conversions, Earn's savings records and crypto loans: lists of their own, read with a normal key.
    own_lists = {Endpoint.DUST, Endpoint.EARN_REWARDS, Endpoint.CRYPTO_LOANS}
    assert {e for e in Endpoint if normal.supports(e)} == set(ENDPOINTS) | derivatives | own_lists
    for fetcher, endpoint in (
        (normal, Endpoint.LEDGER),  # spot account bills: not offered (the lists of each kind are read instead)
        (tax, Endpoint.FUNDING),  # a Tax API key's futures records are its futures trades' stream
        (tax, Endpoint.SPOT_TRADES),  # a Tax API key opens the tax records only
        (tax, Endpoint.DEPOSITS),
    ):
        assert not fetcher.supports(endpoint)
        with pytest.raises(UnsupportedEndpoint):
            fetcher.fetch(endpoint, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport())


async def test_transfers_page_by_page_number_as_documented() -> None:
    """spot/account/Get-Account-TransferRecords: `pageNum` pages, `idLessThan` is "(Deprecated)"."""
    busy = dataclasses.replace(SMALL, transfers=300)
    async with (
        BitgetEmulator(seed=11, profile=busy, listed_symbols=30, limits=FAST) as bitget,
        bitget_client(bitget) as client,
    ):
        stored: dict[str, Cursor] = {}
        fetcher = BitgetFetcher(small_pages(2), client, transfer_from_types=("spot", "p2p"))
        records = await drain(fetcher, Endpoint.TRANSFERS, stored, until=datetime.now(UTC))
    truth = {t.id: (t.asset, t.amount) for t in bitget.account.transfers if t.timestamp >= reach(bitget)}
    assert len(truth) > 100
    assert [r.exchange_tx_id for r in records].count(records[0].exchange_tx_id) == 1
    assert {r.exchange_tx_id: (r.asset, r.amount) for r in records} == truth and len(records) == len(truth)


async def test_a_unified_account_syncs_through_v3_after_one_refusal_and_says_what_v3_cannot_give() -> None:
    """v2 answers 40085 for a unified account (ccxt's recording); the fetcher learns it from the first refusal and
    reads fills (SPOT and MARGIN, 30-day ranges, 90 days back), deposits and withdrawals through v3 (uta/* pages)."""
    async with BitgetEmulator(seed=20240614, profile=PROFILE, listed_symbols=150, limits=FAST) as bitget:
        key = bitget.create_demo_keys().unified
        pool = ClientPool({"bitget": bitget.base_url})
        credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
        fields = get_profile("bitget").key_type("normal").field_names
        try:
            async with pool.client("bitget", "uta-1", credentials, key_fields=fields) as client:
                client.throttler.config["refillRate"] = 1e6
                bitget.requests.reset()
                cursors: dict[Endpoint, dict[str, Cursor]] = {}
                reports: dict[Endpoint, FetchReport] = {}
                found = await sync(new_fetcher(client), ENDPOINTS, cursors, until=datetime.now(UTC), reports=reports)
                v2_refusals = sum(n for path, n in bitget.requests.by_path.items() if path.startswith("/api/v2/"))
                first = dict(bitget.requests.by_path)
                bitget.requests.reset()
                again = await sync(new_fetcher(client), ENDPOINTS, cursors, until=datetime.now(UTC))
        finally:
            await pool.close()

    account = bitget.account
    fills_reach, reach_2y = reach(bitget, FILLS_REACH_MS), reach(bitget)
    assert fills(found[Endpoint.SPOT_TRADES]) == truth_fills(t for t in account.trades if t.timestamp >= fills_reach)
    assert {r.exchange_tx_id: (r.asset, r.amount) for r in found[Endpoint.DEPOSITS]} == {
        d.id: (d.asset, d.amount) for d in account.deposits if d.timestamp >= reach_2y
    }
    assert {r.exchange_tx_id: (r.asset, r.amount, r.fee_amount) for r in found[Endpoint.WITHDRAWALS]} == {
        w.id: (w.asset, w.amount, w.fee) for w in account.withdrawals if w.timestamp >= reach_2y
    }
    assert v2_refusals == 1  # learnt once per sync
    assert first["/api/v3/trade/fills"] >= 2 * 3  # SPOT and MARGIN, 90 days in 30-day ranges
    # Converts: no v3 list Tallybot can read, said as a gap with the reason, never an empty success.
    assert found[Endpoint.CONVERT] == []
    (gap,) = reports[Endpoint.CONVERT].gaps
    assert "unified account" in render(gap.reason) and "file upload" in render(gap.reason)
    # Transfers: the main account's sub-transfer records, both roles, nine 90-day windows over two years (the
    # account moved nothing with sub-accounts); the only gap is the two-year reach.
    assert found[Endpoint.TRANSFERS] == [] and first["/api/v3/account/sub-transfer-record"] == 2 * 9
    assert ["730 days" in render(g.reason) for g in reports[Endpoint.TRANSFERS].gaps] == [True]
    assert all(not records for records in again.values())


async def test_a_unified_accounts_tax_key_reads_v3_tax_records_after_one_refusal() -> None:
    """uta/tax/Get-Tax-Records: one bizType per request (SPOT, MARGIN crossed/isolated, OTHER; the three futures
    types), ranges of at most 7 days, 366 days back, cursor paging; the key check passes the same way."""
    async with BitgetEmulator(seed=20240614, profile=PROFILE, listed_symbols=150, limits=FAST) as bitget:
        key = bitget.add_tax_key(unified=True)
        pool = ClientPool({"bitget": bitget.base_url})
        profile = get_profile("bitget")
        credentials = {"apiKey": key.api_key, "secret": key.secret}
        try:
            secrets = {name: Secret(value) for name, value in credentials.items()}
            checked = await check_key(profile, secrets, pool=pool, credential_id="uta-tax", key_type="tax")
            fields = profile.key_type("tax").field_names
            async with pool.client("bitget", "uta-tax-1", credentials, key_fields=fields) as client:
                client.throttler.config["refillRate"] = 1e6
                fetcher = fetcher_for(profile, client, key_type="tax")
                assert isinstance(fetcher, BitgetFetcher)
                bitget.requests.reset()
                cursors: dict[Endpoint, dict[str, Cursor]] = {}
                reports: dict[Endpoint, FetchReport] = {}
                found = await sync(fetcher, TAX_ENDPOINTS, cursors, until=datetime.now(UTC), reports=reports)
                v2 = sum(n for path, n in bitget.requests.by_path.items() if path.startswith("/api/v2/"))
                v3 = bitget.requests.count("/api/v3/tax/records")
        finally:
            await pool.close()

    assert checked.ok and checked.diagnosis is None
    oldest = reach(bitget, 366 * DAY_MS)
    book = bitget.book.tax
    spot_legs = {r.id: (r.coin, r.amount) for r in book.spot if r.ts >= oldest and r.tax_type in ("Buy", "Sell")}
    ledger = {r.natural_key: (r.asset, r.amount) for r in found[Endpoint.LEDGER]}
    assert {k.split(":")[-1]: v for k, v in ledger.items() if k.startswith("ledger:uta:SPOT:")} == spot_legs
    assert {k.split(":")[-1] for k in ledger if k.startswith("ledger:uta:MARGIN")} == {
        m.id for m in book.margin if m.ts >= oldest
    }
    assert {r.exchange_tx_id: (r.asset, r.amount, r.fee_amount) for r in found[Endpoint.FUTURES_TRADES]} == {
        f.id: (f.margin_coin, f.amount, f.fee) for f in book.future if f.ts >= oldest
    }
    (gap,) = reports[Endpoint.LEDGER].gaps  # the v3 reach, not the v2 one
    assert "366 days" in render(gap.reason) and 0 < to_ms(gap.end) - oldest <= 2 * 3_600_000
    assert v2 == 1  # one refusal teaches the account mode
    assert v3 >= 7 * 52  # seven streams, 366 days in 7-day ranges
