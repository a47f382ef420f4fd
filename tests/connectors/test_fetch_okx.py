"""OKX fetcher against the OKX emulator through real ccxt clients from the ClientPool.

OKX keeps a year of fills and funding bills since 2021-02-01: a user's first sync brings back all of that and all
deposits, withdrawals and converts (and says what is older than OKX can give); a later sync asks one page per
endpoint, walking down with `after` only to what the last sync committed; a rate-limited sync stops cleanly and
carries on where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited, UnsupportedEndpoint
from connectors.fetchers.okx import OKX_OPENED, OkxFetcher
from connectors.fetchers.registry import fetcher_for
from connectors.fetchers.windows import DAY_MS, to_ms
from connectors.profiles import Endpoint, ExchangeProfile, get_profile
from connectors.records import NormalizedRecord
from i18n import Text, render
from sandbox.exchanges import (
    AccountProfile,
    DepositRecord,
    OkxEmulator,
    OkxLimits,
    ScriptedAccount,
    TradeRecord,
    TransferRecord,
)
from sandbox.exchanges.okx_book import OkxBook

PROFILE = AccountProfile(
    years=3.0, traded_markets=16, trades=2400, deposits=40, withdrawals=25, converts=20, transfers=300, rewards=30
)
FAST = OkxLimits(rules={}, default_rule=(100_000, 1_000))
ENDPOINTS = (
    Endpoint.DEPOSITS,
    Endpoint.WITHDRAWALS,
    Endpoint.CONVERT,
    Endpoint.TRANSFERS,
    Endpoint.EARN_REWARDS,
    Endpoint.SPOT_TRADES,
)
PATHS = {
    Endpoint.SPOT_TRADES: "/api/v5/trade/fills-history",
    Endpoint.DEPOSITS: "/api/v5/asset/deposit-history",
    Endpoint.WITHDRAWALS: "/api/v5/asset/withdrawal-history",
    Endpoint.CONVERT: "/api/v5/asset/convert/history",
    Endpoint.TRANSFERS: "/api/v5/asset/bills-history",
    Endpoint.EARN_REWARDS: "/api/v5/asset/bills-history",
}
FILLS_REACH_MS = 365 * DAY_MS  # fills-history: "the last 1 year since July 1, 2024"


@pytest.fixture
async def okx() -> AsyncIterator[OkxEmulator]:
    async with OkxEmulator(seed=20240613, profile=PROFILE, listed_symbols=150, limits=FAST) as emulator:
        yield emulator


@asynccontextmanager
async def okx_client(emulator: OkxEmulator) -> AsyncIterator[Any]:
    keys = emulator.create_demo_keys()
    pool = ClientPool({"okx": emulator.base_url})
    key = keys.read_only
    credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
    try:
        async with pool.client("okx", "credential-1", credentials) as client:
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


# -------------------------------------------------------------------------------------------- ground truth


def fills(records: Iterable[NormalizedRecord]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {
        (str(r.raw["instId"]), str(r.exchange_tx_id)): (
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
    return {
        (t.symbol, t.id): (t.side, t.amount, t.price, t.amount * t.price, t.fee, t.fee_asset, t.timestamp)
        for t in trades
    }


def reachable_fills(emulator: OkxEmulator) -> list[TradeRecord]:
    oldest = emulator.reachable_since(FILLS_REACH_MS)
    return [t for t in emulator.account.trades if t.timestamp >= oldest]


def reachable_transfers(emulator: OkxEmulator) -> list[TransferRecord]:
    """bills-history reaches back to 2021-02-01, before the scripted account's first transfer."""
    assert min(t.timestamp for t in emulator.account.transfers) > to_ms(datetime(2021, 2, 1, tzinfo=UTC))
    return list(emulator.account.transfers)


def assert_ground_truth(emulator: OkxEmulator, found: dict[Endpoint, list[NormalizedRecord]]) -> None:
    account = emulator.account
    for endpoint, records in found.items():
        keys = [r.natural_key for r in records]
        assert len(keys) == len(set(keys)), f"duplicates in {endpoint}"
        assert all(r.occurred_at.utcoffset() == timedelta(0) for r in records)
    assert fills(found[Endpoint.SPOT_TRADES]) == truth_fills(reachable_fills(emulator))
    assert {r.exchange_tx_id: (r.asset, r.amount, to_ms(r.occurred_at)) for r in found[Endpoint.DEPOSITS]} == {
        d.id: (d.asset, d.amount, d.timestamp) for d in account.deposits
    }
    assert {
        r.exchange_tx_id: (r.asset, r.amount, r.fee_amount, to_ms(r.occurred_at)) for r in found[Endpoint.WITHDRAWALS]
    } == {w.id: (w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals}
    # OKX reports a convert as a sale of the source coin at the ratio, and the amount received as fillQuoteSz.
    assert {
        r.exchange_tx_id: (r.side, r.asset, r.amount, r.quote_asset, r.price, r.quote_amount, to_ms(r.occurred_at))
        for r in found[Endpoint.CONVERT]
    } == {
        c.id: ("sell", c.from_asset, c.from_amount, c.to_asset, c.ratio, c.to_amount, c.timestamp)
        for c in account.converts
    }
    # Funding bills of the transfers between the funding and the trading account, as far back as OKX keeps them.
    assert sorted((r.asset, r.amount, r.side, to_ms(r.occurred_at)) for r in found[Endpoint.TRANSFERS]) == sorted(
        (t.asset, t.amount, "out" if t.from_account == "FUND" else "in", t.timestamp)
        for t in reachable_transfers(emulator)
    )
    # Reward bills (staking yield, deposit yield, airdrop), all since 2021-02-01.
    assert {r.exchange_tx_id: (r.asset, r.amount, to_ms(r.occurred_at)) for r in found[Endpoint.EARN_REWARDS]} == {
        b.bill_id: (b.ccy, b.bal_chg, b.ts) for b in emulator.book.funding_bills if b.type in ("83", "89", "229")
    }
    assert len(found[Endpoint.EARN_REWARDS]) == len(account.rewards) > 0


def grow(
    emulator: OkxEmulator,
    *,
    trades: Iterable[TradeRecord] = (),
    deposits: Iterable[DepositRecord] = (),
    transfers: Iterable[TransferRecord] = (),
) -> None:
    """New activity since the last sync: the emulator has no API for it, so swap in a grown scripted account (and
    the ids OKX derives from it: existing bill ids stay as they were, new ones come after them)."""
    account = emulator.account
    swap(
        emulator,
        dataclasses.replace(
            account,
            trades=(*account.trades, *trades),
            deposits=(*account.deposits, *deposits),
            transfers=(*account.transfers, *transfers),
        ),
    )


def swap(emulator: OkxEmulator, account: ScriptedAccount) -> None:
    fresh = OkxBook(account)
    book = emulator.book
    book.account, book.bill_ids, book.funding_bills = account, fresh.bill_ids, fresh.funding_bills
    emulator.account = account


def small_pages(size: int) -> ExchangeProfile:
    profile = get_profile("okx")
    return dataclasses.replace(
        profile, endpoints=tuple(dataclasses.replace(s, page_size=size) for s in profile.endpoints)
    )


# -------------------------------------------------------------------------------------------- stories


async def test_first_sync_returns_everything_okx_still_has_and_a_resync_asks_one_page(okx: OkxEmulator) -> None:
    async with okx_client(okx) as client:
        fetcher = fetcher_for(get_profile("okx"), client)
        assert isinstance(fetcher, OkxFetcher)
        okx.requests.reset()
        until = datetime.now(UTC)
        cursors: dict[Endpoint, dict[str, Cursor]] = {e: {} for e in ENDPOINTS}
        reports = {e: FetchReport() for e in ENDPOINTS}
        found = {e: await drain(fetcher, e, cursors[e], until=until, report=reports[e]) for e in ENDPOINTS}
        assert_ground_truth(okx, found)
        assert len(reachable_fills(okx)) > 100 and len(reachable_transfers(okx)) > 0  # several pages of fills

        # Fills older than a year and bills before 2021-02-01 are OKX's to keep: one gap each, saying why.
        (gap,) = reports[Endpoint.SPOT_TRADES].gaps
        assert gap.start.date() == OKX_OPENED
        assert 0 < to_ms(gap.end) - okx.reachable_since(FILLS_REACH_MS) <= 2 * 3_600_000
        assert "365 days" in render(gap.reason) and "file" in render(gap.reason)
        for bills in (Endpoint.TRANSFERS, Endpoint.EARN_REWARDS):
            (gap,) = reports[bills].gaps
            assert (gap.start.date(), gap.end) == (OKX_OPENED, datetime(2021, 2, 1, tzinfo=UTC))
            assert isinstance(gap.reason, Text) and gap.reason.id == "sync.gap.okx.bills_since"
            assert gap.reason.args["date"] == "2021-02-01"
        assert not any(reports[e].gaps for e in (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.CONVERT))

        # The fewest requests a newest-first list allows: full pages, then one short page that ends the walk.
        counts = {
            Endpoint.SPOT_TRADES: len(reachable_fills(okx)),
            Endpoint.DEPOSITS: len(okx.account.deposits),
            Endpoint.WITHDRAWALS: len(okx.account.withdrawals),
            Endpoint.CONVERT: len(okx.account.converts),
            Endpoint.TRANSFERS: len(okx.book.funding_bills),
            Endpoint.EARN_REWARDS: len(okx.book.funding_bills),
        }
        for endpoint, count in counts.items():
            # Rewards also read savings lending history: one more (empty) page.
            savings = endpoint is Endpoint.EARN_REWARDS
            assert count // 100 + 1 + savings == reports[endpoint].requests, endpoint
            # Transfers and rewards each walk bills-history.
            walks = sum(PATHS[other] == PATHS[endpoint] for other in counts)
            assert okx.requests.count(PATHS[endpoint]) == walks * (count // 100 + 1), endpoint
        assert okx.requests.unexpected == []

        # Nothing new: exactly one request per endpoint, nothing returned, the cursors unchanged.
        okx.requests.reset()
        before = json.loads(json.dumps(cursors))
        again = {e: await drain(fetcher, e, cursors[e], until=datetime.now(UTC)) for e in ENDPOINTS}
        assert all(not records for records in again.values())
        assert okx.requests.total == len(ENDPOINTS) + 1  # rewards: bills and savings lending history
        # The empty savings list's cursor only moves its start up to this sync's end.
        after = json.loads(json.dumps(cursors))
        assert after["earn_rewards"].pop("SAVINGS")["p"] is None and before["earn_rewards"].pop("SAVINGS")["p"] is None
        assert after == before

        # New activity: a fill, a deposit and a transfer since the last sync come back, and nothing else.
        now = to_ms(datetime.now(UTC))
        last = okx.account.trades[-1]
        trade = dataclasses.replace(last, id=str(int(last.id) + 1), order_id="600000000999999999", timestamp=now + 1)
        deposit = DepositRecord("990001", "e" * 64, "BTC", "BTC", Decimal("123456789.12345678"), "bc1qxyz", now + 2)
        transfer = TransferRecord("880001", "USDT", Decimal("0.00000001"), "UNIFIED", "FUND", now + 3)
        grow(okx, trades=[trade], deposits=[deposit], transfers=[transfer])
        okx.requests.reset()
        later = {
            e: await drain(fetcher, e, cursors[e], until=datetime.now(UTC) + timedelta(seconds=1)) for e in ENDPOINTS
        }
        assert fills(later[Endpoint.SPOT_TRADES]) == truth_fills([trade])
        assert later[Endpoint.SPOT_TRADES][0].raw["billId"] == okx.book.bill_ids[trade]
        assert [(r.exchange_tx_id, r.amount) for r in later[Endpoint.DEPOSITS]] == [("990001", deposit.amount)]
        assert [(r.asset, r.amount, r.side) for r in later[Endpoint.TRANSFERS]] == [("USDT", transfer.amount, "in")]
        assert (
            later[Endpoint.WITHDRAWALS] == [] and later[Endpoint.CONVERT] == [] and later[Endpoint.EARN_REWARDS] == []
        )
        assert okx.requests.total == len(ENDPOINTS) + 1  # rewards: bills and savings lending history


async def test_small_pages_interrupted_anywhere_resume_exactly_after_the_last_committed_page(
    okx: OkxEmulator,
) -> None:
    # Deposits and withdrawals two to a millisecond: OKX pages those lists by time, so page boundaries fall
    # between records of one millisecond.
    account = okx.account
    base = okx.clock.now_ms() - 40 * DAY_MS
    crowded = dataclasses.replace(
        account,
        deposits=tuple(
            dataclasses.replace(d, timestamp=base + (i // 2) * 1000) for i, d in enumerate(account.deposits)
        ),
        withdrawals=tuple(
            dataclasses.replace(w, timestamp=base + (i // 2) * 1000) for i, w in enumerate(account.withdrawals)
        ),
    )
    swap(okx, crowded)
    async with okx_client(okx) as client:
        until = datetime.now(UTC)
        found: dict[Endpoint, list[NormalizedRecord]] = {}
        for endpoint in ENDPOINTS:
            stored: dict[str, Cursor] = {}
            records: list[NormalizedRecord] = []
            for stop_after in (2, 5, 1, 3, None):  # interrupted syncs, each from the committed cursors
                records += await drain(
                    OkxFetcher(small_pages(3), client), endpoint, stored, until=until, stop_after=stop_after
                )
            found[endpoint] = records
            assert "walk" not in stored[""]  # the last sync finished its walk
        assert_ground_truth(okx, found)  # nothing twice across the resumed syncs, nothing missing
    # Three-row pages really paged: about a page per three fills.
    assert okx.requests.count(PATHS[Endpoint.SPOT_TRADES]) >= len(reachable_fills(okx)) / 3


async def test_rate_limited_fetch_stops_after_a_complete_page_and_resumes_from_its_cursor() -> None:
    limits = OkxLimits(rules={"/api/v5/trade/fills-history": (4, 60_000)}, default_rule=(100_000, 1_000))
    async with (
        OkxEmulator(seed=20240613, profile=PROFILE, listed_symbols=150, limits=limits) as emulator,
        okx_client(emulator) as client,
    ):
        until = datetime.now(UTC)
        stored: dict[str, Cursor] = {}
        records: list[NormalizedRecord] = []
        reports: list[FetchReport] = []
        stops = 0
        while True:
            report = FetchReport()
            reports.append(report)
            fetcher = OkxFetcher(small_pages(20), client)
            try:
                await drain(fetcher, Endpoint.SPOT_TRADES, stored, until=until, report=report, into=records)
            except RateLimited as stop:
                stops += 1
                assert stop.endpoint is Endpoint.SPOT_TRADES
                assert stop.retry_after is None  # OKX says 50011 without a wait time
                emulator.reset_rate_limits()
                continue
            break
        reachable = reachable_fills(emulator)
        assert stops >= 2
        assert fills(records) == truth_fills(reachable)
        assert len(records) == len(reachable)
        # The lookback gap is reported once, by the sync that began the walk.
        assert [len(r.gaps) for r in reports] == [1] + [0] * stops
        # Only the refused requests were repeated.
        assert emulator.requests.count(PATHS[Endpoint.SPOT_TRADES]) == len(reachable) // 20 + 1 + stops


async def test_a_cursor_older_than_a_year_reports_the_fills_okx_no_longer_has(okx: OkxEmulator) -> None:
    old = next(t for t in okx.account.trades if t.timestamp < okx.reachable_since(400 * DAY_MS))
    bill = int(okx.book.bill_ids[old])
    stored: dict[str, Cursor] = {"": {"p": bill, "ids": [str(bill)], "ms": old.timestamp}}
    async with okx_client(okx) as client:
        report = FetchReport()
        records = await drain(
            OkxFetcher(get_profile("okx"), client), Endpoint.SPOT_TRADES, stored, until=datetime.now(UTC), report=report
        )
    assert fills(records) == truth_fills(reachable_fills(okx))
    (gap,) = report.gaps
    assert to_ms(gap.start) == old.timestamp  # from the last fill committed up to what OKX still has
    assert 0 < to_ms(gap.end) - okx.reachable_since(FILLS_REACH_MS) <= 2 * 3_600_000


# -------------------------------------------------------------------------------------------- pending records


class FakeDepositClient:
    """OKX's deposit history with states the emulator does not script: newest first, `after` = older than ts."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows
        self.calls: list[dict[str, Any]] = []

    def safe_currency_code(self, code: str) -> str:
        return code

    async def privateGetAssetDepositHistory(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(params)
        after = int(params.get("after", 2**62))
        ordered = sorted((r for r in self.rows if int(r["ts"]) < after), key=lambda r: int(r["ts"]), reverse=True)
        return {"code": "0", "data": ordered[: int(params["limit"])], "msg": ""}


def deposit(ident: str, when: int, state: str = "2") -> dict[str, str]:
    return {"depId": ident, "ccy": "USDT", "amt": "10.5", "txId": "0x" + ident, "state": state, "ts": str(when)}


async def test_a_deposit_still_confirming_is_seen_again_once_it_is_credited() -> None:
    # Two days back: older than the trailing day every sync reads again (windows.SETTLE_REREAD_MS), so the cursor
    # here moves by the hold alone.
    now = to_ms(datetime.now(UTC)) - 2 * 86_400_000
    client = FakeDepositClient([deposit(f"d{i}", now - (10 - i) * 60_000) for i in range(7)])
    client.rows.append(deposit("confirming", now - 30_000, "0"))
    client.rows.append(deposit("failed", now - 20_000, "11"))
    client.rows.append(deposit("credited", now - 10_000, "1"))
    fetcher = OkxFetcher(small_pages(3), client)
    stored: dict[str, Cursor] = {}
    first = await drain(fetcher, Endpoint.DEPOSITS, stored, until=datetime.now(UTC))
    assert sorted(r.exchange_tx_id or "" for r in first) == sorted([f"d{i}" for i in range(7)] + ["credited"])
    assert stored[""]["p"] == now - 30_000 - 1  # held below the deposit still confirming

    client.rows[7]["state"] = "2"
    client.calls.clear()
    second = await drain(fetcher, Endpoint.DEPOSITS, stored, until=datetime.now(UTC))
    assert sorted(r.exchange_tx_id or "" for r in second) == ["confirming", "credited"]  # credited again: upserted
    assert len(client.calls) == 2  # a full page of three, then the page reaching what was committed
    assert stored[""]["p"] == now - 10_000
    third = await drain(fetcher, Endpoint.DEPOSITS, stored, until=datetime.now(UTC))
    assert third == []


def test_endpoints_okx_does_not_serve_here_are_refused_before_any_request() -> None:
    fetcher = OkxFetcher(get_profile("okx"), client=None)
    for endpoint in (Endpoint.LEDGER, Endpoint.DUST, Endpoint.P2P):
        assert not fetcher.supports(endpoint)
        with pytest.raises(UnsupportedEndpoint):
            fetcher.fetch(endpoint, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport())
    assert all(fetcher.supports(e) for e in ENDPOINTS)


async def test_more_records_in_one_millisecond_than_a_page_holds_are_reported_not_looped_on() -> None:
    now = to_ms(datetime.now(UTC)) - 3_600_000
    client = FakeDepositClient([deposit("older", now - 1)] + [deposit(f"same{i}", now) for i in range(4)])
    report = FetchReport()
    found = await drain(
        OkxFetcher(small_pages(3), client), Endpoint.DEPOSITS, {}, until=datetime.now(UTC), report=report
    )
    assert len(client.calls) == 2  # the second page repeats the first: `after` cannot get inside the millisecond
    assert {r.exchange_tx_id for r in found} <= {f"same{i}" for i in range(4)} and len(found) == 3
    (gap,) = report.gaps
    assert to_ms(gap.end) == now
    assert gap.reason == Text.of("sync.gap.okx.crowded", size=3, phrase=Text.of("endpoint.deposits.phrase"))


async def test_a_transfer_cursor_from_the_one_month_bill_list_is_dropped_and_the_history_is_walked_again(
    okx: OkxEmulator,
) -> None:
    # Before, transfers came from /asset/bills paged by `ts`: its cursor's `p` is a time, not a bill id. Read as a
    # bill id it would cover every bill (ids are far larger), and the sync would stop at the first page.
    newest = max(okx.account.transfers, key=lambda t: t.timestamp)
    bill = next(b for b in okx.book.funding_bills if b.source_id == newest.id)
    stored: dict[str, Cursor] = {"": {"p": newest.timestamp, "ids": [bill.bill_id], "ms": newest.timestamp}}
    async with okx_client(okx) as client:
        records = await drain(
            OkxFetcher(get_profile("okx"), client), Endpoint.TRANSFERS, stored, until=datetime.now(UTC)
        )
    assert sorted((r.asset, r.amount, to_ms(r.occurred_at)) for r in records) == sorted(
        (t.asset, t.amount, t.timestamp) for t in reachable_transfers(okx)
    )
    # The new cursor names the newest bill of any type, by id.
    assert stored[""]["key"] == "billId" and stored[""]["p"] == max(int(b.bill_id) for b in okx.book.funding_bills)


async def test_if_okx_gives_only_three_months_of_fills_the_user_is_told_which_months_to_check() -> None:
    # One edition of OKX's docs says fills-history reaches a year back, a later one 3 months. Against an OKX that
    # gives 3 months, the first sync takes what there is and names the 3-to-12-month range it cannot vouch for;
    # the next sync, starting from what was committed, says nothing more.
    three_months = 90 * DAY_MS
    async with (
        OkxEmulator(
            seed=20240613, profile=PROFILE, listed_symbols=150, limits=FAST, fills_history_lookback_ms=three_months
        ) as emulator,
        okx_client(emulator) as client,
    ):
        fetcher = OkxFetcher(get_profile("okx"), client)
        stored: dict[str, Cursor] = {}
        report = FetchReport()
        records = await drain(fetcher, Endpoint.SPOT_TRADES, stored, until=datetime.now(UTC), report=report)
        again = FetchReport()
        await drain(fetcher, Endpoint.SPOT_TRADES, stored, until=datetime.now(UTC), report=again)

    given = [t for t in emulator.account.trades if t.timestamp >= emulator.reachable_since(three_months)]
    assert fills(records) == truth_fills(given)
    beyond_a_year, unsure = report.gaps
    assert "365 days" in render(beyond_a_year.reason)
    assert unsure.start == beyond_a_year.end
    assert abs(to_ms(unsure.end) - emulator.reachable_since(three_months)) <= 60_000
    assert unsure.reason == Text.of("sync.gap.okx.fills_reach")
    assert again.gaps == []
