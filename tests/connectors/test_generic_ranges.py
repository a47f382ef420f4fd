"""The untested generic path never calls an endpoint complete that it could not page.

What ccxt sends for each unified method is read from ccxt's own code (connectors/fetchers/ccxt_ranges.py); the
expectations below were written by hand from reading ccxt 4.5.90's methods (quoted in each case).

Bithumb (untested: no guide, emulator or fetcher of Tallybot's own) stands for every exchange whose deposit list
takes no time range: its deposits run through the real ccxt client against a small local HTTP stub (BithumbStub,
which names its sources). No start or end time can be asked for. (BigONE and then Coincheck, whose lists are alike,
stood here until each got a fetcher of its own: connectors/fetchers/bigone, connectors/fetchers/coincheck.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar

import ccxt.async_support as ccxt
import pytest
from aiohttp import web

from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.ccxt_ranges import range_support
from connectors.fetchers.generic import GenericFetcher
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.profiles.generic import profile_from_metadata
from i18n import Text, render


@pytest.mark.parametrize(
    ("exchange_id", "method", "since", "until"),
    [
        # `request['startTime'] = since` and `until = self.safe_integer(paramsPaginate, 'until')`.
        ("binance", "fetch_deposits", True, True),
        # BigONE: `request` holds only asset_symbol and limit; since goes to parse_transactions alone.
        ("bigone", "fetch_deposits", False, False),
        # Bithumb: `request` holds only limit (and currency); since goes to parse_transactions alone.
        ("bithumb", "fetch_deposits", False, False),
        ("bigone", "fetch_my_trades", False, False),
        # HTX: paged by id from 'from': 0; neither bound is sent.
        ("htx", "fetch_deposits", False, False),
        # MEXC: `request['startTime'] = since`, no end (the "until sent raw").
        ("mexc", "fetch_deposits", True, False),
        # OKX ledger: `handle_until_option('end', …)` only; since goes to the paginated call and parse_ledger.
        ("okx", "fetch_ledger", False, True),
        # Bitfinex trades: `request['start'] = since` with `'end': self.milliseconds()`, never the caller's until.
        ("bitfinex", "fetch_my_trades", True, False),
    ],
)
def test_what_ccxt_sends_is_read_from_its_code(exchange_id: str, method: str, since: bool, until: bool) -> None:
    support = range_support(getattr(ccxt, exchange_id)(), method)
    assert support.known
    assert (support.since, support.until) == (since, until)


def test_a_method_whose_code_cannot_be_read_is_not_assumed_to_take_a_range() -> None:
    class Opaque:
        fetch_deposits = staticmethod(len)  # a builtin: no Python source

    support = range_support(Opaque(), "fetch_deposits")
    assert not support.known and not support.since and not support.until


def test_exchanges_beyond_the_eleven_are_offered_as_untested() -> None:
    profile = get_profile("bitstamp")
    assert profile.best_effort
    # Its own name (the account name suggested, /status, /keys, exports); "untested" is shown where it is offered.
    assert profile.name == "Bitstamp"
    assert render(profile.alerts[0]).startswith("Untested:")
    for ours in ("binance", "bybit", "okx", "bitget", "kraken", "coinbase", "kucoin", "gate", "mexc", "htx", "bigone"):
        assert not get_profile(ours).best_effort


# ------------------------------------------------------------------------------------------------ Bithumb stub

DAY_MS = 86_400_000
NOW_MS = int(datetime.now(UTC).timestamp() * 1000)
KST = timezone(timedelta(hours=9))  # Bithumb writes its times in Korea Standard Time: "2024-07-09T16:31:08+09:00"


def scripted_deposits(count: int) -> list[dict[str, Any]]:
    """`count` accepted BTC deposits a day apart, the newest yesterday, uuids "1".."count" (Bithumb's are numeric
    strings), amounts with more digits than a float keeps exactly, as Bithumb's NumberString fields carry them."""
    rows = []
    for number in range(1, count + 1):
        at = datetime.fromtimestamp((NOW_MS - (count - number + 1) * DAY_MS) / 1000, UTC).astimezone(KST)
        rows.append(
            {
                "type": "deposit",
                "uuid": str(number),
                "currency": "BTC",
                "net_type": "BTC",
                "txid": f"20240709163030.{number:05d}",
                "state": "DEPOSIT_ACCEPTED",
                "created_at": at.isoformat(timespec="seconds"),
                "done_at": at.isoformat(timespec="seconds"),
                "amount": f"{number}.000000012345678901",
                "fee": "0",
                "transaction_type": None,
            }
        )
    return rows


class BithumbStub:
    """Bithumb's market list and coin deposit list, as ccxt 4.5.90's `bithumb` reads them (generation 2 API).

    Written from ccxt's `bithumb.fetch_markets` and `bithumb.fetch_deposits` (their comments quote the answers) and
    Bithumb's page for the deposit list, https://apidocs.bithumb.com/reference/입금-리스트-조회 (the address ccxt
    cites): `GET /v1/deposits`, query `currency`, `state`, `uuids`, `txids`, `page` (default 1), `limit` (max 100),
    `order_by` (`desc`, newest first, by default); the answer is a bare JSON array of `{type, uuid, currency,
    net_type, txid, state, created_at, done_at, amount, fee, transaction_type}` with amounts as strings. No start or
    end time can be asked for. Only what ccxt sends is served (it sends `limit`, never `page` or `order_by`); the
    stub checks no signature (ccxt signs a JWT with the key). `GET /v1/market/all?isDetails=true` answers
    `[{market, korean_name, english_name, market_warning}]`: one KRW market, enough for ccxt to know BTC.
    """

    def __init__(self, deposits: list[dict[str, Any]]) -> None:
        self.deposits = deposits
        self.asked: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_get("/v1/market/all", self.market_list)
        self.app.router.add_get("/v1/deposits", self.deposit_list)
        self.runner = web.AppRunner(self.app)
        self.base_url = ""

    async def __aenter__(self) -> BithumbStub:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    async def market_list(self, request: web.Request) -> web.Response:
        market = {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin", "market_warning": "NONE"}
        return web.json_response([market])

    async def deposit_list(self, request: web.Request) -> web.Response:
        self.asked.append(dict(request.query))
        limit = min(int(request.query.get("limit", "100")), 100)
        newest_first = sorted(self.deposits, key=lambda d: datetime.fromisoformat(d["created_at"]), reverse=True)
        return web.json_response(newest_first[:limit])


@pytest.fixture
async def bithumb() -> AsyncIterator[tuple[BithumbStub, Any]]:
    async with BithumbStub(scripted_deposits(60)) as stub:
        pool = ClientPool({"bithumb": stub.base_url})
        try:
            async with pool.client("bithumb", "credential-1", {"apiKey": "key", "secret": "secret"}) as client:
                yield stub, client
        finally:
            await pool.close()


async def test_bithumb_deposits_bring_the_newest_page_and_report_everything_before_it_as_a_gap(
    bithumb: tuple[BithumbStub, Any],
) -> None:
    stub, client = bithumb
    profile = get_profile("bithumb")
    assert profile.best_effort  # untested: no guide, emulator or fetcher of Tallybot's own
    fetcher = fetcher_for(profile, client)
    assert isinstance(fetcher, GenericFetcher)
    since = datetime.now(UTC) - timedelta(days=365)
    until = datetime.now(UTC)
    report = FetchReport()
    pages = [p async for p in fetcher.fetch(Endpoint.DEPOSITS, since=since, until=until, cursors={}, report=report)]

    # One request, with nothing but the page size: Bithumb cannot be asked for a time range.
    assert report.requests == 1 and stub.asked == [{"limit": "50"}]
    records = [r for page in pages for r in page.records]
    # The newest 50 of 60 (uuids 11..60), amounts exact from the raw strings.
    assert sorted(int(str(r.exchange_tx_id)) for r in records) == list(range(11, 61))
    assert {r.amount for r in records if r.exchange_tx_id == "11"} == {Decimal("11.000000012345678901")}
    # Everything from the start of the sync to the oldest deposit received may be missing, and it says why.
    (gap,) = report.gaps
    assert gap.endpoint is Endpoint.DEPOSITS
    assert abs((gap.start - since).total_seconds()) < 1
    oldest = min(r.occurred_at for r in records)
    # Deposit 11 was made 50 days before now (scripted_deposits): its +09:00 time read as UTC, to the second.
    assert abs((oldest - datetime.fromtimestamp((NOW_MS - 50 * DAY_MS) / 1000, UTC)).total_seconds()) < 1
    assert gap.end == oldest
    assert gap.reason == Text.of(
        "sync.gap.untested_no_start",
        name="Bithumb",
        phrase=Text.of("endpoint.deposits.phrase"),
        method="fetchDeposits",
    )

    # A later sync can do no better: one request again, and the same gap again (never "complete").
    again = FetchReport()
    cursors = {pages[-1].market: pages[-1].cursor}
    await_pages = fetcher.fetch(Endpoint.DEPOSITS, since=since, until=until, cursors=cursors, report=again)
    assert [p async for p in await_pages]
    assert again.requests == 1 and len(again.gaps) == 1


# ------------------------------------------------------------------------- an exchange that ignores the end


class NewestFirstClient:
    """A ccxt-like client for an exchange that takes a start time but no end, and fills each page with the newest
    records from the start on (as Binance fills deposit pages). Its `fetch_deposits` is read by ccxt_ranges like any
    ccxt method: `since` reaches the request, `until` is never read."""

    has: ClassVar[dict[str, bool]] = {"fetchDeposits": True}

    def __init__(self, deposits: list[dict[str, Any]]) -> None:
        self.deposits = deposits

    async def fetch_deposits(
        self, code: str | None = None, since: int | None = None, limit: int | None = None, params: Any = None
    ) -> list[dict[str, Any]]:
        request = {"startTime": since, "limit": limit}
        answered = [d for d in self.deposits if request["startTime"] is None or d["timestamp"] >= request["startTime"]]
        answered.sort(key=lambda d: d["timestamp"], reverse=True)  # newest first, then cut to the page
        return sorted(answered[: request["limit"] or 1000], key=lambda d: d["timestamp"])

    def number_to_string(self, value: float) -> str:
        return repr(value)


async def test_pages_that_ignore_the_end_of_the_range_leave_gaps_over_everything_they_hid() -> None:
    day = 86_400_000
    start = NOW_MS - 200 * day
    deposits: list[dict[str, Any]] = [
        {
            "id": str(n),
            "txid": f"tx{n}",
            "timestamp": start + n * day,
            "currency": "BTC",
            "amount": 1.5,
            "status": "ok",
            "fee": None,
            "info": {"amount": "1.5"},
        }
        for n in range(120)
    ]
    profile = profile_from_metadata(
        exchange_id="newestfirst",
        name="NewestFirst",
        required_credentials={"apiKey": True, "secret": True},
        has={"fetchDeposits": True},
        urls={"www": "https://example.invalid"},
    )
    fetcher = GenericFetcher(profile, NewestFirstClient(deposits))
    support = fetcher.range_support(Endpoint.DEPOSITS)
    assert (support.known, support.since, support.until) == (True, True, False)

    since = datetime.fromtimestamp((start - day) / 1000, UTC)
    report = FetchReport()
    pages = [
        p
        async for p in fetcher.fetch(Endpoint.DEPOSITS, since=since, until=datetime.now(UTC), cursors={}, report=report)
    ]
    fetched = {r.exchange_tx_id for p in pages for r in p.records}
    missed = [d for d in deposits if d["id"] not in fetched]
    # Each page brings the newest 50 from the window's start: the 70 older deposits are never seen ...
    assert len(fetched) == 50 and len(missed) == 70
    # ... and every one of them lies in a range the report names as possibly missing, with the reason.
    for deposit in missed:
        when = datetime.fromtimestamp(deposit["timestamp"] / 1000, UTC)
        assert any(g.start <= when <= g.end for g in report.gaps), deposit["id"]
    assert {g.reason for g in report.gaps} == {
        Text.of("sync.gap.untested_ignored_end", name="NewestFirst", phrase=Text.of("endpoint.deposits.phrase"))
    }


# ------------------------------------------------------------------ deposits and withdrawals in one list


class CombinedListClient:
    """A ccxt-like client for an exchange with one list of deposits and withdrawals (ccxt's
    `fetchDepositsWithdrawals`) that takes a start and an end and fills pages from the old end."""

    has: ClassVar[dict[str, bool]] = {"fetchDepositsWithdrawals": True}

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls = 0

    async def fetch_deposits_withdrawals(
        self, code: str | None = None, since: int | None = None, limit: int | None = None, params: Any = None
    ) -> list[dict[str, Any]]:
        self.calls += 1
        request = {"start": since, "end": (params or {}).get("until"), "limit": limit}
        inside = [
            r
            for r in self.rows
            if (request["start"] is None or r["timestamp"] >= request["start"])
            and (request["end"] is None or r["timestamp"] <= request["end"])
        ]
        return sorted(inside, key=lambda r: r["timestamp"])[: request["limit"] or 1000]

    def number_to_string(self, value: float) -> str:
        return repr(value)


async def test_an_exchange_with_one_list_of_deposits_and_withdrawals_syncs_each_from_it() -> None:
    day = 86_400_000
    start = NOW_MS - 100 * day
    rows: list[dict[str, Any]] = [
        {
            "id": str(n),
            "txid": f"tx{n}",
            "type": "deposit" if n % 3 else "withdrawal",
            "timestamp": start + n * day // 2,
            "currency": "ETH",
            "amount": 2.25,
            "status": "ok",
            "fee": None,
            "info": {"amount": "2.25"},
        }
        for n in range(150)
    ]
    profile = profile_from_metadata(
        exchange_id="onelist",
        name="OneList",
        required_credentials={"apiKey": True, "secret": True},
        has={"fetchDepositsWithdrawals": True, "fetchConvertTradeHistory": True, "fetchTransfers": True},
        urls={"www": "https://example.invalid"},
    )
    # Offered: what the generic fetcher reads; not converts or transfers, which it has no walk for.
    assert [s.endpoint for s in profile.endpoints] == [Endpoint.DEPOSITS, Endpoint.WITHDRAWALS]
    client = CombinedListClient(rows)
    fetcher = GenericFetcher(profile, client)
    assert fetcher.supports(Endpoint.DEPOSITS) and fetcher.supports(Endpoint.WITHDRAWALS)

    since = datetime.fromtimestamp((start - day) / 1000, UTC)
    found: dict[Endpoint, set[str]] = {}
    for endpoint in (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS):
        report = FetchReport()
        pages = fetcher.fetch(endpoint, since=since, until=datetime.now(UTC), cursors={}, report=report)
        found[endpoint] = {str(r.exchange_tx_id) async for p in pages for r in p.records}
        assert report.gaps == []
    assert found[Endpoint.DEPOSITS] == {r["id"] for r in rows if r["type"] == "deposit"}
    assert found[Endpoint.WITHDRAWALS] == {r["id"] for r in rows if r["type"] == "withdrawal"}
