"""Binance's crypto-loan (flexible rate) lists against their documented examples (documented/binance/loan_*).

For each example: (a) the emulator, scripted with crypto loans, answers the same query with the same envelope, field
names and JSON types, rows and all (the schema is the documented example, never the emulator), and refuses what the
pages rule out; (b) the fetcher, fed the example over HTTP through a real ccxt client, makes exactly the records a
person reads off it, written here by hand.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.fetchers.base import FetchReport
from connectors.fetchers.binance import BinanceFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from sandbox.exchanges.base import respond
from tests.conformance.corpus import Example, shape_differences
from tests.conformance.test_coverage import DOCUMENTED, documented_here
from tests.support.binance_rig import Rig, binance_rig

D = Decimal
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
QUIET = AccountProfile(years=0.2, traded_markets=2, trades=10, deposits=1, withdrawals=1, converts=1, rewards=1)
DAY_MS = 86_400_000
V2 = "/sapi/v2/loan/flexible/"
# How to ask for each v2 example (the v1 editions hold nothing after 2024-02-27: test_coverage.py asks their envelope).
PATHS = {
    "loan_flexible_borrow_history.docs.json": "borrow/history",
    "loan_flexible_repay_history.docs.json": "repay/history",
    "loan_flexible_ltv_adjustment_history.docs.json": "ltv/adjustment/history",
    "loan_flexible_liquidation_history.docs.json": "liquidation/history",
    "loan_flexible_ongoing_orders.docs.json": "ongoing/orders",
}
WHEN = datetime(2019, 11, 29, 9, 8, 30, tzinfo=UTC)  # 1575018510000, every example's time


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    emulator = BinanceEmulator(seed=406, profile=QUIET, listed_symbols=20, limits=UNLIMITED, crypto_loans=True)
    async with binance_rig(emulator) as made:
        yield made


def example(name: str) -> Example:
    return next(e for e in documented_here("binance") if e.path.name == name)


async def ask(rig: Rig, tail: str, params: dict[str, Any]) -> Any:
    return await rig.client.request(f"loan/flexible/{tail}", ["sapiV2"], "GET", params)


@pytest.mark.parametrize("name", sorted(PATHS))
async def test_the_scripted_loans_answer_in_the_documented_shape(rig: Rig, name: str) -> None:
    now = rig.emulator.clock.now_ms()
    params: dict[str, Any] = {"limit": 100}
    if "ongoing" not in name:
        params.update(startTime=now - 179 * DAY_MS, endTime=now)
    answer = await ask(rig, PATHS[name], params)
    assert answer["rows"], f"{name}: the scripted account answers nothing to compare"
    assert shape_differences(example(name).response, answer) == []


async def test_a_range_over_180_days_and_a_limit_over_100_are_refused(rig: Rig) -> None:
    now = rig.emulator.clock.now_ms()
    with pytest.raises(Exception, match="-1127"):
        await ask(rig, "borrow/history", {"startTime": now - 181 * DAY_MS, "endTime": now})
    with pytest.raises(Exception, match="-1130"):
        await ask(rig, "repay/history", {"limit": 101})


async def test_without_a_range_the_last_90_days_are_answered(rig: Rig) -> None:
    """The scripted borrows are 150, 100 and 30 days back: the default range holds the last one only."""
    answer = await ask(rig, "borrow/history", {})
    assert [(row["initialLoanAmount"], row["status"]) for row in answer["rows"]] == [("50", "FAILED")]


async def fetched(rig: Rig, name: str) -> list[tuple[object, ...]]:
    """One sync of CRYPTO_LOANS whose first request to the example's path is answered with the example."""
    path = str(example(name).endpoint)
    body = json.dumps(json.loads((DOCUMENTED / "binance" / name).read_text(encoding="utf-8"))["response"])
    rig.emulator.faults.inject(respond(200, body), path=path, times=1)
    fetcher = BinanceFetcher(get_profile("binance"), rig.client, uid_weight_per_minute=10**9)
    report, records = FetchReport(), list[NormalizedRecord]()
    until = datetime.now(UTC)
    async for page in fetcher.fetch(Endpoint.CRYPTO_LOANS, since=None, until=until, cursors={}, report=report):
        records.extend(page.records)
    # The example's records (the scripted account's are recent).
    return [
        (str(r.kind), r.occurred_at, r.asset, r.amount, r.side, r.quote_asset, r.quote_amount)
        for r in records
        if r.occurred_at == WHEN
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            # 10000 BUSD borrowed against 49.27565492 BNB, which left spot for the loan.
            "loan_flexible_borrow_history.docs.json",
            [
                ("borrow", WHEN, "BUSD", D("10000"), None, None, None),
                ("transfer", WHEN, "BNB", D("49.27565492"), "out", None, None),
            ],
        ),
        (
            # 10000 BUSD repaid, 49.27565492 BNB of collateral back to spot.
            "loan_flexible_repay_history.docs.json",
            [
                ("repay", WHEN, "BUSD", D("10000"), None, None, None),
                ("transfer", WHEN, "BNB", D("49.27565492"), "in", None, None),
            ],
        ),
        (
            # ADDITIONAL: 5.235 BNB more collateral, out of spot into the loan.
            "loan_flexible_ltv_adjustment_history.docs.json",
            [("transfer", WHEN, "BNB", D("5.235"), "out", None, None)],
        ),
        (
            # Liquidated: 123 BNB taken for 10000 BUSD of debt; 0.2 BNB returned (the 1.2 fee names no coin).
            "loan_flexible_liquidation_history.docs.json",
            [
                ("convert", WHEN, "BNB", D("123"), "sell", "BUSD", D("10000")),
                ("transfer", WHEN, "BNB", D("0.2"), "in", None, None),
            ],
        ),
    ],
)
async def test_the_fetcher_reads_each_example(rig: Rig, name: str, expected: list[tuple[object, ...]]) -> None:
    assert sorted(await fetched(rig, name), key=str) == sorted(expected, key=str)


async def test_a_pending_borrow_stores_nothing_and_holds_its_list(rig: Rig) -> None:
    """The borrow example with `status` PENDING: no record, and the list's cursor stays at its time."""
    body = json.loads((DOCUMENTED / "binance" / "loan_flexible_borrow_history.docs.json").read_text("utf-8"))
    row = {**body["response"]["rows"][0], "status": "PENDING"}
    now = rig.emulator.clock.now_ms()
    row["borrowTime"] = now - DAY_MS
    rig.emulator.faults.inject(respond(200, json.dumps({"rows": [row], "total": 1})), path=f"{V2}borrow/history")
    fetcher = BinanceFetcher(get_profile("binance"), rig.client, uid_weight_per_minute=10**9)
    report, cursor = FetchReport(), dict[str, Any]()
    records: list[NormalizedRecord] = []
    async for page in fetcher.fetch(
        Endpoint.CRYPTO_LOANS, since=None, until=datetime.now(UTC), cursors={}, report=report
    ):
        records.extend(page.records)
        cursor = dict(page.cursor)
    assert not [r for r in records if r.asset == "BUSD"]
    assert cursor["crypto_loans"]["borrow"] == {"window_start_ms": now - DAY_MS}
