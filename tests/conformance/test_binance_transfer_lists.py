"""Binance's Simple Earn locked lists, isolated-margin transfers, sub-account lists and a master's futures transfer
list against their documented examples and recorded answers (docs/exchange-apis/binance.md names each page).

The examples are written here (test_coverage.IN_TEST names them by path), each with both checks: (a) the emulator,
scripted with that kind, answers the same query with the same envelope, field names and JSON types; (b) the
fetcher's reading of the example gives exactly the records a person reads off it, written here by hand. The two
sub-account answers are the refusals a live mainnet log recorded for an account with no sub-accounts (the lists a
sync of every other account meets).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.binance.simple_earn import BinanceSimpleEarn
from connectors.fetchers.binance.subaccount_futures import futures_walks
from connectors.fetchers.binance.subaccounts import BinanceSubAccountMoves
from connectors.fetchers.binance.transfers import BinanceTransfers
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from sandbox.exchanges.binance_subaccounts import ALICE, MASTER_FUTURES
from tests.conformance.corpus import shape_differences

D = Decimal
QUIET = AccountProfile(years=0.2, traded_markets=2, trades=10, deposits=1, withdrawals=1, converts=1, rewards=1)
UNLIMITED = BinanceLimits(sapi_uid_weight_per_minute=10**9)

# https://developers.binance.com/docs/simple_earn/flexible-locked/history/Get-Locked-Rewards-History (the version
# whose two rows both carry a numeric positionId; the other copy writes the second one as a string).
LOCKED_REWARDS: dict[str, Any] = {
    "rows": [
        {
            "positionId": 123123,
            "time": 1575018510000,
            "asset": "BNB",
            "lockPeriod": "30",
            "amount": "21312.23223",
            "type": "Locked Rewards",
        },
        {"positionId": 123123, "time": 1575018510000, "asset": "BNB", "amount": "1.23223", "type": "Boost Rewards"},
    ],
    "total": 1,
}
# https://developers.binance.com/docs/simple_earn/flexible-locked/history/Get-Locked-Redemption-Record
LOCKED_REDEMPTIONS: dict[str, Any] = {
    "rows": [
        {
            "positionId": 123123,
            "redeemId": 40607,
            "time": 1575018510000,
            "asset": "BNB",
            "lockPeriod": "30",
            "amount": "21312.23223",
            "originalAmount": "21312.23223",
            "type": "MATURE",
            "deliverDate": "1575018510000",
            "lossAmount": "0.00001232",
            "isComplete": True,
            "rewardAsset": "AXS",
            "rewardAmt": "5.17181528",
            "extraRewardAsset": "BNB",
            "estExtraRewardAmt": "5.17181528",
            "status": "PAID",
        }
    ],
    "total": 1,
}
# https://developers.binance.com/docs/margin_trading/transfer (Get Cross Margin Transfer History; its example's
# `timestamp`s are in seconds, written as the page shows them).
MARGIN_TRANSFERS: dict[str, Any] = {
    "rows": [
        {
            "amount": "0.10000000",
            "asset": "BNB",
            "status": "CONFIRMED",
            "timestamp": 1566898617,
            "txId": 5240372201,
            "type": "ROLL_IN",
            "transFrom": "SPOT",
            "transTo": "ISOLATED_MARGIN",
        },
        {
            "amount": "5.00000000",
            "asset": "USDT",
            "status": "CONFIRMED",
            "timestamp": 1566888436,
            "txId": 5239810406,
            "type": "ROLL_OUT",
            "transFrom": "ISOLATED_MARGIN",
            "transTo": "SPOT",
        },
    ],
    "total": 2,
}
# https://developers.binance.com/docs/sub_account/asset-management/Query-Sub-account-Futures-Asset-Transfer-History
# (Query Sub-account Futures Asset Transfer History, For Master Account; the zh-CN page's example is the same).
FUTURES_TRANSFERS: dict[str, Any] = {
    "success": True,
    "futuresType": 2,
    "transfers": [
        {"from": "aaa@test.com", "to": "bbb@test.com", "asset": "BTC", "qty": "1", "tranId": 11897001102,
         "time": 1544433328000},
        {"from": "bbb@test.com", "to": "ccc@test.com", "asset": "ETH", "qty": "2", "tranId": 11631474902,
         "time": 1544433328000},
    ],
}  # fmt: skip
# Recorded on mainnet (a public repository's notes, docs/exchange-apis/binance.md "Sub-accounts"): HTTP 400 bodies.
NOT_A_SUB_ACCOUNT: dict[str, Any] = {"code": -12022, "msg": "This endpoint is allowed to request from sub account only"}
NO_SUB_ACCOUNT_FUNCTION: dict[str, Any] = {"code": -8012, "msg": "Sub-account function is not enabled."}

LOCAL: dict[str, dict[str, Any]] = {
    "/sapi/v1/simple-earn/locked/history/rewardsRecord": LOCKED_REWARDS,
    "/sapi/v1/simple-earn/locked/history/redemptionRecord": LOCKED_REDEMPTIONS,
    "/sapi/v1/margin/transfer": MARGIN_TRANSFERS,
    "/sapi/v1/sub-account/transfer/subUserHistory": NOT_A_SUB_ACCOUNT,
    "/sapi/v1/sub-account/list": NO_SUB_ACCOUNT_FUNCTION,
    "/sapi/v1/sub-account/futures/internalTransfer": FUTURES_TRANSFERS,
}


@pytest.fixture
async def client() -> AsyncIterator[tuple[BinanceEmulator, Any]]:
    """A client of an account scripted with Simple Earn, futures and margin; no sub-accounts."""
    emulator = BinanceEmulator(
        seed=405, profile=QUIET, listed_symbols=20, limits=UNLIMITED, wallet_kinds=True, derivatives=True
    )
    async with emulator:
        key = emulator.add_key(label="read-only")
        pool = ClientPool({"binance": emulator.base_url})
        try:
            async with pool.client("binance", "lists", {"apiKey": key.api_key, "secret": key.secret}) as made:
                made.throttler.config["refillRate"] = 1e9
                yield emulator, made
        finally:
            await pool.close()


def recent(days: int = 60) -> dict[str, int]:
    """The last `days` (under each list's longest range: 3 months for Simple Earn's, 30 days for margin's)."""
    end = datetime.now(UTC)
    return {"startTime": int((end - timedelta(days=days)).timestamp() * 1000), "endTime": int(end.timestamp() * 1000)}


def by_type(documented: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """Each emulated row against the documented row of its `type` (the page's two row kinds differ in fields)."""
    kinds = {row["type"]: row for row in documented["rows"]}
    problems = shape_differences({**documented, "rows": []}, {**answer, "rows": []})
    for row in answer["rows"]:
        problems += shape_differences(kinds.get(row["type"], documented["rows"][0]), row, path=f"$.rows[{row['type']}]")
    return problems


# -- (a) the emulator answers in the documented shape ---------------------------------------------------------------


async def test_the_locked_lists_answer_in_the_documented_shape(client: tuple[BinanceEmulator, Any]) -> None:
    _, made = client
    rewards = await made.sapiGetSimpleEarnLockedHistoryRewardsRecord({**recent(), "size": 100})
    redeemed = await made.sapiGetSimpleEarnLockedHistoryRedemptionRecord({**recent(), "size": 100})
    assert {row["type"] for row in rewards["rows"]} == {"Locked Rewards", "Boost Rewards"}
    assert by_type(LOCKED_REWARDS, rewards) == []
    assert redeemed["rows"] and shape_differences(LOCKED_REDEMPTIONS, redeemed) == []


async def test_the_isolated_transfer_list_answers_in_the_documented_shape(client: tuple[BinanceEmulator, Any]) -> None:
    _, made = client
    answer = await made.sapiGetMarginTransfer({"isolatedSymbol": "ETHUSDT", **recent(29), "size": 100})
    assert [row["type"] for row in answer["rows"]] == ["ROLL_IN"]
    assert shape_differences(MARGIN_TRANSFERS, answer) == []


@pytest.mark.parametrize(
    ("method", "recorded"),
    [
        ("sapiGetSubAccountTransferSubUserHistory", NOT_A_SUB_ACCOUNT),
        ("sapiGetSubAccountList", NO_SUB_ACCOUNT_FUNCTION),
        ("sapiGetSubAccountUniversalTransfer", NO_SUB_ACCOUNT_FUNCTION),
    ],
)
async def test_an_account_without_sub_accounts_is_refused_as_recorded(
    client: tuple[BinanceEmulator, Any], method: str, recorded: dict[str, Any]
) -> None:
    _, made = client
    with pytest.raises(Exception) as refused:
        await getattr(made, method)({})
    body = str(refused.value)
    assert f'"code":{recorded["code"]}' in body.replace(" ", "") and recorded["msg"] in body


@pytest.fixture
async def master() -> AsyncIterator[Any]:
    """A client of a master account with two sub-accounts and futures moves with them."""
    emulator = BinanceEmulator(seed=406, profile=QUIET, listed_symbols=20, limits=UNLIMITED, sub_account=MASTER_FUTURES)
    async with emulator:
        key = emulator.add_key(label="read-only")
        pool = ClientPool({"binance": emulator.base_url})
        try:
            async with pool.client("binance", "lists", {"apiKey": key.api_key, "secret": key.secret}) as made:
                made.throttler.config["refillRate"] = 1e9
                yield made
        finally:
            await pool.close()


async def test_the_futures_transfer_list_answers_in_the_documented_shape(master: Any) -> None:
    # alice's USDⓈ-M moves made by the futures transfer: 750 USDT to the master, 90 to bob (the master's 120 USDT to
    # her futures wallet was a universal transfer: its own history lists it, this one does not); her COIN-M list is
    # empty.
    usdm = await master.sapiGetSubAccountFuturesInternalTransfer({"email": ALICE, "futuresType": 1})
    coinm = await master.sapiGetSubAccountFuturesInternalTransfer({"email": ALICE, "futuresType": 2})
    assert sorted(row["qty"] for row in usdm["transfers"]) == ["750", "90"]
    assert shape_differences(FUTURES_TRANSFERS, usdm) == []
    assert coinm == {"success": True, "futuresType": 2, "transfers": []}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"futuresType": 1}, -1102),  # email: "Mandatory YES"
        ({"email": ALICE}, -1102),  # futuresType: "Mandatory YES"
        # startTime: "Cannot be earlier than 1 month ago" (the page names no code: -1130, the spot errors' invalid
        # parameter, is the emulator's)
        ({"email": ALICE, "futuresType": 1, "startTime": recent(32)["startTime"]}, -1130),
    ],
)
async def test_the_futures_transfer_list_refuses_what_its_page_rules_out(
    master: Any, params: dict[str, Any], code: int
) -> None:
    with pytest.raises(Exception) as refused:
        await master.sapiGetSubAccountFuturesInternalTransfer(params)
    assert f'"code":{code}' in str(refused.value).replace(" ", "")


# -- (b) what the fetcher reads off each example ---------------------------------------------------------------------


SPEC = get_profile("binance").endpoint(Endpoint.EARN_REWARDS)
TRANSFERS = get_profile("binance").endpoint(Endpoint.TRANSFERS)


class Answers:
    """A ccxt client whose implicit methods answer with the documented examples."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def safe_currency_code(self, asset: str) -> str:
        return asset

    def __getattr__(self, method: str) -> Any:
        async def answer(params: Any) -> Any:
            return self.answers[method]

        return answer


async def earn_page(method: str, answer: dict[str, Any]) -> list[NormalizedRecord]:
    """The records Simple Earn's walk makes of one page answered with `answer`."""

    async def request(spec: Any, report: Any, asked: str, params: Any) -> Any:
        assert asked == method
        return answer

    assert SPEC is not None
    reading = BinanceSimpleEarn(request, str, lambda asset, source: None, "Binance")
    page = await reading._page(SPEC, FetchReport(), method)(0, 1, None)
    return page.records


async def test_each_locked_reward_of_the_example_is_one_reward() -> None:
    records = await earn_page("sapiGetSimpleEarnLockedHistoryRewardsRecord", LOCKED_REWARDS)
    assert [(r.kind, r.asset, r.amount, r.occurred_at) for r in records] == [
        (RecordKind.REWARD, "BNB", D("21312.23223"), datetime(2019, 11, 29, 9, 8, 30, tzinfo=UTC)),
        (RecordKind.REWARD, "BNB", D("1.23223"), datetime(2019, 11, 29, 9, 8, 30, tzinfo=UTC)),
    ]
    assert len({r.natural_key for r in records}) == 2


async def test_a_redemption_at_term_is_no_record_and_an_early_one_takes_its_loss_back() -> None:
    method = "sapiGetSimpleEarnLockedHistoryRedemptionRecord"
    assert await earn_page(method, LOCKED_REDEMPTIONS) == []
    early = {**LOCKED_REDEMPTIONS, "rows": [{**LOCKED_REDEMPTIONS["rows"][0], "type": "AHEAD"}]}
    records = await earn_page(method, early)
    assert [(r.kind, r.asset, r.amount, r.exchange_tx_id, r.natural_key) for r in records] == [
        (RecordKind.INTEREST, "BNB", D("-0.00001232"), "40607", "interest:simple-earn-locked-redeem:40607")
    ]


async def test_each_isolated_transfer_of_the_example_is_a_transfer_keyed_by_its_pair() -> None:
    client = Answers({"sapiGetMarginTransfer": MARGIN_TRANSFERS})
    moves = BinanceSubAccountMoves(client, lambda asset, source: None)
    opened = (datetime(2017, 7, 14, tzinfo=UTC).date(), datetime(2019, 7, 11, tzinfo=UTC).date())
    transfers = BinanceTransfers(client, lambda asset: None, no_pairs, moves, opened)
    assert TRANSFERS is not None
    page = await transfers._isolated_page(TRANSFERS, "BNBUSDT", FetchReport())(0, 1, None)
    assert [(r.kind, r.asset, r.amount, r.natural_key, r.raw["type"]) for r in page.records] == [
        (RecordKind.TRANSFER, "BNB", D("0.1"), "transfer:ROLL_IN:BNBUSDT:5240372201", "ROLL_IN"),
        (RecordKind.TRANSFER, "USDT", D("5"), "transfer:ROLL_OUT:BNBUSDT:5239810406", "ROLL_OUT"),
    ]


async def no_pairs(report: Any) -> list[str]:
    return []


async def futures_page(subs: tuple[str, ...]) -> list[NormalizedRecord]:
    """The records the master's walk of `subs[0]`'s COIN-M list makes of the example, its sub-accounts `subs`."""

    async def ask(method: str, params: Any) -> Any:
        assert method == "sapiGetSubAccountFuturesInternalTransfer"
        assert (params["email"], params["futuresType"]) == (subs[0], 2)
        return FUTURES_TRANSFERS

    moves = BinanceSubAccountMoves(Answers({}), lambda asset, source: None)
    created = {sub: datetime(2018, 12, 1, tzinfo=UTC).date() for sub in subs}
    now = 1544433328000 + 86_400_000
    assert TRANSFERS is not None
    walks = futures_walks(TRANSFERS, FetchReport(), created, ask, moves._move, current_ms=now)
    fetch_page = next(page for name, _, page, _ in walks if name == f"sub:futures:coinm:{subs[0]}")
    page = await fetch_page(now - 2 * 86_400_000, now, None)
    return page.records


async def test_a_futures_move_with_the_master_is_its_deposit_or_withdrawal_and_one_between_subs_is_none() -> None:
    at = datetime(2018, 12, 10, 9, 15, 28, tzinfo=UTC)
    # bbb and ccc are the sub-accounts: aaa, the other side of the first row, is the master, who sent 1 BTC.
    sent = await futures_page(("bbb@test.com", "ccc@test.com"))
    assert [(r.kind, r.asset, r.amount, r.natural_key, r.occurred_at) for r in sent] == [
        (RecordKind.WITHDRAWAL, "BTC", D(1), "withdrawal:subaccount:11897001102", at)
    ]
    # aaa and bbb are: ccc, who received 2 ETH in the second row, is the master.
    received = await futures_page(("bbb@test.com", "aaa@test.com"))
    assert [(r.kind, r.asset, r.amount, r.natural_key, r.occurred_at) for r in received] == [
        (RecordKind.DEPOSIT, "ETH", D(2), "deposit:subaccount:11631474902", at)
    ]


async def test_a_full_page_of_the_futures_list_asks_the_next_and_a_window_before_the_month_asks_nothing() -> None:
    asked: list[dict[str, Any]] = []
    full = {**FUTURES_TRANSFERS, "transfers": [{**FUTURES_TRANSFERS["transfers"][0], "tranId": n} for n in range(500)]}

    async def ask(method: str, params: Any) -> Any:
        asked.append(dict(params))
        return full

    moves = BinanceSubAccountMoves(Answers({}), lambda asset, source: None)
    now, day = 1544433328000 + 86_400_000, 86_400_000
    assert TRANSFERS is not None
    report = FetchReport()
    walks = futures_walks(TRANSFERS, report, {"bbb@test.com": date(2018, 1, 1)}, ask, moves._move, current_ms=now)
    fetch_page = dict((name, page) for name, _, page, _ in walks)["sub:futures:usdm:bbb@test.com"]
    # 500 rows, the most a page holds ("Max value: 500"): the next page is asked.
    first = await fetch_page(now - 2 * day, now, None)
    assert (len(first.records), first.token) == (500, 2)
    assert asked[0]["page"] == 1 and asked[0]["limit"] == 500 and asked[0]["futuresType"] == 1
    # A window wholly before the month's reach asks nothing; one across it starts at the reach, 28 days back (an hour
    # inside). This account's moves were seen: the history before the reach is the one gap, from the earliest start.
    before = await fetch_page(now - 60 * day, now - 40 * day, None)
    assert before.records == [] and len(asked) == 1
    await fetch_page(now - 50 * day, now, None)
    reach = now - 28 * day + 3_600_000
    assert asked[1]["startTime"] == reach
    assert [(gap.start, gap.end) for gap in report.gaps] == [
        (datetime.fromtimestamp((now - 60 * day) / 1000, UTC), datetime.fromtimestamp(reach / 1000, UTC))
    ]


async def test_the_months_reach_is_no_gap_of_a_master_whose_futures_list_holds_nothing_of_its() -> None:
    async def ask(method: str, params: Any) -> Any:
        return {"success": True, "futuresType": params["futuresType"], "transfers": []}

    moves = BinanceSubAccountMoves(Answers({}), lambda asset, source: None)
    now, day, report = 1544433328000, 86_400_000, FetchReport()
    assert TRANSFERS is not None
    for _, _, fetch_page, _ in futures_walks(
        TRANSFERS, report, {"bbb@test.com": date(2018, 1, 1)}, ask, moves._move, now
    ):
        assert (await fetch_page(now - 300 * day, now, None)).records == []
    assert report.gaps == []
