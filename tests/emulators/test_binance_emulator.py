"""The Binance emulator, driven by the real ccxt client: keys, signatures, history, windows and weight limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt
import pytest

from sandbox.exchanges import BinanceEmulator, BinanceLimits, DemoKeys, Permissions, generate_account
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from tests.emulators.conftest import BINANCE_OPTIONS, PROFILE, ccxt_client, wait_for_unexpected


def code_of(error: Exception) -> str:
    """The Binance error code inside a ccxt message (tests only: messages carry signed URLs)."""
    return str(error).split('"code":', 1)[1].split(",", 1)[0]


async def test_load_markets_with_a_read_only_key_asks_only_for_exchange_info(
    binance: BinanceEmulator, binance_keys: DemoKeys
) -> None:
    async with ccxt_client("binance", binance, binance_keys.read_only, options=BINANCE_OPTIONS) as client:
        markets = await client.load_markets()

    assert len(markets) == 150
    assert markets["BTC/USDT"]["id"] == "BTCUSDT"
    assert dict(binance.requests.by_path) == {"/api/v3/exchangeInfo": 1}
    assert binance.requests.unexpected == []


@pytest.mark.parametrize(
    ("options", "side_calls"),
    [
        ({}, ["GET /sapi/v1/capital/config/getall", "GET /sapi/v1/margin/allPairs"]),
        (
            {"fetchCurrencies": False},
            [
                "GET /dapi/v1/exchangeInfo",
                "GET /fapi/v1/exchangeInfo",
                "GET /sapi/v1/margin/allPairs",
                "GET /sapi/v1/margin/isolated/allPairs",
            ],
        ),
        ({"fetchCurrencies": False, "fetchMargins": False}, ["GET /dapi/v1/exchangeInfo", "GET /fapi/v1/exchangeInfo"]),
    ],
)
async def test_side_calls_of_load_markets_show_up_as_unexpected(
    binance: BinanceEmulator, binance_keys: DemoKeys, options: dict[str, Any], side_calls: list[str]
) -> None:
    async with ccxt_client("binance", binance, binance_keys.read_only, options=options) as client:
        with pytest.raises(ccxt.ExchangeNotAvailable):
            await client.load_markets()
        assert await wait_for_unexpected(binance, len(side_calls)) == side_calls


@pytest.mark.parametrize(
    ("key_name", "reading", "trading", "withdrawals", "ip_restricted"),
    [
        ("read_only", True, False, False, False),
        ("trading", True, True, False, False),
        ("withdrawal", True, True, True, True),
    ],
)
async def test_api_restrictions_report_the_keys_real_flags(
    binance: BinanceEmulator,
    binance_keys: DemoKeys,
    key_name: str,
    reading: bool,
    trading: bool,
    withdrawals: bool,
    ip_restricted: bool,
) -> None:
    async with ccxt_client("binance", binance, getattr(binance_keys, key_name), options=BINANCE_OPTIONS) as client:
        flags = await client.sapiGetAccountApiRestrictions()

    assert flags["enableReading"] is reading
    assert flags["enableSpotAndMarginTrading"] is trading
    assert flags["enableWithdrawals"] is withdrawals
    assert flags["ipRestrict"] is ip_restricted
    assert ("tradingAuthorityExpirationTime" in flags) is (trading and not ip_restricted)


@pytest.mark.parametrize(
    ("case", "endpoint", "expected_type", "expected_code"),
    [
        ("bad_secret", "privateGetAccount", ccxt.AuthenticationError, "-1022"),
        ("unknown_key", "privateGetAccount", ccxt.AuthenticationError, "-2015"),
        # -2008 is only in ccxt's spot map, which ccxt selects by the https://api.binance.com/ URL prefix:
        # through an override it falls back to a plain ExchangeError.
        ("unknown_key", "sapiGetAccountApiRestrictions", ccxt.ExchangeError, "-2008"),
        ("revoked", "sapiGetAccountApiRestrictions", ccxt.ExchangeError, "-2008"),
        ("revoked", "privateGetAccount", ccxt.AuthenticationError, "-2015"),
        ("malformed_key", "privateGetAccount", ccxt.AuthenticationError, "-2014"),
        ("expired", "sapiGetAccountApiRestrictions", ccxt.AuthenticationError, "-2015"),
        ("ip_restricted", "sapiGetAccountApiRestrictions", ccxt.AuthenticationError, "-2015"),
        ("no_read_permission", "privateGetAccount", ccxt.AuthenticationError, "-2015"),
        ("skewed_clock", "privateGetAccount", ccxt.InvalidNonce, "-1021"),
    ],
)
async def test_bad_credentials_raise_the_exceptions_ccxt_maps_binance_codes_to(
    binance: BinanceEmulator,
    binance_keys: DemoKeys,
    case: str,
    endpoint: str,
    expected_type: type[Exception],
    expected_code: str,
) -> None:
    good = binance_keys.read_only
    credentials = {
        "bad_secret": good._replace(secret="x" * 64),
        "unknown_key": good._replace(api_key=binance.unknown_key()),
        "malformed_key": good._replace(api_key="not-a-binance-key"),
        "revoked": binance_keys.revoked,
        "expired": binance_keys.expired,
        "ip_restricted": binance_keys.ip_restricted,
        "no_read_permission": binance.add_key(Permissions(read=False)),
        "skewed_clock": good,
    }[case]
    options = dict(BINANCE_OPTIONS)
    if case == "skewed_clock":
        options["timeDifference"] = 90_000  # the client's clock runs 90 s behind; recvWindow is 10 s

    async with ccxt_client("binance", binance, credentials, options=options) as client:
        with pytest.raises(ccxt.BaseError) as raised:
            await getattr(client, endpoint)()

    assert type(raised.value) is expected_type
    assert code_of(raised.value) == expected_code


async def test_my_trades_paged_by_from_id_return_exactly_the_ground_truth(
    binance: BinanceEmulator, binance_keys: DemoKeys
) -> None:
    account = binance.account
    async with ccxt_client("binance", binance, binance_keys.read_only, options=BINANCE_OPTIONS) as client:
        await client.load_markets()
        received: list[dict[str, Any]] = []
        for symbol_id in account.traded_symbols:
            symbol = client.markets_by_id[symbol_id][0]["symbol"]
            from_id = 0
            while True:
                page = await client.fetch_my_trades(symbol, limit=100, params={"fromId": from_id})
                received += [trade["info"] for trade in page]
                if len(page) < 100:
                    break
                from_id = int(page[-1]["info"]["id"]) + 1

    expected = {(t.symbol, t.id): t for t in account.trades}
    # The profile's trades, plus the last sells that emptied the abandoned markets.
    assert len(received) == len(expected) >= PROFILE.trades
    for info in received:
        truth = expected.pop((info["symbol"], str(info["id"])))
        assert Decimal(info["price"]) == truth.price
        assert Decimal(info["qty"]) == truth.amount
        assert Decimal(info["quoteQty"]) == truth.cost
        assert Decimal(info["commission"]) == truth.fee
        assert info["commissionAsset"] == truth.fee_asset
        assert info["time"] == truth.timestamp
        assert str(info["orderId"]) == truth.order_id
    assert expected == {}
    assert account.abandoned_symbols, "some traded markets' assets are no longer held"


async def test_unified_floats_lose_digits_that_info_strings_keep(
    binance: BinanceEmulator, binance_keys: DemoKeys
) -> None:
    truth = next(t for t in binance.account.trades if len(str(t.amount).replace(".", "")) > 17)
    async with ccxt_client("binance", binance, binance_keys.read_only, options=BINANCE_OPTIONS) as client:
        await client.load_markets()
        symbol = client.markets_by_id[truth.symbol][0]["symbol"]
        trade = (await client.fetch_my_trades(symbol, limit=1, params={"fromId": int(truth.id)}))[0]

    assert Decimal(trade["info"]["qty"]) == truth.amount
    assert Decimal(repr(trade["amount"])) != truth.amount


async def test_my_trades_rules_of_window_page_size_and_parameters(
    binance: BinanceEmulator, binance_keys: DemoKeys
) -> None:
    trades = binance.account.trades_for("BTCUSDT")
    anchor = trades[len(trades) // 2].timestamp
    async with ccxt_client("binance", binance, binance_keys.read_only, options=BINANCE_OPTIONS) as client:
        day = await client.privateGetMyTrades(
            {"symbol": "BTCUSDT", "startTime": anchor, "endTime": anchor + 24 * HOUR_MS}
        )
        recent = await client.privateGetMyTrades({"symbol": "BTCUSDT", "limit": 3})
        failures = {}
        bad_requests: dict[str, dict[str, Any]] = {
            "window": {"startTime": anchor, "endTime": anchor + 24 * HOUR_MS + 1},
            "limit": {"limit": 1001},
            "combination": {"fromId": 1, "startTime": anchor},
            "symbol": {"symbol": "NOPEUSDT"},
        }
        for name, params in bad_requests.items():
            with pytest.raises(ccxt.BaseError) as raised:
                await client.privateGetMyTrades({"symbol": "BTCUSDT", **params})
            failures[name] = (type(raised.value), code_of(raised.value))

    assert [row["id"] for row in day] == [int(t.id) for t in trades if anchor <= t.timestamp <= anchor + 24 * HOUR_MS]
    assert [row["id"] for row in recent] == [int(t.id) for t in trades[-3:]]
    assert failures == {
        "window": (ccxt.BadRequest, "-1127"),
        "limit": (ccxt.BadRequest, "-1130"),
        "combination": (ccxt.BadRequest, "-1128"),
        "symbol": (ccxt.BadSymbol, "-1121"),
    }


async def test_deposit_history_walked_in_90_day_windows_returns_exactly_the_ground_truth(
    binance: BinanceEmulator, binance_keys: DemoKeys
) -> None:
    account = binance.account
    received: dict[str, dict[str, Any]] = {}
    async with ccxt_client("binance", binance, binance_keys.read_only, options=BINANCE_OPTIONS) as client:
        default_window = await client.sapiGetCapitalDepositHisrec()
        end = account.now_ms
        while end > account.now_ms - 4 * 365 * DAY_MS:
            start, offset = end - 90 * DAY_MS + 1, 0  # "less than 90 days" between the two ends
            while True:
                rows = await client.sapiGetCapitalDepositHisrec(
                    {"startTime": start, "endTime": end, "limit": 7, "offset": offset}
                )
                received.update((row["id"], row) for row in rows)
                if len(rows) < 7:
                    break
                offset += 7
            end = start - 1
        with pytest.raises(ccxt.BadRequest, match="-1127"):
            await client.sapiGetCapitalDepositHisrec({"startTime": end - 91 * DAY_MS, "endTime": end})
        with pytest.raises(ccxt.BadRequest, match="-1130"):
            await client.sapiGetCapitalDepositHisrec({"limit": 1001})

    assert len(received) == len(account.deposits)
    for truth in account.deposits:
        row = received[truth.id]
        assert (Decimal(row["amount"]), row["coin"], row["txId"], row["insertTime"]) == (
            truth.amount,
            truth.asset,
            truth.tx_id,
            truth.timestamp,
        )
    assert {row["id"] for row in default_window} == {
        d.id for d in account.deposits if d.timestamp >= account.now_ms - 90 * DAY_MS
    }


async def test_convert_and_dividend_windows(binance: BinanceEmulator, binance_keys: DemoKeys) -> None:
    account = binance.account
    converts: set[str] = set()
    rewards: dict[str, dict[str, Any]] = {}
    async with ccxt_client("binance", binance, binance_keys.read_only, options=BINANCE_OPTIONS) as client:
        end = account.now_ms
        while end > account.now_ms - 4 * 365 * DAY_MS:
            flow = await client.sapiGetConvertTradeFlow({"startTime": end - 30 * DAY_MS, "endTime": end})
            assert flow["moreData"] is False
            converts.update(str(row["orderId"]) for row in flow["list"])
            dividends = await client.sapiGetAssetAssetDividend(
                {"startTime": end - 30 * DAY_MS, "endTime": end, "limit": 500}
            )
            rewards.update((str(row["id"]), row) for row in dividends["rows"])
            end -= 30 * DAY_MS + 1
        with pytest.raises(ccxt.BadRequest, match="-1127"):
            await client.sapiGetConvertTradeFlow({"startTime": end - 31 * DAY_MS, "endTime": end})
        with pytest.raises(ccxt.BadRequest, match="-1127"):
            await client.sapiGetAssetAssetDividend({"startTime": end - 181 * DAY_MS, "endTime": end})
        with pytest.raises(ccxt.BadRequest, match="-1102"):
            await client.sapiGetConvertTradeFlow({"endTime": end})

    assert converts == {c.id for c in account.converts}
    assert rewards.keys() == {r.id for r in account.rewards}
    for truth in account.rewards:
        row = rewards[truth.id]
        assert (Decimal(row["amount"]), row["asset"], row["divTime"]) == (truth.amount, truth.asset, truth.timestamp)


async def test_withdrawal_history_costs_a_tenth_of_the_uid_budget(
    binance: BinanceEmulator, binance_keys: DemoKeys
) -> None:
    async with ccxt_client("binance", binance, binance_keys.read_only, options=BINANCE_OPTIONS) as client:
        for _ in range(10):
            await client.sapiGetCapitalWithdrawHistory()
        assert client.last_response_headers["X-SAPI-USED-UID-WEIGHT-1M"] == "180000"
        with pytest.raises(ccxt.DDoSProtection, match="429"):
            await client.sapiGetCapitalWithdrawHistory()
        assert int(client.last_response_headers["Retry-After"]) > 0


async def test_each_sapi_endpoint_has_its_own_budgets_and_is_never_banned() -> None:
    """Wallet docs, Limits: "Each endpoint with IP limits has an independent 12000 per minute limit", "Each endpoint
    with UID limits has an independent 180000 per minute limit"; over a /sapi limit: "always 429 — the 418 IP-ban
    escalation does not apply" (developers.binance.com, rate limits of /api/* and /sapi/*)."""
    limits = BinanceLimits(request_weight_per_minute=20, sapi_ip_weight_per_minute=30, violations_before_ban=2)
    async with (
        BinanceEmulator(seed=1, profile=PROFILE, listed_symbols=20, limits=limits) as emulator,
        ccxt_client("binance", emulator, emulator.add_key(), options=BINANCE_OPTIONS) as client,
    ):
        now = emulator.clock.now_ms()
        for _ in range(10):  # the withdraw-history budget, to the last unit
            await client.sapiGetCapitalWithdrawHistory()
        # Convert history draws on its own 180,000: sixty calls fit beside the ten withdrawal calls.
        await client.sapiGetConvertTradeFlow({"startTime": now - DAY_MS, "endTime": now})
        assert client.last_response_headers["X-SAPI-USED-UID-WEIGHT-1M"] == "3000"
        for _ in range(3):  # asset dividends: weight 10 of its own 30 here
            await client.sapiGetAssetAssetDividend()
        assert client.last_response_headers["X-SAPI-USED-IP-WEIGHT-1M"] == "30"
        await client.sapiGetCapitalDepositHisrec()  # deposits: still the whole of their own budget
        assert client.last_response_headers["X-SAPI-USED-IP-WEIGHT-1M"] == "1"
        statuses = []
        for _ in range(4):  # well past violations_before_ban: /sapi answers 429, never 418
            with pytest.raises(ccxt.DDoSProtection) as raised:
                await client.sapiGetAssetAssetDividend()
            statuses.append(str(raised.value).split()[1])
            assert int(client.last_response_headers["Retry-After"]) > 0
        await client.publicGetExchangeInfo()  # /api: 20 of its 20
        for _ in range(3):
            with pytest.raises(ccxt.DDoSProtection):
                await client.publicGetTime()
        with pytest.raises(ccxt.DDoSProtection, match="IP banned until"):
            await client.publicGetTime()
        # "IP bans (/api/* only)": the banned IP still reaches /sapi.
        await client.sapiGetCapitalDepositHisrec()
        assert client.last_response_headers["X-SAPI-USED-IP-WEIGHT-1M"] == "2"

    assert statuses == ["429", "429", "429", "429"]


async def test_a_weight_burst_gets_429_with_retry_after_and_then_a_418_ban() -> None:
    limits = BinanceLimits(request_weight_per_minute=100, violations_before_ban=2)
    async with (
        BinanceEmulator(seed=1, profile=PROFILE, listed_symbols=20, limits=limits) as emulator,
        ccxt_client("binance", emulator, None, options=BINANCE_OPTIONS) as client,
    ):
        for used in (20, 40, 60, 80, 100):
            await client.publicGetExchangeInfo()
            assert client.last_response_headers["X-MBX-USED-WEIGHT-1M"] == str(used)
        statuses = []
        for _ in range(3):
            with pytest.raises(ccxt.DDoSProtection) as raised:
                await client.publicGetExchangeInfo()
            assert type(raised.value) is ccxt.DDoSProtection
            statuses.append(str(raised.value).split()[1])
            assert int(client.last_response_headers["Retry-After"]) > 0
        with pytest.raises(ccxt.DDoSProtection, match="IP banned until"):
            await client.publicGetTime()  # a banned IP gets 418 whatever it asks
        emulator.reset_rate_limits()
        await client.publicGetTime()

    assert statuses == ["429", "429", "418"]
    assert emulator.requests.count("/api/v3/exchangeInfo") == 8
    assert emulator.requests.count("/api/v3/time") == 2
    assert emulator.requests.total == 10


async def test_a_key_revoked_after_a_successful_call_looks_like_a_ban_to_ccxt(
    binance: BinanceEmulator, binance_keys: DemoKeys
) -> None:
    async with ccxt_client("binance", binance, binance_keys.read_only, options=BINANCE_OPTIONS) as client:
        await client.privateGetAccount()
        binance.revoke_key(binance_keys.read_only.api_key)
        with pytest.raises(ccxt.BaseError) as raised:
            await client.privateGetAccount()

    # ccxt reads -2015 after an earlier success on the same instance as a temporary ban.
    assert type(raised.value) is ccxt.DDoSProtection
    assert code_of(raised.value) == "-2015"


def test_the_same_seed_scripts_the_same_account() -> None:
    first = generate_account(5, 1_700_000_000_000, profile=PROFILE, listed_markets=50)
    again = generate_account(5, 1_700_000_000_000, profile=PROFILE, listed_markets=50)
    other = generate_account(6, 1_700_000_000_000, profile=PROFILE, listed_markets=50)

    assert first == again
    assert first.trades != other.trades
    assert all(first.now_ms - 3 * 366 * DAY_MS < t.timestamp < first.now_ms for t in first.trades)
