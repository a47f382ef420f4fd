"""Binance's Auto-Invest and ETH staking lists against their documented examples (documented/binance/).

For each example: (a) the emulator, scripted with recurring buys and an ETH stake, answers the same query with the
same envelope, field names and JSON types (the schema is the documented example, never the emulator); (b) the
fetcher, fed the example over HTTP through a real ccxt client, makes exactly the records a person reads off it,
written here by hand.
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
from tests.conformance.corpus import Example, examples, shape_differences
from tests.conformance.test_coverage import DOCUMENTED, documented_here
from tests.support.binance_rig import Rig, binance_rig

D = Decimal
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
QUIET = AccountProfile(years=0.2, traded_markets=2, trades=10, deposits=1, withdrawals=1, converts=1, rewards=1)
DAYS_90 = 90 * 86_400_000
# The Auto-Invest page's stored text stops after transactionFeeUnit ("exe…"); Binance's generated connectors
# (binance-connector-java auto_invest QuerySubscriptionTransactionHistoryResponse, binance-connector-js) name the row's
# remaining fields, which the emulator sends as the page's full example does.
AUTO_INVEST_TAIL = frozenset({"$[].executionPrice", "$[].executionType", "$[].subscriptionCycle"})
# How to ask the emulator for each example's answer (ccxt's implicit method): every list over the last 90 days.
QUERIES: dict[str, str] = {
    "auto_invest_history.docs.json": "sapiGetLendingAutoInvestHistoryList",
    "eth_staking_history.docs.json": "sapiGetEthStakingEthHistoryStakingHistory",
    "eth_redemption_history.docs.json": "sapiGetEthStakingEthHistoryRedemptionHistory",
    "beth_rewards_history.docs.json": "sapiGetEthStakingEthHistoryRewardsHistory",
    "wbeth_rewards_history.docs.json": "sapiGetEthStakingEthHistoryWbethRewardsHistory",
    "wbeth_wrap_history.docs.json": "sapiGetEthStakingWbethHistoryWrapHistory",
    "wbeth_unwrap_history.docs.json": "sapiGetEthStakingWbethHistoryUnwrapHistory",
}
MINE = [e for e in documented_here("binance") if e.path.name in QUERIES]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    emulator = BinanceEmulator(seed=405, profile=QUIET, listed_symbols=20, limits=UNLIMITED, auto_invest=True)
    async with binance_rig(emulator) as made:
        yield made


def example(name: str) -> Example:
    return next(e for e in MINE if e.path.name == name)


async def fetched(rig: Rig, endpoint: Endpoint, path: str, name: str) -> list[NormalizedRecord]:
    """One sync of `endpoint` whose first request to `path` is answered with the documented example."""
    body = json.dumps(json.loads((DOCUMENTED / "binance" / name).read_text(encoding="utf-8"))["response"])
    rig.emulator.faults.inject(respond(200, body), path=path, times=1)
    fetcher = BinanceFetcher(get_profile("binance"), rig.client, uid_weight_per_minute=10**9)
    report, records = FetchReport(), list[NormalizedRecord]()
    async for page in fetcher.fetch(endpoint, since=None, until=datetime.now(UTC), cursors={}, report=report):
        records.extend(page.records)
    return [r for r in records if r.occurred_at.year < 2023]  # the example's; the scripted account's are recent


def read(r: NormalizedRecord) -> tuple[object, ...]:
    return (
        str(r.kind),
        r.occurred_at,
        r.asset,
        r.amount,
        r.side,
        r.quote_asset,
        r.quote_amount,
        r.fee_asset,
        r.fee_amount,
    )


def test_every_example_of_these_lists_is_here() -> None:
    assert sorted(e.path.name for e in MINE) == sorted(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_the_emulator_answers_in_the_documented_shape(rig: Rig, name: str) -> None:
    now = rig.emulator.clock.now_ms()
    params: dict[str, Any] = {"size": 100}
    if name.startswith("auto_invest"):
        windows = [(now - DAYS_90 + k * 30 * 86_400_000, now - DAYS_90 + (k + 1) * 30 * 86_400_000) for k in range(3)]
    else:
        windows = [(now - DAYS_90, now)]
    answers = [await getattr(rig.client, QUERIES[name])({**params, "startTime": s, "endTime": e}) for s, e in windows]
    documented = example(name).response
    if name.startswith("auto_invest"):
        rows = [row for answer in answers for row in answer]
        assert {row["transactionStatus"] for row in rows} == {"SUCCESS", "FAILED", "PENDING"}
        # `failedType`: "only show when transactionStatus = FAILED" (the example shows it on a SUCCESS row).
        for row in rows:
            shown = (
                documented
                if row["transactionStatus"] == "FAILED"
                else [{k: v for k, v in documented[0].items() if k != "failedType"}]
            )
            assert shape_differences(shown, [row], extra_allowed=AUTO_INVEST_TAIL) == [], row
        return
    (answer,) = answers
    assert answer["rows"], f"{name}: the scripted account answers nothing to compare"
    assert shape_differences(documented, answer) == []


async def test_an_auto_invest_purchase_is_a_convert_with_its_fee(rig: Rig) -> None:
    records = await fetched(
        rig, Endpoint.CONVERT, "/sapi/v1/lending/auto-invest/history/list", "auto_invest_history.docs.json"
    )
    when = datetime(2022, 3, 27, 11, 0, tzinfo=UTC)  # 1648378800000
    # 297.12345 BUSD used for 0.005 BTC, the 0.002 BUSD fee apart.
    assert [read(r) for r in records] == [
        ("convert", when, "BTC", D("0.005"), "buy", "BUSD", D("297.12345"), "BUSD", D("0.002"))
    ]
    assert records[0].exchange_tx_id == "1111"


STAKING_PATH = "/sapi/v1/eth-staking"
WHEN = datetime(2019, 11, 29, 9, 8, 30, tzinfo=UTC)  # 1575018510000


@pytest.mark.parametrize(
    ("path", "name", "expected"),
    [
        (
            "/eth/history/stakingHistory",
            "eth_staking_history.docs.json",
            ("convert", WHEN, "WBETH", D("21286.42584"), "buy", "ETH", D("21312.23223"), None, None),
        ),
        (
            "/eth/history/redemptionHistory",
            "eth_redemption_history.docs.json",
            ("convert", WHEN, "ETH", D("21338.0699"), "buy", "WBETH", D("21312.23223"), None, None),
        ),
        (
            "/wbeth/history/wrapHistory",
            "wbeth_wrap_history.docs.json",
            ("convert", WHEN, "WBETH", D("21312.23223"), "buy", "BETH", D("21312.23223"), None, None),
        ),
        (
            "/wbeth/history/unwrapHistory",
            "wbeth_unwrap_history.docs.json",
            ("convert", WHEN, "BETH", D("21312.23223"), "buy", "WBETH", D("21312.23223"), None, None),
        ),
    ],
)
async def test_each_staking_list_reads_as_its_example_says(
    rig: Rig, path: str, name: str, expected: tuple[object, ...]
) -> None:
    records = await fetched(rig, Endpoint.EARN_REWARDS, STAKING_PATH + path, name)
    assert [read(r) for r in records] == [expected]


async def test_the_beth_rewards_list_is_not_read_its_rewards_are_dividend_rows(rig: Rig) -> None:
    """A BETH reward is paid once and listed twice: in the staking product's rewards list and in the wallet's dividend
    list (`{"asset": "BETH", "enInfo": "ETH 2.0 Staking"}`), which the sync reads. The rewards list is never asked:
    its documented example (a 2019 reward of 0.23223 BETH) makes no record."""
    path = STAKING_PATH + "/eth/history/rewardsHistory"
    assert await fetched(rig, Endpoint.EARN_REWARDS, path, "beth_rewards_history.docs.json") == []
    assert rig.emulator.requests.count(path) == 0
    # The scripted reward, 0.00012345 BETH, as the dividend list answers it: the documented dividend row's shape.
    (reward,) = rig.emulator.eth_staking.beth_rewards
    answer = await rig.client.sapiGetAssetAssetDividend(
        {"asset": "BETH", "startTime": reward["time"] - 1, "endTime": reward["time"] + 1, "limit": 500}
    )
    (row,) = answer["rows"]
    assert (row["asset"], row["amount"], row["divTime"], row["enInfo"]) == (
        "BETH",
        "0.00012345",
        reward["time"],
        "ETH 2.0 Staking",
    )
    documented = next(e for e in examples("binance") if e.topic == "assetDividend").response
    later = frozenset({"$.rows[].direction"})  # the stored page predates `direction` (test_binance.py, dividends)
    assert shape_differences(documented, answer, extra_allowed=later) == []
