"""The Bybit v5 emulator, driven by the real ccxt client; and the URL overrides that point ccxt at emulators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from connectors.urls import apply_url_override, parse_url_overrides
from sandbox.exchanges import BinanceEmulator, BybitEmulator, BybitLimits, DemoKeys, Permissions
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.bybit_assets import is_internal
from tests.emulators.conftest import (
    BINANCE_OPTIONS,
    BYBIT_CONFIG,
    BYBIT_OPTIONS,
    PROFILE,
    ccxt_client,
    wait_for_unexpected,
)


def ret_code_of(error: Exception) -> str:
    """The retCode inside a ccxt message (tests only: messages can carry signed URLs)."""
    return str(error).split('"retCode":', 1)[1].split(",", 1)[0]


async def walk(
    fetch: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    rows_key: str,
    start: int,
    end: int,
    span: int,
    limit: int,
) -> list[dict[str, Any]]:
    """Walk [start, end] backwards in windows of ``span``, following nextPageCursor inside each window."""
    rows: list[dict[str, Any]] = []
    while end > start:
        params: dict[str, Any] = {"startTime": max(start, end - span), "endTime": end, "limit": limit}
        while True:
            result = (await fetch(params))["result"]
            rows += result[rows_key]
            if not result["nextPageCursor"]:
                break
            params = {**params, "cursor": result["nextPageCursor"]}
        end -= span + 1
    return rows


async def test_load_markets_with_a_read_only_key_asks_only_for_spot_instruments(
    bybit: BybitEmulator, bybit_keys: DemoKeys
) -> None:
    async with ccxt_client("bybit", bybit, bybit_keys.read_only, options=BYBIT_OPTIONS, config=BYBIT_CONFIG) as client:
        markets = await client.load_markets()
        balance = await client.fetch_balance()

    assert len(markets) == 150
    assert markets["BTC/USDT"]["spot"] is True
    assert dict(bybit.requests.by_path) == {"/v5/market/instruments-info": 1, "/v5/account/wallet-balance": 1}
    held = {b.asset: b.total for b in bybit.account.balances if b.total > 0}
    # The unified wallet also holds what the scripted derivatives and interest changed, and the spot-margin loan
    # (walletBalance includes spotBorrow).
    script = bybit.derivatives.script
    for coin, change in (*script.change().items(), *script.spot_borrow.items()):
        held[coin] = held.get(coin, Decimal(0)) + change
    coins = balance["info"]["result"]["list"][0]["coin"]
    assert {coin["coin"]: Decimal(coin["walletBalance"]) for coin in coins} == held
    assert set(balance["total"]) == set(held)
    assert bybit.requests.unexpected == []


@pytest.mark.parametrize(
    ("options", "config", "side_calls"),
    [
        ({}, {}, ["GET /v5/asset/coin/query-info"]),
        (
            {},
            BYBIT_CONFIG,
            # linear and inverse: listed and pre-launch instruments; options: one call per base coin
            # (options.fetchMarkets.options: BTC, ETH, SOL, XRP, MNT, DOGE)
            ["GET /v5/market/instruments-info (category=inverse instruments are not emulated)"] * 2
            + ["GET /v5/market/instruments-info (category=linear instruments are not emulated)"] * 2
            + ["GET /v5/market/instruments-info (category=option instruments are not emulated)"] * 6,
        ),
    ],
)
async def test_side_calls_of_load_markets_show_up_as_unexpected(
    bybit: BybitEmulator,
    bybit_keys: DemoKeys,
    options: dict[str, Any],
    config: dict[str, Any],
    side_calls: list[str],
) -> None:
    async with ccxt_client("bybit", bybit, bybit_keys.read_only, options=options, config=config) as client:
        with pytest.raises(ccxt.ExchangeNotAvailable):
            await client.load_markets()
        assert await wait_for_unexpected(bybit, len(side_calls)) == side_calls


async def test_query_api_reports_the_keys_real_flags(bybit: BybitEmulator, bybit_keys: DemoKeys) -> None:
    flags = {}
    for name in ("read_only", "trading", "withdrawal"):
        async with ccxt_client("bybit", bybit, getattr(bybit_keys, name), options=BYBIT_OPTIONS) as client:
            flags[name] = (await client.privateGetV5UserQueryApi())["result"]

    assert flags["read_only"]["readOnly"] == 1
    assert flags["read_only"]["ips"] == ["*"]
    assert flags["read_only"]["expiredAt"].endswith("Z")  # unbound keys lapse after 90 days
    assert flags["read_only"]["deadlineDay"] == 89
    assert "Withdraw" not in flags["read_only"]["permissions"]["Wallet"]
    assert flags["trading"]["readOnly"] == 0
    assert flags["withdrawal"]["readOnly"] == 0
    assert "Withdraw" in flags["withdrawal"]["permissions"]["Wallet"]
    assert flags["withdrawal"]["ips"] == ["203.0.113.7", "127.0.0.1"]
    # A key bound to IPs never expires: Bybit's example answers the epoch and deadlineDay -2 (apikey-info.mdx).
    assert flags["withdrawal"]["expiredAt"] == "1970-01-01T00:00:00Z"
    assert flags["withdrawal"]["deadlineDay"] == -2


@pytest.mark.parametrize(
    ("case", "expected_type", "expected_code"),
    [
        ("bad_secret", ccxt.AuthenticationError, "10004"),
        ("unknown_key", ccxt.AuthenticationError, "10003"),
        ("revoked", ccxt.AuthenticationError, "10003"),
        ("expired", ccxt.AuthenticationError, "33004"),
        ("ip_restricted", ccxt.PermissionDenied, "10010"),
        ("no_read_permission", ccxt.PermissionDenied, "10005"),
        ("skewed_clock", ccxt.InvalidNonce, "10002"),
    ],
)
async def test_bad_credentials_raise_the_exceptions_ccxt_maps_bybit_codes_to(
    bybit: BybitEmulator, bybit_keys: DemoKeys, case: str, expected_type: type[Exception], expected_code: str
) -> None:
    good = bybit_keys.read_only
    credentials = {
        "bad_secret": good._replace(secret="x" * 36),
        "unknown_key": good._replace(api_key=bybit.unknown_key()),
        "revoked": bybit_keys.revoked,
        "expired": bybit_keys.expired,
        "ip_restricted": bybit_keys.ip_restricted,
        "no_read_permission": bybit.add_key(Permissions(read=False)),
        "skewed_clock": good,
    }[case]
    options = dict(BYBIT_OPTIONS)
    if case == "skewed_clock":
        options["timeDifference"] = 30_000  # 30 s behind; recvWindow is 5 s

    async with ccxt_client("bybit", bybit, credentials, options=options) as client:
        with pytest.raises(ccxt.BaseError) as raised:
            await client.privateGetV5UserQueryApi()

    assert type(raised.value) is expected_type
    assert ret_code_of(raised.value) == expected_code


async def test_execution_list_walked_back_730_days_returns_exactly_the_reachable_ground_truth(
    bybit: BybitEmulator, bybit_keys: DemoKeys
) -> None:
    account = bybit.account
    oldest, now = bybit.trades_reachable
    oldest += HOUR_MS  # the server's "730 days ago" moves on while we walk; no trade sits this close to it
    async with ccxt_client("bybit", bybit, bybit_keys.read_only, options=BYBIT_OPTIONS) as client:
        rows = await walk(
            lambda params: client.privateGetV5ExecutionList({"category": "spot", **params}),
            "list",
            oldest,
            now,
            7 * DAY_MS,
            100,
        )

    reachable = {t.id: t for t in account.trades if t.timestamp >= oldest}
    assert 0 < len(reachable) < len(account.trades), "the account reaches further back than the API does"
    assert len(rows) == len(reachable)
    for row in rows:
        truth = reachable.pop(row["execId"])
        assert (row["symbol"], row["orderId"], row["execTime"]) == (truth.symbol, truth.order_id, str(truth.timestamp))
        assert Decimal(row["execQty"]) == truth.amount
        assert Decimal(row["execPrice"]) == truth.price
        assert Decimal(row["execValue"]) == truth.cost
        assert (Decimal(row["execFee"]), row["feeCurrency"]) == (truth.fee, truth.fee_asset)
    assert reachable == {}


async def test_execution_list_rules_of_window_lookback_and_page_size(
    bybit: BybitEmulator, bybit_keys: DemoKeys
) -> None:
    oldest, now = bybit.trades_reachable
    btc_trades = [t for t in bybit.account.trades_for("BTCUSDT") if t.timestamp > oldest + HOUR_MS]
    since = btc_trades[len(btc_trades) // 2].timestamp
    failures = {}
    async with ccxt_client("bybit", bybit, bybit_keys.read_only, options=BYBIT_OPTIONS, config=BYBIT_CONFIG) as client:
        for name, params in {
            "window": {"startTime": now - 7 * DAY_MS - 1, "endTime": now},
            "lookback": {"startTime": oldest - DAY_MS, "endTime": oldest},
            "limit": {"limit": 101},
        }.items():
            with pytest.raises(ccxt.BaseError) as raised:
                await client.privateGetV5ExecutionList({"category": "spot", **params})
            failures[name] = (type(raised.value), ret_code_of(raised.value))
        week = await client.fetch_my_trades("BTC/USDT", since=since, limit=100, params={"category": "spot"})

    assert failures == {name: (ccxt.BadRequest, "10001") for name in ("window", "lookback", "limit")}
    expected = [t for t in btc_trades if since <= t.timestamp <= since + 7 * DAY_MS]
    assert 0 < len(expected) <= 100
    assert [trade["id"] for trade in week] == [t.id for t in expected]  # ccxt sorts them oldest first
    assert [Decimal(trade["info"]["execQty"]) for trade in week] == [t.amount for t in expected]


async def test_moving_the_server_clock_moves_the_lookback_horizon(bybit: BybitEmulator, bybit_keys: DemoKeys) -> None:
    oldest, _ = bybit.trades_reachable
    window = {"category": "spot", "startTime": oldest + HOUR_MS, "endTime": oldest + DAY_MS}
    async with ccxt_client("bybit", bybit, bybit_keys.read_only, options=BYBIT_OPTIONS) as client:
        await client.privateGetV5ExecutionList(window)
        bybit.clock.advance(30 * DAY_MS)
        with pytest.raises(ccxt.InvalidNonce):  # the client still signs with the old time
            await client.privateGetV5ExecutionList(window)
        client.options["timeDifference"] = -bybit.clock.offset_ms
        with pytest.raises(ccxt.BadRequest, match="730 days"):
            await client.privateGetV5ExecutionList(window)


async def test_deposits_withdrawals_and_transfers_walked_in_their_windows_match_the_ground_truth(
    bybit: BybitEmulator, bybit_keys: DemoKeys
) -> None:
    account = bybit.account
    start = account.now_ms - 4 * 365 * DAY_MS
    async with ccxt_client("bybit", bybit, bybit_keys.read_only, options=BYBIT_OPTIONS) as client:
        deposits = await walk(client.privateGetV5AssetDepositQueryRecord, "rows", start, account.now_ms, 30 * DAY_MS, 3)
        internal = await walk(
            client.privateGetV5AssetDepositQueryInternalRecord, "rows", start, account.now_ms, 30 * DAY_MS, 3
        )
        withdrawals = await walk(
            client.privateGetV5AssetWithdrawQueryRecord, "rows", start, account.now_ms, 30 * DAY_MS, 50
        )
        transfers = await walk(
            client.privateGetV5AssetTransferQueryInterTransferList, "list", start, account.now_ms, 7 * DAY_MS, 50
        )
        with pytest.raises(ccxt.BadRequest, match="10001"):
            await client.privateGetV5AssetDepositQueryRecord({"startTime": start, "endTime": start + 31 * DAY_MS})
        with pytest.raises(ccxt.BadRequest, match="10001"):
            await client.privateGetV5AssetDepositQueryRecord({"limit": 51})

    # Every deposit is in exactly one of the two lists: on-chain (times in ms) or internal (in seconds).
    on_chain = [(r["id"], Decimal(r["amount"]), r["coin"], int(r["successAt"])) for r in deposits]
    off_chain = [(r["id"], Decimal(r["amount"]), r["coin"], int(r["createdTime"]) * 1000) for r in internal]
    assert on_chain and off_chain
    assert sorted(on_chain + off_chain) == sorted(
        (d.id, d.amount, d.asset, d.timestamp // 1000 * 1000 if is_internal(d) else d.timestamp)
        for d in account.deposits
    )
    assert sorted((r["withdrawId"], Decimal(r["amount"]), Decimal(r["withdrawFee"])) for r in withdrawals) == sorted(
        (w.id, w.amount, w.fee) for w in account.withdrawals
    )
    assert sorted((r["transferId"], Decimal(r["amount"]), r["fromAccountType"]) for r in transfers) == sorted(
        (t.id, t.amount, t.from_account) for t in account.transfers
    )


async def test_an_endpoint_burst_gets_10006_and_an_ip_flood_gets_403() -> None:
    limits = BybitLimits(per_second={"/v5/account/wallet-balance": 3}, ip_requests_per_5s=8)
    async with BybitEmulator(seed=3, profile=PROFILE, listed_symbols=20, limits=limits) as emulator:
        key = emulator.add_key()
        async with ccxt_client("bybit", emulator, key, options=BYBIT_OPTIONS) as client:
            for remaining in ("2", "1", "0"):
                await client.privateGetV5AccountWalletBalance({"accountType": "UNIFIED"})
                assert client.last_response_headers["X-Bapi-Limit-Status"] == remaining
            with pytest.raises(ccxt.RateLimitExceeded) as raised:
                await client.privateGetV5AccountWalletBalance({"accountType": "UNIFIED"})
            assert ret_code_of(raised.value) == "10006"
            assert int(client.last_response_headers["X-Bapi-Limit-Reset-Timestamp"]) > 0
            for _ in range(4):
                await client.publicGetV5MarketTime()
            with pytest.raises(ccxt.RateLimitExceeded, match="403"):  # ccxt's Bybit maps a bare 403 so
                await client.publicGetV5MarketTime()

    assert emulator.requests.count("/v5/account/wallet-balance") == 4
    assert emulator.requests.count("/v5/market/time") == 5
    assert emulator.requests.total == 9


def test_url_overrides_parse_and_refuse_malformed_entries() -> None:
    assert parse_url_overrides(" binance=http://127.0.0.1:1234 , bybit=https://mirror.example/ ") == {
        "binance": "http://127.0.0.1:1234",
        "bybit": "https://mirror.example",
    }
    assert parse_url_overrides("") == {}
    for bad in (
        "binance",
        "binance=",
        "=http://x",
        "Binance=http://x",
        "binance=ftp://x",
        "binance=http://x/api",
        "binance=http://user:pw@x",
        "binance=http://x:99999",
        "binance=http://a,binance=http://b",
        "binance=http://a,",
    ):
        with pytest.raises(ValueError, match="EXCHANGE_URL_OVERRIDES"):
            parse_url_overrides(bad)


@pytest.mark.parametrize(
    "exchange_id",
    ["binance", "bybit", "okx", "bitget", "kucoin", "kraken", "htx", "bigone", "coinbase", "gate", "mexc"],
)
async def test_url_override_rewrites_every_rest_url_and_keeps_paths(exchange_id: str) -> None:
    client = getattr(ccxt_async, exchange_id)()
    try:
        apply_url_override(client, "http://127.0.0.1:9")
        leaves: list[str] = []

        def collect(node: object) -> None:
            if isinstance(node, str):
                leaves.append(node)
            elif isinstance(node, dict):
                for value in node.values():
                    collect(value)
            elif isinstance(node, list):
                for value in node:
                    collect(value)

        collect(client.urls["api"])
        assert leaves
        for leaf in leaves:
            assert leaf.startswith(("http://127.0.0.1:9/", "ws://127.0.0.1:9/")) or leaf == "http://127.0.0.1:9"
            assert "{hostname}" not in leaf
    finally:
        await client.close()


async def test_one_override_setting_points_both_clients_at_their_emulators(
    binance: BinanceEmulator, binance_keys: DemoKeys, bybit: BybitEmulator, bybit_keys: DemoKeys
) -> None:
    overrides = parse_url_overrides(f"binance={binance.base_url},bybit={bybit.base_url}")
    binance_client = ccxt_async.binance(
        {"apiKey": binance_keys.read_only.api_key, "secret": binance_keys.read_only.secret, "options": BINANCE_OPTIONS}
    )
    bybit_client = ccxt_async.bybit(
        {
            "apiKey": bybit_keys.read_only.api_key,
            "secret": bybit_keys.read_only.secret,
            "options": BYBIT_OPTIONS,
            **BYBIT_CONFIG,
        }
    )
    try:
        apply_url_override(binance_client, overrides["binance"])
        apply_url_override(bybit_client, overrides["bybit"])
        restrictions = await binance_client.sapiGetAccountApiRestrictions()
        key_info = await bybit_client.privateGetV5UserQueryApi()
    finally:
        await binance_client.close()
        await bybit_client.close()
    assert restrictions["enableReading"] is True
    assert key_info["result"]["readOnly"] == 1
    assert binance.requests.total == bybit.requests.total == 1
