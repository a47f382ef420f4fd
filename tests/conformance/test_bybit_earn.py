"""Bybit Earn against its documented examples (tests/conformance/documented/bybit/earn_*.docs.json, each naming its
page): the emulator answers in their shape and keeps the pages' rules, and Tallybot reads from each what a person
reads off it. Expected values are written by hand from the examples."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest

from connectors.balances.bybit import EARN
from connectors.fetchers import windows
from connectors.fetchers.base import FetchReport, UnsupportedEndpoint
from connectors.fetchers.bybit import BybitFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from sandbox.exchanges import BybitEmulator
from tests.conformance.corpus import Example, load, shape_differences
from tests.conformance.test_bybit import FAST, PROFILE, bybit_client

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "bybit"
DAY_MS = 86_400_000


def documented(name: str) -> Example:
    return load(DOCUMENTED / f"earn_{name}.docs.json")


class EarnReplay:
    """A ccxt stand-in answering each Earn method with its documented example (the yield and order lists only in the
    window holding their row), and recording every call."""

    def __init__(self, positions: bool = True) -> None:
        self.answers = {
            "privateGetV5EarnPosition": documented("position").response,
            "privateGetV5EarnYield": documented("yield").response,
            "privateGetV5EarnOrder": documented("order").response,
        }
        self.positions = positions
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def safe_currency_code(self, coin: str) -> str:
        return coin

    def __getattr__(self, name: str) -> Any:
        if name not in self.answers:
            raise AttributeError(name)

        async def answer(params: dict[str, Any]) -> Any:
            self.calls.append((name, dict(params)))
            body = self.answers[name]
            if name == "privateGetV5EarnPosition":
                return body if self.positions and params["category"] == "FlexibleSaving" else _empty(body, "list")
            key = "yield" if name == "privateGetV5EarnYield" else "list"
            rows = body["result"][key]
            start, end = int(params["startTime"]), int(params["endTime"])
            if params.get("category") == "FlexibleSaving" and any(start <= int(r["createdAt"]) <= end for r in rows):
                return body
            return _empty(body, key)

        return answer


def _empty(body: Any, key: str) -> Any:
    return {**body, "result": {**body["result"], key: []}}


def _readable(record: NormalizedRecord) -> tuple[object, ...]:
    return (record.kind.value, record.asset, record.amount, int(record.occurred_at.timestamp() * 1000))


@pytest.fixture
def day_after_the_examples(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The examples were paid 2025-10-09: synced the day after, they are within the yield list's 3 months.
    monkeypatch.setattr(windows, "now_ms", lambda: 1_759_993_805_000 + DAY_MS)
    yield


@pytest.mark.usefixtures("day_after_the_examples")
async def test_the_fetcher_reads_the_documented_yield_as_a_reward_and_the_stake_as_a_transfer() -> None:
    client = EarnReplay()
    fetcher = BybitFetcher(get_profile("bybit"), client)
    since = datetime(2025, 10, 1, tzinfo=UTC)
    until = datetime.fromtimestamp((1_759_993_805_000 + DAY_MS) / 1000, tz=UTC)
    records: list[NormalizedRecord] = []
    async for page in fetcher.fetch(Endpoint.EARN_REWARDS, since=since, until=until, cursors={}, report=FetchReport()):
        records += page.records
    # The yield example: 0.0608 USDT paid at 1759993805000; the order example: 1000 USDT staked at 1759983689000.
    assert [_readable(r) for r in records] == [
        ("reward", "USDT", Decimal("0.0608"), 1_759_993_805_000),
        ("transfer", "USDT", Decimal("1000"), 1_759_983_689_000),
    ]
    asked = {name for name, _ in client.calls}
    assert asked == {"privateGetV5EarnPosition", "privateGetV5EarnYield", "privateGetV5EarnOrder"}
    lists = [params for name, params in client.calls if name != "privateGetV5EarnPosition"]
    # Flexible Saving only (the account holds no OnChain position): 7-day windows of 100 rows, never older windows.
    assert all(p["category"] == "FlexibleSaving" and int(p["limit"]) == 100 for p in lists)
    assert all(int(p["endTime"]) - int(p["startTime"]) <= 7 * DAY_MS for p in lists)


@pytest.mark.usefixtures("day_after_the_examples")
async def test_an_account_with_no_earn_position_is_skipped_with_its_reason() -> None:
    client = EarnReplay(positions=False)
    fetcher = BybitFetcher(get_profile("bybit"), client)
    until = datetime.fromtimestamp((1_759_993_805_000 + DAY_MS) / 1000, tz=UTC)
    with pytest.raises(UnsupportedEndpoint) as refused:
        async for _ in fetcher.fetch(Endpoint.EARN_REWARDS, since=None, until=until, cursors={}, report=FetchReport()):
            pass
    assert refused.value.notice is not None and refused.value.notice.id == "profile.bybit.skip.no_earn"
    assert [params["category"] for _, params in client.calls] == ["FlexibleSaving", "OnChain"]


def test_the_documented_position_is_read_as_the_earn_wallet() -> None:
    # The example's one position: 0.1 BTC staked ("Total staked amount"); its totalPnl and claimableYield are not.
    flexible, _on_chain = EARN
    assert list(flexible.rows(documented("position").response)) == [("BTC", Decimal("0.1"))]


async def test_the_emulator_answers_in_the_documented_shapes_and_keeps_the_pages_rules() -> None:
    async with (
        BybitEmulator(seed=7, profile=PROFILE, listed_symbols=20, limits=FAST, earn=True) as emulator,
        bybit_client(emulator) as client,
    ):
        now = emulator.clock.now_ms()
        week = {"category": "FlexibleSaving", "startTime": now - 7 * DAY_MS, "endTime": now}
        answers = {
            "position": await client.privateGetV5EarnPosition({"category": "FlexibleSaving"}),
            "order": await client.privateGetV5EarnOrder(
                {**week, "startTime": now - 21 * DAY_MS, "endTime": now - 14 * DAY_MS}
            ),
            "yield": await client.privateGetV5EarnYield(week),
        }
        with pytest.raises(ccxt.BadRequest, match="10001"):  # both times: at most 7 days apart
            await client.privateGetV5EarnYield({**week, "startTime": now - 8 * DAY_MS})
        with pytest.raises(ccxt.BadRequest, match="10001"):  # limit [1, 100]
            await client.privateGetV5EarnOrder({"category": "FlexibleSaving", "limit": 101})
        with pytest.raises(ccxt.BadRequest, match="10001"):  # OnChain: "either orderId or orderLinkId is required"
            await client.privateGetV5EarnOrder({"category": "OnChain"})
        with pytest.raises(ccxt.BadRequest, match="10001"):  # "You can get the past 3 months data"
            await client.privateGetV5EarnYield({**week, "startTime": now - 92 * DAY_MS, "endTime": now - 86 * DAY_MS})
        with pytest.raises(ccxt.BadRequest, match="10001"):  # category is required
            await client.privateGetV5EarnPosition({})
        on_chain = await client.privateGetV5EarnPosition({"category": "OnChain"})
    for name, answer in answers.items():
        example = documented(name).response
        assert answer["result"][("yield" if name == "yield" else "list")], name  # rows to compare
        assert shape_differences(example, answer) == [], name
    assert on_chain["result"]["list"] == []  # the scripted account holds Flexible Saving only
