"""OKX bills older than bills-archive's three months, from bills-history-archive's quarterly files: a first sync
applies once per quarter for all three endpoints and ends partial while OKX prepares them; two hours later the next
sync stores exactly the scripted old bills (written here by hand from OLD_FILLS and OLD_BILLS in
sandbox/exchanges/okx_derivatives.py); a third downloads nothing. A failed file is applied for again; the day's 12
applications spent leave the rest for a later sync; the file is read as the docs' columns say."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import ccxt
import pytest

from connectors.fetchers.base import Cursor, FetchReport, RateLimited
from connectors.fetchers.okx.archive_files import ArchiveFiles, read_file
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, OkxEmulator
from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.okx import OkxLimits
from tests.conformance.corpus import shape_differences
from tests.connectors.test_fetch_okx import okx_client

SMALL = AccountProfile(years=0.2, traded_markets=3, trades=20, deposits=3, withdrawals=1, converts=1, transfers=2)
FAST = OkxLimits(rules={}, default_rule=(100_000, 1_000))
KINDS = (Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_LOANS)
SINCE = datetime.now(UTC) - timedelta(days=300)
# The scripted bills older than three months, as a person reads them off the script: the swap closed 200 days ago
# realized +250 USDT (its fee is on the fill), a funding fee paid 230 days ago, interest charged 120 days ago. The
# opening fill 260 days ago moved only its fee, which the fill carries.
OLD = sorted(
    [
        (RecordKind.REALIZED_PNL, "USDT", Decimal(250)),
        (RecordKind.FUNDING, "USDT", Decimal("-0.75")),
        (RecordKind.INTEREST, "USDT", Decimal("-0.12")),
    ],
    key=str,
)


def _quarters_between(start: datetime, end: datetime) -> set[str]:
    """Calendar quarters holding some of [start, end), counted by hand."""
    found, at = set(), start
    while at < end:
        found.add(f"{at.year}Q{(at.month - 1) // 3 + 1}")
        at += timedelta(days=1)
    return found


def _wanted_quarters() -> set[str]:
    # bills-archive keeps 90 days; the current quarter is never archived.
    return _quarters_between(SINCE, datetime.now(UTC) - timedelta(days=90))


@pytest.fixture
async def okx() -> AsyncIterator[OkxEmulator]:
    async with OkxEmulator(
        seed=15, profile=SMALL, listed_symbols=12, limits=FAST, derivatives=True, bill_history=True
    ) as emulator:
        yield emulator


async def sync_all(client: Any, cursors: dict[Endpoint, dict[str, Cursor]]) -> tuple[list[NormalizedRecord], list[str]]:
    """One sync of the three endpoints with one fetcher, as the sync engine runs them; the records and gap ids."""
    fetcher = fetcher_for(get_profile("okx"), client)
    records: list[NormalizedRecord] = []
    gaps: list[str] = []
    for endpoint in KINDS:
        report = FetchReport()
        stored = cursors.setdefault(endpoint, {})
        async for page in fetcher.fetch(
            endpoint, since=SINCE, until=datetime.now(UTC), cursors=dict(stored), report=report
        ):
            stored[page.market] = json.loads(json.dumps(page.cursor))
            records.extend(page.records)
        gaps += [g.reason.id for g in report.gaps]
    return records, gaps


def old_ones(records: list[NormalizedRecord]) -> list[tuple[object, ...]]:
    """The bills older than three months (the fills of those months come from fills-history's year)."""
    cutoff = datetime.now(UTC) - timedelta(days=90)
    bills = (RecordKind.REALIZED_PNL, RecordKind.FUNDING, RecordKind.INTEREST)
    return sorted(((r.kind, r.asset, r.amount) for r in records if r.occurred_at < cutoff and r.kind in bills), key=str)


async def test_old_bills_arrive_two_hours_after_the_first_sync_and_are_downloaded_once(okx: OkxEmulator) -> None:
    archive = okx.book.archive
    quarters = _wanted_quarters()
    async with okx_client(okx) as client:
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        records, gaps = await sync_all(client, cursors)
        assert old_ones(records) == []
        # Every endpoint says the older part is being prepared; each quarter was applied for once, for all three.
        assert gaps.count("sync.gap.okx.archive_preparing") == 3
        assert set(archive.applications) == quarters
        assert archive.application_requests == len(quarters)
        assert archive.downloads == 0

        archive.ready_after_ms = 0  # two hours later
        records, gaps = await sync_all(client, cursors)
        assert old_ones(records) == OLD
        assert [r.market for r in records if r.kind is RecordKind.REALIZED_PNL] == ["BTC/USDT:USDT"]
        assert gaps == []
        assert archive.application_requests == len(quarters)  # an application holds 30 days: only the link asked
        assert archive.downloads == len(quarters)  # one file per quarter for the three endpoints

        records, gaps = await sync_all(client, cursors)
        assert (records, gaps) == ([], [])
        assert archive.application_requests == len(quarters)
        assert archive.downloads == len(quarters)


async def test_a_file_okx_failed_to_prepare_is_applied_for_again_and_read_by_a_later_sync(okx: OkxEmulator) -> None:
    archive = okx.book.archive
    quarters = _wanted_quarters()
    archive.failing = dict.fromkeys(quarters, 1)
    async with okx_client(okx) as client:
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        await sync_all(client, cursors)
        archive.ready_after_ms = 0
        records, gaps = await sync_all(client, cursors)  # "failed": applied again, prepared anew
        assert old_ones(records) == []
        assert gaps.count("sync.gap.okx.archive_preparing") == 3
        assert archive.application_requests == 2 * len(quarters)
        records, gaps = await sync_all(client, cursors)
        assert old_ones(records) == OLD
        assert gaps == []


async def test_a_file_that_fails_twice_is_named_as_okx_archiving_unified_accounts_only_and_still_read_later(
    okx: OkxEmulator,
) -> None:
    archive = okx.book.archive
    quarters = _wanted_quarters()
    archive.failing = dict.fromkeys(quarters, 2)
    async with okx_client(okx) as client:
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        await sync_all(client, cursors)
        archive.ready_after_ms = 0
        _, gaps = await sync_all(client, cursors)  # failed once: applied again, "preparing"
        assert gaps.count("sync.gap.okx.archive_preparing") == 3
        records, gaps = await sync_all(client, cursors)  # failed twice: said so, and applied again
        assert old_ones(records) == []
        assert gaps.count("sync.gap.okx.archive_failed") == 3
        assert "sync.gap.okx.archive_preparing" not in gaps
        records, gaps = await sync_all(client, cursors)
        assert old_ones(records) == OLD
        assert gaps == []


async def test_the_days_applications_spent_leave_the_rest_for_a_later_sync() -> None:
    # OKX's 12 a day, shrunk to one so the test reaches the end of the day's budget at once.
    limits = OkxLimits(rules={"POST /api/v5/account/bills-history-archive": (1, DAY_MS)}, default_rule=(100_000, 1_000))
    async with (
        OkxEmulator(
            seed=15, profile=SMALL, listed_symbols=12, limits=limits, derivatives=True, bill_history=True
        ) as okx,
        okx_client(okx) as client,
    ):
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        _, gaps = await sync_all(client, cursors)
        # One application a day here: the newest quarter is applied for, the others wait; one 50011, then no more.
        newest = max(_wanted_quarters())
        assert set(okx.book.archive.applications) == {newest}
        assert okx.book.archive.application_requests == 1  # the second was answered 50011 before it was served
        assert gaps.count("sync.gap.okx.archive_preparing") == 3
        okx.book.archive.ready_after_ms = 0
        _, gaps = await sync_all(client, cursors)
        # 210 days span at least two quarters: the others still wait for the next day's applications.
        assert gaps.count("sync.gap.okx.archive_preparing") == 3
        assert okx.book.archive.downloads == 1


def test_the_file_is_read_by_its_documented_columns_with_the_type_from_the_subtype() -> None:
    # Two rows in the page's column order ("Field descriptions in the decompressed CSV file"), gzip-compressed.
    columns = [
        "instType",
        "billId",
        "subType",
        "ts",
        "balChg",
        "posBalChg",
        "bal",
        "posBal",
        "sz",
        "px",
        "ccy",
        "pnl",
        "fee",
        "mgnMode",
        "instId",
    ]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    writer.writerow(["SWAP", "3", "173", "1700000000000", "-0.0000123456789", "0", "5", "0", "1", "", "USDT"])
    writer.writerow(["MARGIN", "2", "9", "1690000000000", "-0.05", "0", "5", "0", "", "", "USDT"])
    rows = read_file(gzip.compress(text.getvalue().encode()))
    assert [(r["billId"], r["type"], r["balChg"]) for r in rows] == [
        ("3", "8", "-0.0000123456789"),
        ("2", "7", "-0.05"),
    ]


DOCUMENTED = Path(__file__).resolve().parents[1] / "conformance" / "documented" / "okx"
# "Field descriptions in the decompressed CSV file" (Get_Bills_Details_Since_2021.md), in the page's order.
DOCUMENTED_COLUMNS = [
    "instType",
    "billId",
    "subType",
    "ts",
    "balChg",
    "posBalChg",
    "bal",
    "posBal",
    "sz",
    "px",
    "ccy",
    "pnl",
    "fee",
    "mgnMode",
    "instId",
    "ordId",
    "execType",
    "interest",
    "tag",
    "fillTime",
    "tradeId",
    "clOrdId",
    "fillIdxPx",
    "fillMarkPx",
    "fillPxVol",
    "fillPxUsd",
    "fillMarkVol",
    "fillFwdPx",
]


async def test_the_emulated_archive_answers_in_the_documented_shapes_and_its_file_has_the_documented_columns(
    okx: OkxEmulator,
) -> None:
    quarter = max(_wanted_quarters())
    params = {"year": quarter[:4], "quarter": quarter[4:]}
    async with okx_client(okx) as client:
        applied = await client.privatePostAccountBillsHistoryArchive(params)
        okx.book.archive.ready_after_ms = 0
        link = await client.privateGetAccountBillsHistoryArchive(params)
    for name, emulated in (("apply", applied), ("get", link)):
        documented = json.loads((DOCUMENTED / f"bills_history_archive_{name}.docs.json").read_text())["response"]
        assert shape_differences(documented, emulated) == [], name
    assert applied["data"][0]["result"] == "false" and link["data"][0]["state"] == "finished"
    async with aiohttp.ClientSession() as session, session.get(link["data"][0]["fileHref"]) as response:
        content = await response.read()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (member,) = archive.namelist()
        header = archive.read(member).decode().splitlines()[0].split(",")
    assert header == DOCUMENTED_COLUMNS  # no `type` column: the reader takes it from subType


async def test_a_first_sync_stopped_inside_the_funding_walk_still_leads_to_the_older_funding_fees(
    okx: OkxEmulator,
) -> None:
    """Pages of one bill: the first sync stops after its first page (as at a rate limit or a restart), before the
    archive step ran; the sync that resumes the walk still hands the older range to the archive."""
    profile = get_profile("okx")
    small = dataclasses.replace(
        profile,
        endpoints=tuple(
            dataclasses.replace(s, page_size=1) if s.endpoint is Endpoint.FUNDING else s for s in profile.endpoints
        ),
    )
    stored: dict[str, Cursor] = {}

    async def funding(stop_after: int | None) -> tuple[list[NormalizedRecord], list[str]]:
        fetcher = fetcher_for(small, client)
        records: list[NormalizedRecord] = []
        report = FetchReport()
        pages = fetcher.fetch(
            Endpoint.FUNDING, since=SINCE, until=datetime.now(UTC), cursors=dict(stored), report=report
        )
        async for page in pages:
            stored[page.market] = json.loads(json.dumps(page.cursor))
            records.extend(page.records)
            if stop_after is not None and len(stored) >= stop_after:
                break
        return records, [g.reason.id for g in report.gaps]

    async with okx_client(okx) as client:
        await funding(stop_after=1)
        assert "walk" in stored[""]  # stopped inside the walk
        _, gaps = await funding(None)
        assert "sync.gap.okx.archive_preparing" in gaps
        okx.book.archive.ready_after_ms = 0
        records, gaps = await funding(None)
    assert old_ones(records) == [(RecordKind.FUNDING, "USDT", Decimal("-0.75"))]
    assert gaps == []


async def test_a_sync_stopped_by_the_link_limit_keeps_what_it_read_and_the_next_reads_the_rest(
    okx: OkxEmulator,
) -> None:
    stored: dict[str, Cursor] = {}

    async def funding() -> list[NormalizedRecord]:
        fetcher = fetcher_for(get_profile("okx"), client)
        records: list[NormalizedRecord] = []
        pages = fetcher.fetch(
            Endpoint.FUNDING, since=SINCE, until=datetime.now(UTC), cursors=dict(stored), report=FetchReport()
        )
        async for page in pages:
            stored[page.market] = json.loads(json.dumps(page.cursor))
            records.extend(page.records)
        return records

    async with okx_client(okx) as client:
        await funding()
        okx.book.archive.ready_after_ms = 0
        okx.limits = OkxLimits(rules={"/api/v5/account/bills-history-archive": (1, 60_000)}, default_rule=(10**6, 1))
        with pytest.raises(RateLimited):
            await funding()  # one link a minute: the newest quarter is read, the next link answers 50011
        assert len(stored["ARCHIVE"]["done"]) == 1
        okx.limits = FAST
        okx.reset_rate_limits()
        records = await funding()
    assert okx.book.archive.downloads == len(_wanted_quarters())  # none downloaded twice
    assert old_ones(records) == [(RecordKind.FUNDING, "USDT", Decimal("-0.75"))]


async def test_a_link_that_no_longer_works_fails_without_naming_the_link(okx: OkxEmulator) -> None:
    link = f"{okx.base_url}/archive-files/0123456789abcdef01234567.zip"  # unknown or expired: the emulator's 403
    with pytest.raises(ccxt.ExchangeNotAvailable) as failure:
        await ArchiveFiles(client=None)._download(link, FetchReport())
    assert "0123456789abcdef" not in str(failure.value) and "403" in str(failure.value)
