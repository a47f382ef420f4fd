"""The OKX v5 emulator, driven by the real ccxt client: keys, passphrases, signatures, history, paging and limits."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt
import pytest

from connectors.clients import READ_ONLY_CONFIG
from sandbox.exchanges import Credentials, DemoKeys, OkxEmulator, OkxLimits, Permissions
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from tests.emulators.conftest import OKX_CONFIG, OKX_OPTIONS, PROFILE, ccxt_client, wait_for_unexpected

Fetch = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def code_of(error: Exception) -> str:
    """The OKX code inside a ccxt message (tests only: messages can carry signed URLs)."""
    found = re.search(r'"code":"(\d+)"', str(error))
    assert found, "no OKX code in the error"
    return found.group(1)


@asynccontextmanager
async def okx_client(
    emulator: OkxEmulator, credentials: Credentials, *, options: dict[str, Any] | None = None
) -> AsyncIterator[Any]:
    """ccxt's OKX client with the connectors' read-only settings and the key's passphrase."""
    config = {**OKX_CONFIG, "password": credentials.passphrase}
    async with ccxt_client("okx", emulator, credentials, options=options or OKX_OPTIONS, config=config) as client:
        client.timeout_on_exit = 0  # ccxt otherwise sleeps 250 ms in close() for websockets we do not use
        yield client


async def walk_back(fetch: Fetch, cursor_field: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Page down with ``after=<cursor of the last row>`` until a short page."""
    rows: list[dict[str, Any]] = []
    request = {**params, "limit": limit}
    while True:
        page = (await fetch(request))["data"]
        rows += page
        if len(page) < limit:
            return rows
        request = {**request, "after": page[-1][cursor_field]}


async def test_load_markets_with_a_read_only_key_asks_only_for_spot_instruments(
    okx: OkxEmulator, okx_keys: DemoKeys
) -> None:
    async with okx_client(okx, okx_keys.read_only) as client:
        markets = await client.load_markets()
        balance = await client.fetch_balance()

    assert len(markets) == len(okx.account.markets) == 150
    assert markets["BTC/USDT"]["id"] == "BTC-USDT"
    assert markets["BTC/USDT"]["spot"] is True
    assert dict(okx.requests.by_path) == {"/api/v5/public/instruments": 1, "/api/v5/account/balance": 1}
    held = {b.asset: b.total for b in okx.account.balances if b.total > 0}
    details = balance["info"]["data"][0]["details"]
    assert {row["ccy"]: Decimal(row["eq"]) for row in details} == held
    assert okx.requests.unexpected == []


def test_the_client_factory_passes_the_settings_measured_here() -> None:
    assert READ_ONLY_CONFIG["okx"] == {**OKX_CONFIG, "options": OKX_OPTIONS}


async def test_side_calls_of_load_markets_show_up_as_unexpected(okx: OkxEmulator, okx_keys: DemoKeys) -> None:
    # With credentials ccxt's OKX asks the private currency list before the markets.
    credentials = okx_keys.read_only
    async with ccxt_client("okx", okx, credentials, options={}, config={"password": credentials.passphrase}) as client:
        with pytest.raises(ccxt.ExchangeNotAvailable):
            await client.load_markets()
        assert await wait_for_unexpected(okx, 1) == ["GET /api/v5/asset/currencies"]


async def test_without_the_spot_only_option_load_markets_asks_every_instrument_type(
    okx: OkxEmulator, okx_keys: DemoKeys
) -> None:
    """Why the connectors ask for spot markets only: otherwise ccxt asks the instruments of every type, options
    once per family (BTC-USD, ETH-USD), which the emulator serves for the derivatives script."""
    credentials = okx_keys.read_only
    settings = {**OKX_CONFIG, "password": credentials.passphrase}
    async with ccxt_client("okx", okx, credentials, options={}, config=settings) as client:
        markets = await client.load_markets()
    assert {market["type"] for market in markets.values()} >= {"spot", "swap"}
    assert okx.requests.by_path == {"/api/v5/public/instruments": 5} and okx.requests.unexpected == []


async def test_account_config_reports_the_keys_perm_and_ip(okx: OkxEmulator, okx_keys: DemoKeys) -> None:
    config = {}
    for name in ("read_only", "trading", "withdrawal"):
        async with okx_client(okx, getattr(okx_keys, name)) as client:
            config[name] = (await client.privateGetAccountConfig())["data"][0]

    assert config["read_only"]["perm"] == "read_only"
    assert config["read_only"]["ip"] == ""
    assert config["read_only"]["label"] == "read-only"
    assert config["trading"]["perm"] == "read_only,trade"
    assert config["withdrawal"]["perm"] == "read_only,withdraw,trade"
    assert config["withdrawal"]["ip"] == "203.0.113.7,127.0.0.1"
    assert config["read_only"]["uid"] == config["trading"]["uid"] == okx.book.uid


@pytest.mark.parametrize(
    ("case", "expected_type", "expected_code"),
    [
        ("bad_secret", ccxt.AuthenticationError, "50113"),
        ("wrong_passphrase", ccxt.AuthenticationError, "50105"),
        ("malformed_key", ccxt.AuthenticationError, "50111"),
        # 50119 and 50120 are not in ccxt's OKX map: they come out as a plain ExchangeError.
        ("unknown_key", ccxt.ExchangeError, "50119"),
        ("revoked", ccxt.ExchangeError, "50119"),
        ("expired", ccxt.ExchangeError, "50119"),
        ("ip_restricted", ccxt.PermissionDenied, "50110"),
        ("no_read_permission", ccxt.ExchangeError, "50120"),
        ("skewed_clock", ccxt.InvalidNonce, "50102"),
    ],
)
async def test_bad_credentials_raise_the_exceptions_ccxt_maps_okx_codes_to(
    okx: OkxEmulator, okx_keys: DemoKeys, case: str, expected_type: type[Exception], expected_code: str
) -> None:
    good = okx_keys.read_only
    credentials = {
        "bad_secret": good._replace(secret="A" * 32),
        "wrong_passphrase": good._replace(passphrase=good.passphrase + "x"),
        "malformed_key": good._replace(api_key="not-an-okx-key"),
        "unknown_key": good._replace(api_key=okx.unknown_key()),
        "revoked": okx_keys.revoked,
        "expired": okx_keys.expired,
        "ip_restricted": okx_keys.ip_restricted,
        "no_read_permission": okx.add_key(Permissions(read=False)),
        "skewed_clock": good,
    }[case]
    options = dict(OKX_OPTIONS)
    if case == "skewed_clock":
        options["timeDifference"] = 31_000  # 31 s behind; OKX allows 30

    async with okx_client(okx, credentials, options=options) as client:
        with pytest.raises(ccxt.BaseError) as raised:
            await client.privateGetAccountConfig()

    assert type(raised.value) is expected_type
    assert code_of(raised.value) == expected_code
    assert client.last_http_response is not None
    assert '"data":[]' in client.last_http_response


async def test_fills_history_paged_by_bill_id_returns_exactly_the_last_year(
    okx: OkxEmulator, okx_keys: DemoKeys
) -> None:
    account = okx.account
    oldest = okx.reachable_since(365 * DAY_MS) + HOUR_MS  # the horizon moves on while we page
    async with okx_client(okx, okx_keys.read_only) as client:
        rows = await walk_back(client.privateGetTradeFillsHistory, "billId", 30, instType="SPOT")
        recent = await walk_back(client.privateGetTradeFills, "billId", 100)

    reachable = {(t.symbol, t.id): t for t in account.trades if t.timestamp >= oldest}
    assert 30 < len(reachable) < len(account.trades), "the account reaches further back than the API does"
    assert [int(row["billId"]) for row in rows] == sorted((int(row["billId"]) for row in rows), reverse=True)
    assert len(rows) == len(reachable) == len({row["billId"] for row in rows})
    for row in rows:
        truth = reachable.pop((row["instId"], row["tradeId"]))
        assert row["billId"] == okx.book.bill_ids[truth]
        assert (row["ordId"], row["side"], int(row["fillTime"])) == (truth.order_id, truth.side, truth.timestamp)
        assert 0 < int(row["ts"]) - truth.timestamp <= 3  # written a moment after the trade, as in the docs
        assert Decimal(row["fillSz"]) == truth.amount
        assert Decimal(row["fillPx"]) == truth.price
        assert (-Decimal(row["fee"]), row["feeCcy"]) == (truth.fee, truth.fee_asset)
    assert reachable == {}
    three_days = [t for t in account.trades if t.timestamp >= okx.reachable_since(3 * DAY_MS)]
    assert sorted(row["tradeId"] for row in recent) == sorted(t.id for t in three_days)


async def test_before_pages_forward_from_a_cursor_without_gaps(okx: OkxEmulator, okx_keys: DemoKeys) -> None:
    oldest = okx.reachable_since(365 * DAY_MS) + HOUR_MS
    reachable = sorted((t for t in okx.account.trades if t.timestamp >= oldest), key=lambda t: t.timestamp)
    cursor = okx.book.bill_ids[reachable[9]]
    newer: list[str] = []
    async with okx_client(okx, okx_keys.read_only) as client:
        while True:
            page = (await client.privateGetTradeFillsHistory({"instType": "SPOT", "before": cursor, "limit": 7}))[
                "data"
            ]
            if not page:
                break
            newer += reversed([row["tradeId"] for row in page])  # each page is newest first
            cursor = page[0]["billId"]

    assert newer == [t.id for t in reachable[10:]]


async def test_fills_rules_of_instrument_type_and_page_size(okx: OkxEmulator, okx_keys: DemoKeys) -> None:
    failures = {}
    async with okx_client(okx, okx_keys.read_only) as client:
        for name, params in {
            "no_inst_type": {},
            "bad_inst_type": {"instType": "STOCK"},
            "limit": {"instType": "SPOT", "limit": 101},
            "cursor": {"instType": "SPOT", "after": "last"},
        }.items():
            with pytest.raises(ccxt.BaseError) as raised:
                await client.privateGetTradeFillsHistory(params)
            failures[name] = (type(raised.value), code_of(raised.value))
        swaps = await client.privateGetTradeFillsHistory({"instType": "SWAP"})
        full_page = await client.privateGetTradeFillsHistory({"instType": "SPOT"})

    assert failures == {
        "no_inst_type": (ccxt.BadRequest, "50014"),
        "bad_inst_type": (ccxt.BadRequest, "51000"),
        "limit": (ccxt.BadRequest, "51000"),
        "cursor": (ccxt.BadRequest, "51000"),
    }
    assert swaps["data"] == []  # a spot-only account has no swap fills
    assert len(full_page["data"]) == 100  # the default page is the largest


async def test_moving_the_server_clock_moves_the_one_year_horizon(okx: OkxEmulator, okx_keys: DemoKeys) -> None:
    async with okx_client(okx, okx_keys.read_only) as client:
        before = await walk_back(client.privateGetTradeFillsHistory, "billId", 100, instType="SPOT")
        okx.clock.advance(30 * DAY_MS)
        with pytest.raises(ccxt.InvalidNonce):  # the client still signs with the old time
            await client.privateGetTradeFillsHistory({"instType": "SPOT"})
        client.options["timeDifference"] = -okx.clock.offset_ms
        after = await walk_back(client.privateGetTradeFillsHistory, "billId", 100, instType="SPOT")

    horizon = okx.reachable_since(365 * DAY_MS)
    assert 0 < len(after) < len(before)
    assert {row["tradeId"] for row in after} == {
        row["tradeId"] for row in before if int(row["fillTime"]) >= horizon + HOUR_MS
    }


async def test_deposits_withdrawals_and_converts_paged_by_time_match_the_ground_truth(
    okx: OkxEmulator, okx_keys: DemoKeys
) -> None:
    account = okx.account
    async with okx_client(okx, okx_keys.read_only) as client:
        deposits = await walk_back(client.privateGetAssetDepositHistory, "ts", 7)
        withdrawals = await walk_back(client.privateGetAssetWithdrawalHistory, "ts", 100)
        converts = await walk_back(client.privateGetAssetConvertHistory, "ts", 6)
        with pytest.raises(ccxt.BadRequest, match="51000"):
            await client.privateGetAssetDepositHistory({"limit": 101})

    assert sorted((r["depId"], Decimal(r["amt"]), r["ccy"], int(r["ts"]), r["txId"]) for r in deposits) == sorted(
        (d.id, d.amount, d.asset, d.timestamp, d.tx_id) for d in account.deposits
    )
    assert sorted((r["wdId"], Decimal(r["amt"]), Decimal(r["fee"]), int(r["ts"])) for r in withdrawals) == sorted(
        (w.id, w.amount, w.fee, w.timestamp) for w in account.withdrawals
    )
    assert sorted(
        (r["tradeId"], r["baseCcy"], Decimal(r["fillBaseSz"]), r["quoteCcy"], Decimal(r["fillQuoteSz"]), r["side"])
        for r in converts
    ) == sorted((c.id, c.from_asset, c.from_amount, c.to_asset, c.to_amount, "sell") for c in account.converts)


async def test_funding_bills_show_the_last_month_of_transfers(okx: OkxEmulator, okx_keys: DemoKeys) -> None:
    oldest = okx.reachable_since(30 * DAY_MS) + HOUR_MS
    async with okx_client(okx, okx_keys.read_only) as client:
        bills = await walk_back(client.privateGetAssetBills, "ts", 5)
        to_trading = await walk_back(client.privateGetAssetBills, "ts", 100, type="131")

    transfers = [t for t in okx.account.transfers if t.timestamp >= oldest]
    assert len(transfers) >= 3
    truth = {b.bill_id: b for b in okx.book.funding_bills if b.ts >= oldest}
    assert {row["billId"] for row in bills} == set(truth)
    for row in bills:
        bill = truth[row["billId"]]
        assert (Decimal(row["balChg"]), Decimal(row["bal"]), row["type"]) == (bill.bal_chg, bill.bal, bill.type)
    moved = sorted((int(r["ts"]), r["ccy"], -Decimal(r["balChg"])) for r in to_trading)
    assert moved == sorted((t.timestamp, t.asset, t.amount) for t in transfers if t.from_account == "FUND")


async def test_a_burst_gets_50011_with_http_429() -> None:
    limits = OkxLimits(
        rules={"/api/v5/account/config": (5, 2_000), "/api/v5/public/instruments": (2, 2_000)},
        default_rule=(1_000, 1_000),
    )
    async with OkxEmulator(seed=3, profile=PROFILE, listed_symbols=20, limits=limits) as emulator:
        key = emulator.add_key()
        async with okx_client(emulator, key) as client:
            for _ in range(5):
                await client.privateGetAccountConfig()
            with pytest.raises(ccxt.RateLimitExceeded) as raised:
                await client.privateGetAccountConfig()
            await client.privateGetAccountBalance()  # other endpoints have their own budget
            emulator.clock.advance(2_001)
            client.options["timeDifference"] = -emulator.clock.offset_ms
            await client.privateGetAccountConfig()
        async with aiohttp.ClientSession() as session:
            url = f"{emulator.base_url}/api/v5/public/instruments?instType=SPOT"
            statuses = []
            for _ in range(3):
                async with session.get(url) as response:
                    statuses.append(response.status)
                    body = await response.json()

    assert code_of(raised.value) == "50011"
    assert emulator.requests.count("/api/v5/account/config") == 7
    assert statuses == [200, 200, 429]
    assert body == {"code": "50011", "data": [], "msg": "Too Many Requests"}
