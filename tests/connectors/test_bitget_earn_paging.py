"""Bitget savings records past one page (earn/savings/Savings-Records): "idLessThan … the value input should be the end
ID of the last request", and the page's example `endId` (456456456456) is not its row's `orderId` (123123123123). The
emulator answers an `endId` of its own, so a reader that asked the next page with the smallest `orderId` would lose
every row past the first hundred. Expected values are the script's, counted by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.fetchers.base import Cursor
from connectors.fetchers.bitget import BitgetFetcher
from connectors.fetchers.bitget.earn import SAVINGS
from connectors.profiles import Endpoint, get_profile
from connectors.records import RecordKind
from sandbox.exchanges import BitgetEmulator
from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_wallets import add_interest_payments
from tests.connectors.test_fetch_bitget import FAST, SMALL, bitget_client, drain

D = Decimal
PATH = "/api/v2/earn/savings/records"
HOUR_MS = DAY_MS // 24


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=33, profile=SMALL, listed_symbols=20, limits=FAST) as emulator:
        yield emulator


async def test_savings_interest_past_one_page_is_read_by_the_answers_end_id(bitget: BitgetEmulator) -> None:
    now = bitget.book.account.now_ms
    # 130 hourly payments of 0.01 USDT over the last six days: one window, a page of 100 and one of 30.
    added = add_interest_payments(bitget.book.wallets, "USDT", D("0.01"), [now - (n + 1) * HOUR_MS for n in range(130)])
    ours = {row["orderId"] for row in added}
    cursors: dict[str, Cursor] = {}
    async with bitget_client(bitget) as client:
        first = await client.privateEarnGetV2EarnSavingsRecords(
            {"periodType": "flexible", "startTime": str(now - 7 * DAY_MS), "endTime": str(now), "limit": "100"}
        )
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        got = await drain(fetcher, Endpoint.EARN_REWARDS, cursors, until=datetime.now(UTC))

    # The answer's endId is not an orderId of its rows.
    page = first["data"]
    assert len(page["resultList"]) == 100
    assert page["endId"] not in {row["orderId"] for row in page["resultList"]}
    mine = [r for r in got if r.exchange_tx_id in ours]
    assert len(mine) == 130 and len({r.exchange_tx_id for r in mine}) == 130
    assert {(r.kind, r.asset, r.amount, r.side) for r in mine} == {(RecordKind.REWARD, "USDT", D("0.01"), None)}
    assert sum(r.amount for r in mine) == D("1.30")


def test_savings_windows_fit_any_three_calendar_months() -> None:
    # "The maximum time span supported is three months": December to February holds 31 + 31 + 28 = 90 days, so a
    # 90-day window starting 1 December would reach 1 March; 89 fits any three.
    assert SAVINGS.window.days == 89
