"""HTX against its documentation: the documented answers in tests/conformance/documented/htx/ and the tables of
docs/exchange-apis/htx.md.

Two checks per documented answer: the emulator answers in its shape (never the other way round), and the fetcher
reads off it what a person reads (the expected records are written by hand from the payload). Then the rules: the
signature (built here by hand from HTX's "Authentication" page), the key refusals, the 48-hour window and 120-day
reach of match results, paging by id, the 20-per-2-seconds limit, and the key check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import pytest

from bot.secret import Secret
from connectors.clients import ClientPool
from connectors.diagnosis.model import DiagnosisCode
from connectors.fetchers.base import FetchReport
from connectors.fetchers.discovery import SpotMarket
from connectors.fetchers.htx import HtxFetcher
from connectors.fetchers.htx.rows import RowReader
from connectors.key_permissions import PermissionsUnreadable, parse_htx
from connectors.keycheck import check_key
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind, ms_to_utc
from i18n import render
from sandbox.exchanges import AccountProfile, Credentials, HtxEmulator, HtxLimits
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from tests.conformance.corpus import readable, shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "htx"
SMALL = AccountProfile(
    years=0.5, traded_markets=3, trades=400, deposits=20, withdrawals=10, converts=0, transfers=0, rewards=0
)


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"), parse_float=Decimal)


class Codes:
    """ccxt's code for an HTX currency id is the id in upper case."""

    def safe_currency_code(self, currency: str) -> str:
        return currency.upper()


@pytest.fixture
async def htx() -> AsyncIterator[HtxEmulator]:
    async with HtxEmulator(seed=12, profile=SMALL, listed_symbols=20) as emulator:
        yield emulator


def signed_url(
    emulator: HtxEmulator,
    key: Credentials,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    skew: timedelta = timedelta(0),
    secret: str | None = None,
) -> str:
    """A GET signed as HTX's "Authentication" page shows, step by step, by hand."""
    stamp = (datetime.now(UTC) + skew).strftime("%Y-%m-%dT%H:%M:%S")
    query = {
        "AccessKeyId": key.api_key,
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": stamp,
        **{k: str(v) for k, v in (params or {}).items()},
    }
    # 4-5: URL-encoded (upper-case hex: ':' is %3A), sorted by ASCII, joined by '&'.
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(query.items()))
    host = urlsplit(emulator.base_url).netloc.lower()
    # 6: method, host in lower case, path and parameters, each on its own line.
    payload = f"GET\n{host}\n{path}\n{encoded}"
    digest = hmac.new((secret or key.secret).encode(), payload.encode(), hashlib.sha256).digest()
    signature = quote(base64.b64encode(digest).decode(), safe="")
    return f"{emulator.base_url}{path}?{encoded}&Signature={signature}"


async def get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        return answer.status, json.loads(await answer.text(), parse_float=Decimal)


# -- the documented answers ----------------------------------------------------------------------------------


async def test_the_emulator_answers_the_documented_examples_in_their_shape(htx: HtxEmulator) -> None:
    key = htx.create_demo_keys().read_only
    last = htx.account.trades[-1].timestamp
    _, trades = await get(signed_url(htx, key, "/v1/order/matchresults", {"end-time": last}))
    _, withdrawals = await get(signed_url(htx, key, "/v1/query/deposit-withdraw", {"type": "withdraw"}))
    _, deposits = await get(signed_url(htx, key, "/v1/query/deposit-withdraw", {"type": "deposit"}))
    _, uid = await get(signed_url(htx, key, "/v2/user/uid"))
    _, keys = await get(signed_url(htx, key, "/v2/user/api-key", {"uid": uid["data"], "accessKey": key.api_key}))
    assert trades["data"] and withdrawals["data"] and deposits["data"]
    assert shape_differences(documented("matchresults.docs.json")["response"], trades) == []
    assert shape_differences(documented("deposit_withdraw.docs.json")["response"], withdrawals) == []
    assert shape_differences(documented("deposit_withdraw.docs.json")["response"], deposits) == []
    assert shape_differences(documented("api_key.docs.json")["response"], keys) == []
    assert shape_differences(documented("user_uid.docs.json")["response"], uid) == []


def test_the_fetcher_reads_the_documented_match_result_as_a_person_does() -> None:
    row = documented("matchresults.docs.json")["response"]["data"][0]
    market = SpotMarket("polyusdt", "poly", "usdt", "POLY/USDT", "POLY", "USDT")
    record = RowReader(Codes()).trade(market, row)
    # buy-market: bought 147.928994082840236 POLY at 0.338 USDT; no fee in POLY, 0.1 deducted in HBPOINT.
    assert readable(record) == {
        "kind": RecordKind.TRADE,
        "occurred_at": datetime(2021, 8, 20, 7, 4, 11, 839000, tzinfo=UTC),
        "asset": "POLY",
        "amount": Decimal("147.928994082840236"),
        "exchange_tx_id": "1085",
        "market": "POLY/USDT",
        "side": "buy",
        "quote_asset": "USDT",
        "quote_amount": Decimal("49.999999999999999768"),
        "price": Decimal("0.338"),
        "fee_asset": "HBPOINT",
        "fee_amount": Decimal("0.1"),
    }


def test_the_fetcher_reads_the_documented_withdrawals_with_their_exact_amounts() -> None:
    reader = RowReader(Codes())
    rows = documented("deposit_withdraw.docs.json")["response"]["data"]
    records = [reader.transfer(row)[0] for row in rows]
    assert [readable(r) for r in records if r is not None] == [
        {
            "kind": RecordKind.WITHDRAWAL,
            "occurred_at": datetime(2021, 2, 2, 10, 22, 10, 443000, tzinfo=UTC),
            "asset": "USDT",
            "amount": Decimal("400"),
            "exchange_tx_id": "45182894",  # a fast (off-chain) withdrawal has no tx-hash: its own id
            "market": None,
            "side": None,
            "quote_asset": None,
            "quote_amount": None,
            "price": None,
            "fee_asset": None,  # fee 0
            "fee_amount": None,
        },
        {
            "kind": RecordKind.WITHDRAWAL,
            "occurred_at": datetime(2021, 5, 19, 9, 35, 7, 639000, tzinfo=UTC),
            "asset": "USDT",
            "amount": Decimal("2"),
            "exchange_tx_id": "61003926",
            "market": None,
            "side": None,
            "quote_asset": None,
            "quote_amount": None,
            "price": None,
            "fee_asset": None,
            "fee_amount": None,
        },
    ]


def test_the_key_check_reads_the_documented_key_answer() -> None:
    answer = documented("api_key.docs.json")["response"]
    # Asked at its updateTime 1629875976000 (2021-08-25 07:19:36 UTC): "readOnly,trade,withdraw", no IP, status
    # normal, validDays 7 ("API key expire in (days)"): it lapses 7 days after the question, on 2021-09-01. (Counted
    # from its createTime, 2021-06-08, it would have lapsed on 2021-06-15, yet it is "normal" in August.)
    asked = datetime(2021, 8, 25, 7, 19, 36, tzinfo=UTC)
    second = parse_htx(answer, "5000d371-edXXXXf5tf-40XXXX8b-ab8e5", now=asked)
    assert (second.can_read, second.can_trade, second.can_withdraw, second.ip_restricted) == (True, True, True, False)
    assert second.expires_at == datetime(2021, 9, 1, 7, 19, 36, tzinfo=UTC)
    first = parse_htx(answer, "160bb889-b7XXXXbe-e0XXXXf5-ghxertfvbf", now=asked)
    assert (first.can_trade, first.can_withdraw, first.ip_restricted, first.expires_at) == (True, False, True, None)


def test_the_key_check_trusts_no_row_of_another_key_and_no_row_without_a_status() -> None:
    answer = documented("api_key.docs.json")["response"]
    other, second = answer["data"]
    lone_other = {**answer, "data": [other]}
    with pytest.raises(PermissionsUnreadable):
        parse_htx(lone_other, "5000d371-edXXXXf5tf-40XXXX8b-ab8e5")
    no_status = {**answer, "data": [{k: v for k, v in second.items() if k != "status"}]}
    with pytest.raises(PermissionsUnreadable):
        parse_htx(no_status, "5000d371-edXXXXf5tf-40XXXX8b-ab8e5")
    expired = {**answer, "data": [{**second, "status": "expired"}]}
    assert parse_htx(expired, "5000d371-edXXXXf5tf-40XXXX8b-ab8e5").can_read is False


# -- the rules ------------------------------------------------------------------------------------------------


async def test_every_key_refusal_is_htxs_api_signature_not_valid(htx: HtxEmulator) -> None:
    keys = htx.create_demo_keys()
    path, params = "/v1/query/deposit-withdraw", {"type": "deposit"}
    status, body = await get(signed_url(htx, keys.read_only, path, params))
    assert status == 200 and body["status"] == "ok"
    refusals = {
        "wrong secret": signed_url(htx, keys.read_only, path, params, secret=keys.trading.secret),
        "timestamp 6 minutes old": signed_url(htx, keys.read_only, path, params, skew=timedelta(minutes=-6)),
        "expired": signed_url(htx, keys.expired, path, params),
        "revoked": signed_url(htx, keys.revoked, path, params),
        "ip": signed_url(htx, keys.ip_restricted, path, params),
    }
    for reason, url in refusals.items():
        status, body = await get(url)
        assert (status, body["status"], body["err-code"]) == (200, "error", "api-signature-not-valid"), reason
    # Four minutes of skew is inside "valid within 5 minutes".
    status, body = await get(signed_url(htx, keys.read_only, path, params, skew=timedelta(minutes=-4)))
    assert body["status"] == "ok"
    # v2 paths answer with their own envelope.
    status, body = await get(signed_url(htx, keys.read_only, "/v2/user/uid", secret=keys.trading.secret))
    assert (body["code"], body["ok"]) == (1003, False)


async def test_match_results_take_48_hours_within_120_days_newest_first_and_page_by_id(htx: HtxEmulator) -> None:
    key = htx.create_demo_keys().read_only
    now = htx.clock.now_ms()
    path = "/v1/order/matchresults"
    _, body = await get(signed_url(htx, key, path, {"start-time": now - 49 * HOUR_MS, "end-time": now}))
    assert body["err-code"] == "invalid-parameter"
    _, body = await get(signed_url(htx, key, path, {"start-time": now - 121 * DAY_MS, "end-time": now - 120 * DAY_MS}))
    assert body["err-code"] == "base-date-limit-error"
    # The busiest 48 hours of the reach, read two rows a page: every trade once, newest first.
    reach = [t for t in htx.account.trades if t.timestamp >= now - 119 * DAY_MS]
    start = max(reach, key=lambda t: sum(1 for u in reach if t.timestamp <= u.timestamp < t.timestamp + 2 * DAY_MS))
    window = {"start-time": start.timestamp, "end-time": start.timestamp + 48 * HOUR_MS - 1, "size": 2}
    expected = [t for t in reach if window["start-time"] <= t.timestamp <= window["end-time"]]
    assert len(expected) > 2
    seen: list[int] = []
    token: str | None = None
    while True:
        _, body = await get(signed_url(htx, key, path, {**window, **({"from": token} if token else {})}))
        seen += [row["created-at"] for row in body["data"]]
        if len(body["data"]) < 2:
            break
        token = str(body["data"][-1]["id"])
    assert seen == sorted((t.timestamp for t in expected), reverse=True)
    _, body = await get(signed_url(htx, key, path, {"size": 501}))
    assert body["err-code"] == "invalid-parameter"


async def test_transfers_page_by_id_from_the_first_when_ascending(htx: HtxEmulator) -> None:
    key = htx.create_demo_keys().read_only
    path = "/v1/query/deposit-withdraw"
    _, first = await get(signed_url(htx, key, path, {"type": "deposit", "direct": "prev", "size": 5}))
    ids = [row["id"] for row in first["data"]]
    assert ids == sorted(ids) and len(ids) == 5
    _, second = await get(signed_url(htx, key, path, {"type": "deposit", "direct": "prev", "size": 5, "from": ids[-1]}))
    assert second["data"][0]["id"] == ids[-1]  # from is where the search begins
    times = [d.timestamp for d in sorted(htx.account.deposits, key=lambda d: d.timestamp)]
    assert [row["created-at"] for row in first["data"]] == times[:5]
    # Amounts are JSON numbers with every digit of the record.
    assert first["data"][0]["amount"] == min(htx.account.deposits, key=lambda d: d.timestamp).amount


async def test_each_private_endpoint_allows_20_requests_per_2_seconds() -> None:
    async with HtxEmulator(seed=3, profile=SMALL, listed_symbols=10, limits=HtxLimits()) as htx:
        key = htx.create_demo_keys().read_only
        htx.clock.set(htx.clock.now_ms())  # frozen: all 21 requests fall in one window
        url = signed_url(htx, key, "/v1/query/deposit-withdraw", {"type": "deposit"})
        answers = [await get(url) for _ in range(21)]
        assert [status for status, _ in answers[:20]] == [200] * 20
        assert answers[20][0] == 429
        # Another endpoint has its own budget.
        status, _ = await get(signed_url(htx, key, "/v1/order/matchresults"))
        assert status == 200


async def test_the_key_check_reads_the_permission_endpoint_and_htxs_refusals() -> None:
    async with HtxEmulator(seed=5, profile=SMALL, listed_symbols=10) as htx:
        keys = htx.create_demo_keys()
        pool = ClientPool({"htx": htx.base_url})
        outcomes = {}
        try:
            for name in ("read_only", "trading", "withdrawal", "expired", "ip_restricted", "revoked"):
                key = getattr(keys, name)
                fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
                checked = await check_key(get_profile("htx"), fields, pool=pool, credential_id=f"demo:{name}")
                outcomes[name] = (checked.ok, checked.diagnosis.code if checked.diagnosis else None)
                if name == "read_only":
                    # Made just now without an IP: validDays 90 days left, so it lapses 90 days after the check.
                    assert checked.expires_at is not None
                    left = checked.expires_at - datetime.now(UTC)
                    assert timedelta(days=89, hours=23) < left <= timedelta(days=90)
                    assert (checked.can_read, checked.can_trade, checked.can_withdraw) == (True, False, False)
        finally:
            await pool.close()
    D = DiagnosisCode
    assert outcomes["read_only"] == (True, None)
    assert outcomes["trading"][0] is False and outcomes["withdrawal"][0] is False
    assert {outcomes[n] for n in ("expired", "ip_restricted", "revoked")} == {(False, D.KEY_REFUSED)}


# -- the fetcher against the emulator ---------------------------------------------------------------------------

DENSE = AccountProfile(
    years=0.5, traded_markets=4, trades=3000, deposits=120, withdrawals=60, converts=0, transfers=300, rewards=0
)


ALL = (Endpoint.SPOT_TRADES, Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.TRANSFERS)


def small_pages(size: int) -> Any:
    """HTX's profile with every page `size` rows, so a small account needs several pages per window and list."""
    profile = get_profile("htx")
    return replace(profile, endpoints=tuple(replace(spec, page_size=size) for spec in profile.endpoints))


async def fetch_all(
    fetcher: HtxFetcher, endpoint: Endpoint, cursors: dict[str, Any], report: FetchReport
) -> tuple[list[NormalizedRecord], dict[str, Any]]:
    records: list[NormalizedRecord] = []
    async for page in fetcher.fetch(endpoint, since=None, until=datetime.now(UTC), cursors=cursors, report=report):
        records.extend(page.records)
        cursors = {"": page.cursor}
    return records, cursors


async def test_the_fetcher_pages_windows_and_lists_reads_everything_once_and_resumes_with_one_request_each() -> None:
    async with HtxEmulator(seed=21, profile=DENSE, listed_symbols=12) as htx:
        key = htx.create_demo_keys().read_only
        pool = ClientPool({"htx": htx.base_url})
        try:
            async with pool.client("htx", "conformance", key.ccxt_config()) as client:
                fetcher = HtxFetcher(small_pages(20), client)
                report = FetchReport()
                found, ends = {}, {}
                for endpoint in ALL:
                    found[endpoint], ends[endpoint] = await fetch_all(fetcher, endpoint, {}, report)
                first = dict(htx.requests.by_path)
                htx.requests.reset()
                again = FetchReport()
                for endpoint in ALL:
                    records, _ = await fetch_all(fetcher, endpoint, ends[endpoint], again)
                    assert records == [], endpoint
                second = dict(htx.requests.by_path)
        finally:
            await pool.close()
    reachable = htx.trades_in_reach
    trades = sorted(r.natural_key for r in found[Endpoint.SPOT_TRADES])
    assert len(trades) == len(set(trades)) == len(reachable)  # every trade of the reach, none twice
    assert {(r.market, r.amount, r.price) for r in found[Endpoint.SPOT_TRADES]} == {
        (f"{t.base}/{t.quote}", t.amount, t.price) for t in reachable
    }
    assert sorted((r.asset, r.amount) for r in found[Endpoint.DEPOSITS]) == sorted(
        (d.asset, d.amount) for d in htx.account.deposits
    )
    assert sorted((r.asset, r.amount, r.fee_amount or 0) for r in found[Endpoint.WITHDRAWALS]) == sorted(
        (w.asset, w.amount, w.fee) for w in htx.account.withdrawals
    )
    # 60 windows of 48 hours, some needing several pages of 20. 120 deposits in pages of 20: the first 20, then 19
    # new ones a page (each repeats the row at `from`): 20 + 5 × 19 = 115 after 6 pages, the 7th brings the last
    # 5 and the 8th only the row at `from`, which ends the list. 60 withdrawals: 20 + 19 + 19 = 58, then 2, then
    # none: 5 pages.
    assert first["/v1/order/matchresults"] > 60
    assert first["/v1/query/deposit-withdraw"] == 8 + 5
    # 18 ledger windows of 10 days, some needing several pages of 20 (paged by nextId); every move once.
    moved = sorted(r.natural_key for r in found[Endpoint.TRANSFERS])
    assert len(moved) == len(set(moved)) == len(htx.transfers_in_reach)
    assert sorted((r.asset, r.amount) for r in found[Endpoint.TRANSFERS]) == sorted(
        (t.asset, t.amount) for t in htx.transfers_in_reach
    )
    assert first["/v2/account/ledger"] > 18
    # Resumed: one window of trades, one page per list.
    assert second == {"/v1/order/matchresults": 1, "/v1/query/deposit-withdraw": 2, "/v2/account/ledger": 1}, second


async def test_a_deposit_still_confirming_is_read_again_and_stored_once_it_is_safe() -> None:
    async with HtxEmulator(seed=22, profile=SMALL, listed_symbols=10) as htx:
        key = htx.create_demo_keys().read_only
        newest = max(htx.account.deposits, key=lambda d: d.timestamp)
        recent = replace(newest, timestamp=htx.clock.now_ms() - DAY_MS)  # settling: within the hold's reach
        htx.book.transfer_ids[id(recent)] = htx.book.transfer_id(newest)
        htx.account = replace(htx.account, deposits=(*htx.account.deposits[:-1], recent))
        htx.book.account = htx.account
        htx.book.states[htx.book.transfer_id(recent)] = "confirming"
        pool = ClientPool({"htx": htx.base_url})
        try:
            async with pool.client("htx", "conformance", key.ccxt_config()) as client:
                fetcher = HtxFetcher(get_profile("htx"), client)
                first, cursors = await fetch_all(fetcher, Endpoint.DEPOSITS, {}, FetchReport())
                htx.book.states.clear()  # now safe
                second, _ = await fetch_all(fetcher, Endpoint.DEPOSITS, cursors, FetchReport())
        finally:
            await pool.close()
    assert len(first) == len(htx.account.deposits) - 1
    assert [(r.asset, r.amount) for r in second] == [(recent.asset, recent.amount)]


async def test_the_ledger_answers_in_the_documented_shape_and_pages_10_days_by_next_id() -> None:
    profile = replace(SMALL, transfers=400, years=0.4)
    async with HtxEmulator(seed=23, profile=profile, listed_symbols=10) as htx:
        key = htx.create_demo_keys().read_only
        path = "/v2/account/ledger"
        now = htx.clock.now_ms()
        _, body = await get(signed_url(htx, key, path, {"startTime": now - 11 * DAY_MS, "endTime": now}))
        assert (body["code"], body["ok"]) == (2002, False)  # more than 10 days
        _, body = await get(
            signed_url(htx, key, path, {"startTime": now - 181 * DAY_MS, "endTime": now - 175 * DAY_MS})
        )
        assert (body["code"], body["ok"]) == (2002, False)  # older than 180 days
        # The busiest 10 days of the reach, three rows a page, paged by nextId until it is absent.
        reach = htx.transfers_in_reach
        busiest = max(reach, key=lambda t: sum(t.timestamp <= u.timestamp < t.timestamp + 10 * DAY_MS for u in reach))
        window = {"startTime": busiest.timestamp, "endTime": busiest.timestamp + 10 * DAY_MS - 1, "limit": 3}
        expected = [t for t in reach if window["startTime"] <= t.timestamp <= window["endTime"]]
        assert len(expected) > 3
        seen: list[int] = []
        params: dict[str, Any] = dict(window)
        while True:
            _, body = await get(signed_url(htx, key, path, params))
            assert shape_differences(documented("account_ledger.docs.json")["response"], body) == [] or (
                "nextId" not in body and len(body["data"]) < 3
            )
            seen += [row["transactTime"] for row in body["data"]]
            if "nextId" not in body:
                break
            params = {**window, "fromId": body["nextId"]}
        assert sorted(seen) == sorted(t.timestamp for t in expected) and len(seen) == len(expected)


def test_the_fetcher_reads_the_documented_ledger_transfers_as_the_amounts_moved() -> None:
    reader = RowReader(Codes())
    rows = documented("account_ledger.docs.json")["response"]["data"]
    records = [reader.own_transfer(row) for row in rows]
    # 10 USDT out of margin into the queried account, then 10 USDT the other way: two moves of 10 USDT.
    assert [(r.kind, r.asset, r.amount, r.occurred_at) for r in records] == [
        (RecordKind.TRANSFER, "USDT", Decimal("10"), datetime(2021, 8, 25, 9, 5, 31, 66000, tzinfo=UTC)),
        (RecordKind.TRANSFER, "USDT", Decimal("10"), datetime(2021, 8, 25, 9, 1, 36, 562000, tzinfo=UTC)),
    ]
    assert records[0].natural_key != records[1].natural_key  # transactId 0 in both: told apart by their contents


async def deposits_fetched(htx: HtxEmulator, cursors: dict[str, Any]) -> tuple[list[NormalizedRecord], Any, Any]:
    key = htx.create_demo_keys().read_only
    pool = ClientPool({"htx": htx.base_url})
    try:
        async with pool.client("htx", "conformance", key.ccxt_config()) as client:
            report = FetchReport()
            records, ends = await fetch_all(HtxFetcher(get_profile("htx"), client), Endpoint.DEPOSITS, cursors, report)
    finally:
        await pool.close()
    return records, ends, report


async def test_a_deposit_pending_past_14_days_is_let_go_with_a_gap_at_its_time() -> None:
    async with HtxEmulator(seed=24, profile=SMALL, listed_symbols=10) as htx:
        newest = max(htx.account.deposits, key=lambda d: d.timestamp)
        stuck_ms = htx.clock.now_ms() - 15 * DAY_MS  # still "orphan" after 15 days: stuck, not settling
        stuck = replace(newest, timestamp=stuck_ms)
        htx.book.transfer_ids[id(stuck)] = htx.book.transfer_id(newest)
        htx.account = replace(htx.account, deposits=(*htx.account.deposits[:-1], stuck))
        htx.book.account = htx.account
        htx.book.states[htx.book.transfer_id(stuck)] = "orphan"
        first, cursors, report = await deposits_fetched(htx, {})
        again, _, later = await deposits_fetched(htx, cursors)
    assert len(first) == len(htx.account.deposits) - 1 and again == []
    when = ms_to_utc(stuck_ms)
    [gap] = report.gaps
    assert (gap.endpoint, gap.start, gap.end) == (Endpoint.DEPOSITS, when, when)
    assert render(gap.reason).startswith(
        f"One of your deposits from {when:%Y-%m-%d %H:%M:%S} UTC was still pending after 14"
    )
    # The cursor went past it: the next sync neither waits for it nor says so again.
    assert cursors[""]["from_id"] == max(htx.book.transfer_ids.values()) and later.gaps == []


async def test_deposits_are_read_to_an_empty_page_when_htx_answers_fewer_rows_than_asked() -> None:
    async with HtxEmulator(seed=25, profile=replace(SMALL, deposits=120), listed_symbols=10) as htx:
        htx.book.wallet_page_cap = 50  # the fetcher asks 100
        records, _, _ = await deposits_fetched(htx, {})
    assert sorted((r.asset, r.amount) for r in records) == sorted((d.asset, d.amount) for d in htx.account.deposits)
    assert len(records) == len(htx.account.deposits) > 100  # more than two capped pages


async def test_a_trade_whose_fee_is_still_deducted_is_stored_once_its_fee_is_done() -> None:
    async with HtxEmulator(seed=26, profile=SMALL, listed_symbols=10) as htx:
        key = htx.create_demo_keys().read_only
        trade = max((t for t in htx.account.trades if t.fee > 0), key=lambda t: t.timestamp)
        assert htx.clock.now_ms() - trade.timestamp < 13 * DAY_MS  # settling, not stuck
        htx.book.fees_ongoing.add(trade.id)  # "fee-deduct-state": "ongoing", filled-fees not final
        pool = ClientPool({"htx": htx.base_url})
        try:
            async with pool.client("htx", "conformance", key.ccxt_config()) as client:
                fetcher = HtxFetcher(get_profile("htx"), client)
                first, cursors = await fetch_all(fetcher, Endpoint.SPOT_TRADES, {}, FetchReport())
                htx.book.fees_ongoing.clear()  # "done": filled-fees is final
                second, _ = await fetch_all(fetcher, Endpoint.SPOT_TRADES, cursors, FetchReport())
        finally:
            await pool.close()
    mine = f"{trade.id}"
    assert [r for r in first if r.raw["id"] == int(mine)] == []
    assert cursors[""]["window_start_ms"] == trade.timestamp  # held where the unsettled trade is
    [settled] = [r for r in second if r.raw["id"] == int(mine)]
    assert (settled.fee_asset, settled.fee_amount) == (trade.fee_asset, trade.fee)
