"""Binance against its own documentation: every payload of the corpus, and the rules of docs/exchange-apis/binance.md.

For each documented or recorded payload in ../shared/api-examples (binance/ and recorded/binance/), two checks:
(a) the emulator answers the same query with the same envelope, field names and JSON types (the schema is the
documented example, never the emulator), and (b) the fetcher, fed the payload over HTTP through a real ccxt client,
makes exactly the records a person reads off it — written here by hand from the payload. A payload whose topic has
no check here fails, so a file added to the corpus later is checked or noticed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.binance import BinanceFetcher
from connectors.fetchers.binance.trades import BinanceTrades
from connectors.fetchers.discovery import AssetEvidence, SpotMarket
from connectors.keycheck import KeyFacts, parse_binance
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from sandbox.exchanges.base import DAY_MS, HOUR_MS, Credentials, respond
from tests.conformance.corpus import Example, examples, shape_differences

PROFILE = AccountProfile(
    years=2.0, traded_markets=6, trades=300, deposits=20, withdrawals=12, converts=12, transfers=0, rewards=12
)
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
PROFILE_BINANCE = get_profile("binance")


@dataclass
class Rig:
    emulator: BinanceEmulator
    client: Any  # a ccxt client from the product's ClientPool
    key: Credentials


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with BinanceEmulator(seed=20261205, profile=PROFILE, listed_symbols=60, limits=UNLIMITED) as emulator:
        key = emulator.add_key(label="read-only")
        pool = ClientPool({"binance": emulator.base_url})
        try:
            async with pool.client("binance", "conformance", {"apiKey": key.api_key, "secret": key.secret}) as client:
                client.throttler.config["refillRate"] = 1e9  # shapes and records are under test, not pacing
                yield Rig(emulator, client, key)
        finally:
            await pool.close()


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int, *, ms: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC) + timedelta(milliseconds=ms)


def raw_body(example: Example) -> str:
    """The payload as the exchange sent it (numbers untouched), for the emulator to serve in its place."""
    return json.dumps(json.loads(example.path.read_text(encoding="utf-8"))["response"])


def serve_once(rig: Rig, path: str, example: Example) -> None:
    rig.emulator.faults.inject(respond(200, raw_body(example)), path=path, times=1)


def seen(record: NormalizedRecord) -> tuple[object, ...]:
    """What a person reads off a record."""
    return (
        record.kind,
        record.occurred_at,
        record.natural_key,
        record.exchange_tx_id,
        record.asset,
        record.amount,
        record.side,
        record.quote_asset,
        record.quote_amount,
        record.price,
        record.fee_asset,
        record.fee_amount,
        record.market,
    )


async def wallet_records(rig: Rig, endpoint: Endpoint, path: str, example: Example) -> list[NormalizedRecord]:
    """One sync of one wallet endpoint over the last day (one window, one request) answered with the payload."""
    serve_once(rig, path, example)
    fetcher = BinanceFetcher(PROFILE_BINANCE, rig.client, uid_weight_per_minute=10**9)
    until = datetime.now(UTC)
    records: list[NormalizedRecord] = []
    report = FetchReport()
    async for page in fetcher.fetch(endpoint, since=until - timedelta(days=1), until=until, cursors={}, report=report):
        records.extend(page.records)
    # Earn rewards also ask Simple Earn's real-time and locked rewards and locked redemptions over the same day
    # (simple_earn.py): three requests more; ETH staking's four lists (eth_staking.py: staking, redemption, wrap,
    # unwrap; BETH rewards are dividend rows) and the rebate list (rebates.py): one each. Convert history also asks
    # the Auto-Invest list (auto_invest.py): one.
    more = {Endpoint.EARN_REWARDS: 3 + 4 + 1, Endpoint.CONVERT: 1}
    assert report.requests == 1 + more.get(endpoint, 0)
    return records


# ------------------------------------------------------------------------------------------------ per topic


async def my_trades(rig: Rig, example: Example) -> None:
    symbol = rig.emulator.account.traded_symbols[0]
    emulated = await rig.client.privateGetMyTrades({"symbol": symbol, "fromId": 0, "limit": 1000})
    assert emulated
    assert shape_differences(example.response, emulated) == []

    serve_once(rig, "/api/v3/myTrades", example)
    market = SpotMarket("BNBBTC", "BNB", "BTC", "BNB/BTC", "BNB", "BTC")
    spec = PROFILE_BINANCE.endpoint(Endpoint.SPOT_TRADES)
    assert spec is not None
    trades = BinanceTrades(rig.client, spec, AssetEvidence())
    until_ms = rig.emulator.clock.now_ms()
    pages = [p async for p in trades.market_pages(market, None, None, until_ms, {}, FetchReport())]
    records = [r for p in pages for r in p.records]
    assert [seen(r) for r in records] == [
        (
            RecordKind.TRADE,
            utc(2017, 7, 12, 13, 19, 9, ms=590),
            "trade:BNBBTC:28457",
            "28457",
            "BNB",
            Decimal("12.00000000"),
            "buy",
            "BTC",
            Decimal("48.000012"),
            Decimal("4.00000100"),
            "BNB",
            Decimal("10.10000000"),
            "BNB/BTC",
        )
    ]
    assert pages[-1].cursor == {"from_id": 28458}


async def deposits(rig: Rig, example: Example) -> None:
    first = rig.emulator.account.deposits[0]
    emulated = await rig.client.sapiGetCapitalDepositHisrec(
        {"startTime": first.timestamp - HOUR_MS, "endTime": first.timestamp + HOUR_MS}
    )
    assert emulated
    if example.name.endswith("ccxt_2021_no_id.json"):
        # A 2021 answer: every field it has, the emulator has with the same type; the fields Binance added since are
        # in the current docs' example (Deposit_History.md: id, completeTime, unlockConfirm, walletType).
        later = frozenset({"$[].id", "$[].completeTime", "$[].unlockConfirm", "$[].walletType"})
        assert shape_differences(example.response, emulated, extra_allowed=later) == []
        records = await wallet_records(rig, Endpoint.DEPOSITS, "/sapi/v1/capital/deposit/hisrec", example)
        assert [seen(r)[:2] + seen(r)[3:] for r in records] == [
            (
                RecordKind.DEPOSIT,
                utc(2021, 4, 14, 9, 59, 41),
                None,  # no id: Binance gave none
                "USDT",
                Decimal("4500"),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        ]
        # No id, so a key from the documented fields that name the movement: the same on every sync.
        again = await wallet_records(rig, Endpoint.DEPOSITS, "/sapi/v1/capital/deposit/hisrec", example)
        assert records[0].natural_key.startswith("deposit:h:")
        assert again[0].natural_key == records[0].natural_key
        return
    assert shape_differences(example.response, emulated) == []
    records = await wallet_records(rig, Endpoint.DEPOSITS, "/sapi/v1/capital/deposit/hisrec", example)
    assert [seen(r) for r in records] == [
        (
            RecordKind.DEPOSIT,
            utc(2022, 8, 26, 5, 52, 26),
            "deposit:769800519366885376",
            "769800519366885376",
            "BNB",
            Decimal("0.001"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ),
        (
            RecordKind.DEPOSIT,
            utc(2020, 9, 9, 2, 54, 42),
            "deposit:769754833590042625",
            "769754833590042625",
            "IOTA",
            Decimal("0.50000000"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ),
    ]


async def withdrawals(rig: Rig, example: Example) -> None:
    first = rig.emulator.account.withdrawals[0]
    emulated = await rig.client.sapiGetCapitalWithdrawHistory(
        {"startTime": first.timestamp - HOUR_MS, "endTime": first.timestamp + HOUR_MS}
    )
    assert emulated
    # "withdrawOrderId … will not be returned if there's no withdrawOrderId for this withdraw"
    # (Withdraw_History_supporting_network_USER_DATA.md): the documented row without it is the schema.
    without_order_id = [row for row in example.response if "withdrawOrderId" not in row]
    assert without_order_id
    assert shape_differences(without_order_id, emulated, extra_allowed=frozenset({"$[].withdrawOrderId"})) == []
    records = await wallet_records(rig, Endpoint.WITHDRAWALS, "/sapi/v1/capital/withdraw/history", example)
    assert [seen(r) for r in records] == [
        (
            RecordKind.WITHDRAWAL,
            utc(2019, 10, 12, 11, 12, 2),
            "withdrawal:b6ae22b3aa844210a7041aee7589627c",
            "b6ae22b3aa844210a7041aee7589627c",
            "USDT",
            Decimal("8.91000000"),
            None,
            None,
            None,
            None,
            "USDT",
            Decimal("0.004"),
            None,
        ),
        (
            RecordKind.WITHDRAWAL,
            utc(2019, 9, 24, 12, 43, 45),
            "withdrawal:156ec387f49b41df8724fa744fa82719",
            "156ec387f49b41df8724fa744fa82719",
            "BTC",
            Decimal("0.00150000"),
            None,
            None,
            None,
            None,
            "BTC",
            Decimal("0.004"),
            None,
        ),
    ]


async def converts(rig: Rig, example: Example) -> None:
    first = rig.emulator.account.converts[0]
    emulated = await rig.client.sapiGetConvertTradeFlow(
        {"startTime": first.timestamp - HOUR_MS, "endTime": first.timestamp + HOUR_MS}
    )
    assert emulated["list"]
    assert shape_differences(example.response, emulated) == []
    records = await wallet_records(rig, Endpoint.CONVERT, "/sapi/v1/convert/tradeFlow", example)
    assert [seen(r) for r in records] == [
        (
            RecordKind.CONVERT,
            utc(2021, 6, 21, 4, 14, 32, ms=184),
            "convert:940708407462087195",
            "940708407462087195",
            "BNB",
            Decimal("0.06154036"),
            "buy",
            "USDT",
            Decimal("20"),
            Decimal("324.99"),
            None,
            None,
            None,
        )
    ]


async def dividends(rig: Rig, example: Example) -> None:
    first = rig.emulator.account.rewards[0]
    emulated = await rig.client.sapiGetAssetAssetDividend(
        {"startTime": first.timestamp - HOUR_MS, "endTime": first.timestamp + HOUR_MS, "limit": 500}
    )
    assert emulated["rows"]
    # The stored copy predates `direction`; the page shows it now ("direction": 1 //direction: 1 for Asset credited
    # (inflow), -1 for Asset debited (outflow), developers.binance.com/docs/wallet/asset/assets-divided-record).
    later = frozenset({"$.rows[].direction"})
    assert shape_differences(example.response, emulated, extra_allowed=later) == []
    assert {row["direction"] for row in emulated["rows"]} == {1}
    records = await wallet_records(rig, Endpoint.EARN_REWARDS, "/sapi/v1/asset/assetDividend", example)
    assert sorted(seen(r) for r in records) == sorted(
        [
            (
                RecordKind.REWARD,
                utc(2019, 7, 15, 11, 12, 46),
                "reward:1637366104",
                "1637366104",
                "BHFT",
                Decimal("10.00000000"),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                RecordKind.REWARD,
                utc(2019, 7, 15, 11, 12, 45),
                "reward:1631750237",
                "1631750237",
                "BHFT",
                Decimal("10.00000000"),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
        ]
    )


async def key_permissions(rig: Rig, example: Example) -> None:
    emulated = await rig.client.sapiGetAccountApiRestrictions()
    assert shape_differences(example.response, emulated) == []
    # The documented key can read and nothing else; `enablePortfolioMarginTrading` is the key's Portfolio Margin API
    # tag, not a right to trade on the spot and wallet API (docs/exchange-apis/binance.md, "key check").
    assert parse_binance(example.response) == KeyFacts(
        can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False, verified=True
    )


CHECKS: dict[str, Callable[[Rig, Example], Awaitable[None]]] = {
    "myTrades": my_trades,
    "deposit_hisrec": deposits,
    "withdraw_history": withdrawals,
    "convert_tradeFlow": converts,
    "assetDividend": dividends,
    "apiRestrictions": key_permissions,
}


@pytest.mark.parametrize("example", examples("binance"), ids=lambda e: e.name)
async def test_every_payload_matches_the_emulator_and_reads_as_a_person_reads_it(rig: Rig, example: Example) -> None:
    check = CHECKS.get(example.topic)
    assert check is not None, f"{example.name}: no conformance check for topic {example.topic!r}"
    await check(rig, example)


def test_every_endpoint_tallybot_calls_has_a_documented_payload() -> None:
    topics = {example.topic for example in examples("binance")}
    assert topics == set(CHECKS)


# ------------------------------------------------------------------------------------------------ binance.md rules


async def sapi_status(rig: Rig, method: str, params: dict[str, Any]) -> str:
    """'ok' or Binance's error code for one call."""
    try:
        await getattr(rig.client, method)(params)
    except ccxt_async.BaseError as error:
        return str(json.loads(str(error).split(" ", 1)[1])["code"])
    return "ok"


async def test_the_emulator_keeps_the_documented_ranges_and_page_sizes(rig: Rig) -> None:
    now = rig.emulator.clock.now_ms()
    start = now - 100 * DAY_MS
    answers = {
        # deposits and withdrawals: the docs' "less than 90 days" admits exactly 90 days live (ccxt issue #23567's
        # request log: endTime - startTime = 7,776,000,000 ms answered 200 with a withdrawal); limit max 1000
        "deposit 90 d + 1 ms": await sapi_status(
            rig, "sapiGetCapitalDepositHisrec", {"startTime": start, "endTime": start + 90 * DAY_MS + 1}
        ),
        "deposit 90 d": await sapi_status(
            rig, "sapiGetCapitalDepositHisrec", {"startTime": start, "endTime": start + 90 * DAY_MS}
        ),
        "deposit limit 1001": await sapi_status(rig, "sapiGetCapitalDepositHisrec", {"limit": 1001}),
        "withdraw 90 d": await sapi_status(
            rig, "sapiGetCapitalWithdrawHistory", {"startTime": start, "endTime": start + 90 * DAY_MS}
        ),
        "withdraw limit 1001": await sapi_status(rig, "sapiGetCapitalWithdrawHistory", {"limit": 1001}),
        # converts: both ends mandatory, "max interval … 30 days", limit max 1000
        "convert 30 d": await sapi_status(
            rig, "sapiGetConvertTradeFlow", {"startTime": start, "endTime": start + 30 * DAY_MS}
        ),
        "convert 30 d + 1 ms": await sapi_status(
            rig, "sapiGetConvertTradeFlow", {"startTime": start, "endTime": start + 30 * DAY_MS + 1}
        ),
        "convert without end": await sapi_status(rig, "sapiGetConvertTradeFlow", {"startTime": start}),
        "convert limit 1001": await sapi_status(
            rig, "sapiGetConvertTradeFlow", {"startTime": start, "endTime": start + DAY_MS, "limit": 1001}
        ),
        # distributions: "cannot be more than 180 days"; limit max 500
        "dividend 180 d": await sapi_status(
            rig, "sapiGetAssetAssetDividend", {"startTime": start - 80 * DAY_MS, "endTime": start + 100 * DAY_MS}
        ),
        "dividend 180 d + 1 ms": await sapi_status(
            rig, "sapiGetAssetAssetDividend", {"startTime": start - 80 * DAY_MS, "endTime": start + 100 * DAY_MS + 1}
        ),
        "dividend limit 501": await sapi_status(rig, "sapiGetAssetAssetDividend", {"limit": 501}),
    }
    assert answers == {
        "deposit 90 d + 1 ms": "-1127",
        "deposit 90 d": "ok",
        "deposit limit 1001": "-1130",
        "withdraw 90 d": "ok",
        "withdraw limit 1001": "-1130",
        "convert 30 d": "ok",
        "convert 30 d + 1 ms": "-1127",
        "convert without end": "-1102",
        "convert limit 1001": "-1130",
        "dividend 180 d": "ok",
        "dividend 180 d + 1 ms": "-1127",
        "dividend limit 501": "-1130",
    }


async def test_deposit_and_withdrawal_history_default_to_the_last_90_days(rig: Rig) -> None:
    # binance.md (Deposit_History.md, Withdraw_History…md): with no times sent, the last 90 days.
    now = rig.emulator.clock.now_ms()
    deposits = await rig.client.sapiGetCapitalDepositHisrec({})
    withdrawals = await rig.client.sapiGetCapitalWithdrawHistory({})
    account = rig.emulator.account
    recent = {d.id for d in account.deposits if d.timestamp >= now - 90 * DAY_MS}
    assert recent and {row["id"] for row in deposits} == recent
    assert len(account.deposits) > len(recent)  # older deposits exist and are left out
    assert {row["id"] for row in withdrawals} == {w.id for w in account.withdrawals if w.timestamp >= now - 90 * DAY_MS}


async def test_the_emulator_weighs_each_endpoint_as_documented(rig: Rig) -> None:
    """Weights from binance.md, read back from the headers Binance documents (a fresh budget per endpoint)."""
    symbol = rig.emulator.account.traded_symbols[0]

    async def api_weight(method: str, params: dict[str, Any]) -> int:
        before = int(rig.client.last_response_headers.get("X-MBX-USED-WEIGHT-1M", "0"))
        await getattr(rig.client, method)(params)
        return int(rig.client.last_response_headers["X-MBX-USED-WEIGHT-1M"]) - before

    await rig.client.publicGetPing()  # the markets load already spent weight on this IP: start from its count
    assert await api_weight("publicGetExchangeInfo", {}) == 20
    assert await api_weight("privateGetAccount", {"omitZeroBalances": "true"}) == 20
    assert await api_weight("privateGetMyTrades", {"symbol": symbol}) == 20
    sapi: list[tuple[str, dict[str, Any], str, str]] = [
        ("sapiGetAccountApiRestrictions", {}, "X-SAPI-USED-IP-WEIGHT-1M", "1"),
        ("sapiGetCapitalDepositHisrec", {}, "X-SAPI-USED-IP-WEIGHT-1M", "1"),
        ("sapiGetAssetAssetDividend", {}, "X-SAPI-USED-IP-WEIGHT-1M", "10"),
        ("sapiGetCapitalWithdrawHistory", {}, "X-SAPI-USED-UID-WEIGHT-1M", "18000"),
    ]
    for method, params, header, used in sapi:
        await getattr(rig.client, method)(params)
        # Each /sapi endpoint has its own budget: no endpoint's header counts another's weight.
        assert rig.client.last_response_headers[header] == used, method
    now = rig.emulator.clock.now_ms()
    await rig.client.sapiGetConvertTradeFlow({"startTime": now - DAY_MS, "endTime": now})
    assert rig.client.last_response_headers["X-SAPI-USED-UID-WEIGHT-1M"] == "3000"
