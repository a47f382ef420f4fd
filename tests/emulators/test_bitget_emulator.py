"""The Bitget v2 emulator, driven by the real ccxt client: normal and Tax API keys, history, windows and limits."""

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
from sandbox.exchanges import BitgetDemoKeys, BitgetEmulator, BitgetLimits, Credentials, Permissions
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from tests.emulators.conftest import BITGET_CONFIG, BITGET_OPTIONS, PROFILE, ccxt_client, wait_for_unexpected

Fetch = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
TWO_YEARS = 730 * DAY_MS
# What ccxt needs for a Tax API key: it insists on a passphrase unless told otherwise, and sends an empty one.
TAX_KEY_CONFIG: dict[str, Any] = {"password": "", "requiredCredentials": {"password": False}}


def code_of(error: Exception) -> str:
    """The Bitget code inside a ccxt message (tests only: messages can carry signed URLs)."""
    found = re.search(r'"code":"(\d+)"', str(error))
    assert found, "no Bitget code in the error"
    return found.group(1)


@asynccontextmanager
async def bitget_client(
    emulator: BitgetEmulator, credentials: Credentials, *, options: dict[str, Any] | None = None, tax: bool = False
) -> AsyncIterator[Any]:
    """ccxt's Bitget client with the connectors' read-only settings and the key's passphrase (if it has one)."""
    config = {**BITGET_CONFIG, **(TAX_KEY_CONFIG if tax else {"password": credentials.passphrase})}
    async with ccxt_client("bitget", emulator, credentials, options=options or BITGET_OPTIONS, config=config) as client:
        client.timeout_on_exit = 0  # ccxt otherwise sleeps 250 ms in close() for websockets we do not use
        yield client


async def walk(fetch: Fetch, start: int, end: int, span: int, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Walk [start, end] backwards in windows of ``span``, paging each with ``idLessThan`` until a short page."""
    rows: list[dict[str, Any]] = []
    id_field = params.pop("id_field")
    while end > start:
        request: dict[str, Any] = {**params, "startTime": max(start, end - span), "endTime": end, "limit": limit}
        while True:
            data = (await fetch(request))["data"]
            page = data["dataList"] if isinstance(data, dict) else data
            rows += page
            if len(page) < limit:
                break
            request = {**request, "idLessThan": page[-1][id_field]}
        end -= span + 1
    return rows


async def test_load_markets_with_a_read_only_key_asks_only_for_spot_symbols_and_margin_pairs(
    bitget: BitgetEmulator, bitget_keys: BitgetDemoKeys
) -> None:
    async with bitget_client(bitget, bitget_keys.read_only) as client:
        markets = await client.load_markets()
        balance = await client.fetch_balance()

    assert len(markets) == len(bitget.account.markets) == 150
    assert markets["BTC/USDT"]["id"] == "BTCUSDT"
    assert markets["BTC/USDT"]["spot"] is True
    assert markets["BTC/USDT"]["margin"] is True
    assert dict(bitget.requests.by_path) == {
        "/api/v2/spot/public/symbols": 1,
        "/api/v2/margin/currencies": 1,  # ccxt always asks which spot pairs have margin; public and harmless
        "/api/v2/spot/account/assets": 1,
    }
    held = {b.asset: b.total for b in bitget.account.balances if b.total > 0}
    rows = balance["info"]
    assert {row["coin"]: Decimal(row["available"]) + Decimal(row["frozen"]) for row in rows} == held
    assert bitget.requests.unexpected == []


def test_the_client_factory_passes_the_settings_measured_here() -> None:
    assert READ_ONLY_CONFIG["bitget"] == {**BITGET_CONFIG, "options": BITGET_OPTIONS}


@pytest.mark.parametrize(
    ("options", "config", "side_calls"),
    [
        ({}, {}, ["GET /api/v2/spot/public/coins"]),
        (
            {"fetchMarkets": {"types": ["spot"]}},
            BITGET_CONFIG,
            ["GET /api/v3/account/settings"],  # a keyed client first asks whether the account is unified
        ),
        (
            {"uta": False},
            BITGET_CONFIG,
            # swap markets: one contract list per product type, demo ones included
            ["GET /api/v2/mix/market/contracts"] * 6,
        ),
    ],
)
async def test_side_calls_of_load_markets_show_up_as_unexpected(
    bitget: BitgetEmulator,
    bitget_keys: BitgetDemoKeys,
    options: dict[str, Any],
    config: dict[str, Any],
    side_calls: list[str],
) -> None:
    credentials = bitget_keys.read_only
    settings = {**config, "password": credentials.passphrase}
    async with ccxt_client("bitget", bitget, credentials, options=options, config=settings) as client:
        if side_calls == ["GET /api/v3/account/settings"]:
            await client.load_markets()  # ccxt swallows the probe's failure and carries on with v2
        else:
            with pytest.raises(ccxt.ExchangeNotAvailable):
                await client.load_markets()
        assert await wait_for_unexpected(bitget, len(side_calls)) == side_calls


async def test_account_info_reports_the_keys_authorities_and_ips(
    bitget: BitgetEmulator, bitget_keys: BitgetDemoKeys
) -> None:
    info = {}
    for name in ("read_only", "trading", "withdrawal"):
        async with bitget_client(bitget, getattr(bitget_keys, name)) as client:
            info[name] = (await client.privateSpotGetV2SpotAccountInfo())["data"]

    read_scopes = ["coor", "cpor", "stor", "smor", "ttor", "wtor", "p2pr"]
    assert info["read_only"]["authorities"] == read_scopes
    assert info["read_only"]["ips"] == ""
    assert not {"stow", "wwow", "wtow"} & set(info["read_only"]["authorities"])
    assert "stow" in info["trading"]["authorities"]
    assert "wwow" not in info["trading"]["authorities"]
    assert {"stow", "wtow", "wwow"} <= set(info["withdrawal"]["authorities"])
    assert info["withdrawal"]["ips"] == "203.0.113.7,127.0.0.1"
    assert info["read_only"]["userId"] == bitget.book.uid


@pytest.mark.parametrize(
    ("case", "expected_type", "expected_code"),
    [
        ("bad_secret", ccxt.AuthenticationError, "40009"),
        ("wrong_passphrase", ccxt.AuthenticationError, "40012"),
        ("no_passphrase", ccxt.AuthenticationError, "40011"),
        ("unknown_key", ccxt.AuthenticationError, "40006"),
        ("revoked", ccxt.AuthenticationError, "40037"),
        ("expired", ccxt.AuthenticationError, "40037"),
        ("ip_restricted", ccxt.PermissionDenied, "40018"),
        ("no_read_permission", ccxt.PermissionDenied, "40014"),
        ("skewed_clock", ccxt.InvalidNonce, "40008"),
    ],
)
async def test_bad_credentials_raise_the_exceptions_ccxt_maps_bitget_codes_to(
    bitget: BitgetEmulator,
    bitget_keys: BitgetDemoKeys,
    case: str,
    expected_type: type[Exception],
    expected_code: str,
) -> None:
    good = bitget_keys.read_only
    credentials = {
        "bad_secret": good._replace(secret="0" * 64),
        "wrong_passphrase": good._replace(passphrase=good.passphrase + "x"),
        "no_passphrase": good,
        "unknown_key": good._replace(api_key=bitget.unknown_key()),
        "revoked": bitget_keys.revoked,
        "expired": bitget_keys.expired,
        "ip_restricted": bitget_keys.ip_restricted,
        "no_read_permission": bitget.add_key(Permissions(read=False)),
        "skewed_clock": good,
    }[case]
    options = dict(BITGET_OPTIONS)
    if case == "skewed_clock":
        options["timeDifference"] = 31_000  # 31 s behind; Bitget allows 30

    async with bitget_client(bitget, credentials, options=options, tax=case == "no_passphrase") as client:
        with pytest.raises(ccxt.BaseError) as raised:
            await client.privateSpotGetV2SpotAccountInfo()

    assert type(raised.value) is expected_type
    assert code_of(raised.value) == expected_code


async def test_fills_of_every_market_in_one_list_reach_90_days_back(
    bitget: BitgetEmulator, bitget_keys: BitgetDemoKeys
) -> None:
    """spot/trade/Get-Fills: `symbol` optional, "It only supports to get the data within 90days"."""
    account = bitget.account
    oldest, now = bitget.reachable_since(90 * DAY_MS) + HOUR_MS, account.now_ms + HOUR_MS
    async with bitget_client(bitget, bitget_keys.read_only) as client:
        fetch = client.privateSpotGetV2SpotTradeFills
        rows = await walk(fetch, oldest, now, 90 * DAY_MS, 40, id_field="tradeId")
        older = await fetch({"startTime": oldest - 100 * DAY_MS, "endTime": oldest - 20 * DAY_MS})

    reachable = {(t.symbol, t.id): t for t in account.trades if t.timestamp >= oldest}
    assert 0 < len(reachable) < len(account.trades), "the account reaches further back than the API does"
    assert len(rows) == len(reachable) and len({r["symbol"] for r in rows}) > 1
    assert older["data"] == []  # not served: the fetcher never asks, and reports the range as a gap
    for row in rows:
        truth = reachable.pop((row["symbol"], row["tradeId"]))
        assert (row["orderId"], row["side"], int(row["cTime"])) == (truth.order_id, truth.side, truth.timestamp)
        assert Decimal(row["size"]) == truth.amount
        assert Decimal(row["priceAvg"]) == truth.price
        assert Decimal(row["amount"]) == truth.cost
        fee = row["feeDetail"]
        assert (-Decimal(fee["totalFee"]), fee["feeCoin"]) == (truth.fee, truth.fee_asset)
    assert reachable == {}


async def test_fills_rules_of_window_and_page_size(bitget: BitgetEmulator, bitget_keys: BitgetDemoKeys) -> None:
    now = bitget.account.now_ms
    failures = {}
    async with bitget_client(bitget, bitget_keys.read_only) as client:
        for name, params in {
            "window": {"symbol": "BTCUSDT", "startTime": now - 91 * DAY_MS, "endTime": now},
            "limit": {"symbol": "BTCUSDT", "limit": 101},
        }.items():
            with pytest.raises(ccxt.BaseError) as raised:
                await client.privateSpotGetV2SpotTradeFills(params)
            failures[name] = (type(raised.value), code_of(raised.value))

    assert failures == {"window": (ccxt.BadRequest, "40017"), "limit": (ccxt.BadRequest, "40017")}


async def test_deposits_withdrawals_converts_and_transfers_walked_in_windows_match_the_ground_truth(
    bitget: BitgetEmulator, bitget_keys: BitgetDemoKeys
) -> None:
    account = bitget.account
    oldest, now = bitget.reachable_since(TWO_YEARS) + HOUR_MS, account.now_ms
    span = 90 * DAY_MS
    async with bitget_client(bitget, bitget_keys.read_only) as client:
        deposits = await walk(client.privateSpotGetV2SpotWalletDepositRecords, oldest, now, span, 3, id_field="orderId")
        withdrawals = await walk(
            client.privateSpotGetV2SpotWalletWithdrawalRecords, oldest, now, span, 100, id_field="orderId"
        )
        converts = await walk(client.privateConvertGetV2ConvertConvertRecord, oldest, now, span, 2, id_field="id")
        transfers = []
        for coin in sorted({t.asset for t in account.transfers}):
            for from_type in ("spot", "p2p"):
                fetch = client.privateSpotGetV2SpotAccountTransferRecords
                transfers += await walk(
                    fetch, oldest, now, span, 100, coin=coin, fromType=from_type, id_field="transferId"
                )
        failures = {}
        deposit_records = client.privateSpotGetV2SpotWalletDepositRecords
        for name, (fetch, params) in {
            # convert-record: "The maximum interval between startTime and endTime is 90 days"; deposit-records
            # states none (common/convert/Get-Convert-Record, spot/account/Get-Deposit-Record).
            "convert window": (
                client.privateConvertGetV2ConvertConvertRecord,
                {"startTime": now - 91 * DAY_MS, "endTime": now},
            ),
            "limit": (deposit_records, {"startTime": now - DAY_MS, "endTime": now, "limit": 101}),
            "no_start": (deposit_records, {"endTime": now}),
        }.items():
            with pytest.raises(ccxt.BaseError) as raised:
                await fetch(params)
            failures[name] = (type(raised.value), code_of(raised.value))
        long_range = await deposit_records({"startTime": now - 200 * DAY_MS, "endTime": now})
        assert long_range["code"] == "00000"

    def reachable(records: Any) -> Any:
        return [r for r in records if r.timestamp >= oldest]

    assert sorted(
        (r["orderId"], Decimal(r["size"]), r["coin"], int(r["cTime"]), r["tradeId"]) for r in deposits
    ) == sorted((d.id, d.amount, d.asset, d.timestamp, d.tx_id) for d in reachable(account.deposits))
    # ``size`` is what left the account; ccxt (and Tallybot) take size - |fee| as the amount sent.
    assert sorted(
        (r["orderId"], Decimal(r["size"]) - abs(Decimal(r["fee"])), -Decimal(r["fee"])) for r in withdrawals
    ) == sorted((w.id, w.amount, w.fee) for w in reachable(account.withdrawals))
    assert sorted(
        (r["id"], Decimal(r["fromCoinSize"]), Decimal(r["toCoinSize"]), r["toCoin"]) for r in converts
    ) == sorted((c.id, c.from_amount, c.to_amount, c.to_asset) for c in reachable(account.converts))
    assert sorted((r["transferId"], Decimal(r["size"]), r["fromType"], r["toType"]) for r in transfers) == sorted(
        (t.id, t.amount, "p2p" if t.from_account == "FUND" else "spot", "spot" if t.from_account == "FUND" else "p2p")
        for t in reachable(account.transfers)
    )
    assert failures == {
        "convert window": (ccxt.BadRequest, "40017"),
        "limit": (ccxt.BadRequest, "40017"),
        "no_start": (ccxt.BadRequest, "40019"),
    }


async def test_a_tax_key_reads_the_tax_records_and_nothing_else(
    bitget: BitgetEmulator, bitget_keys: BitgetDemoKeys
) -> None:
    oldest, now = bitget.reachable_since(TWO_YEARS) + HOUR_MS, bitget.account.now_ms
    async with bitget_client(bitget, bitget_keys.tax, tax=True) as client:
        rows = await walk(client.privateTaxGetV2TaxSpotRecord, oldest, now, 30 * DAY_MS, 500, id_field="id")
        futures = await client.privateTaxGetV2TaxFutureRecord({"startTime": now - DAY_MS, "endTime": now})
        failures = {}
        for name, call in {
            "account_info": lambda: client.privateSpotGetV2SpotAccountInfo(),
            "fills": lambda: client.privateSpotGetV2SpotTradeFills({"symbol": "BTCUSDT"}),
            "window": lambda: client.privateTaxGetV2TaxSpotRecord({"startTime": now - 31 * DAY_MS, "endTime": now}),
            "limit": lambda: client.privateTaxGetV2TaxSpotRecord(
                {"startTime": now - DAY_MS, "endTime": now, "limit": 501}
            ),
            "no_end": lambda: client.privateTaxGetV2TaxMarginRecord({"startTime": now - DAY_MS}),
        }.items():
            with pytest.raises(ccxt.BaseError) as raised:
                await call()
            failures[name] = (type(raised.value), code_of(raised.value))
    async with bitget_client(bitget, bitget_keys.read_only) as client:
        with pytest.raises(ccxt.PermissionDenied, match="40014"):
            await client.privateTaxGetV2TaxSpotRecord({"startTime": now - DAY_MS, "endTime": now})

    truth = {r.id: r for r in bitget.tax_spot_records if r.ts >= oldest}
    assert len(rows) == len(truth) > 500
    for row in rows:
        record = truth.pop(row["id"])
        assert (row["coin"], row["spotTaxType"], int(row["ts"])) == (record.coin, record.tax_type, record.ts)
        assert (Decimal(row["amount"]), -Decimal(row["fee"])) == (record.amount, record.fee)
        assert Decimal(row["balance"]) == record.balance >= 0
    assert truth == {}
    assert {r.tax_type for r in bitget.tax_spot_records} == {"Buy", "Sell", "Deposit", "Withdrawal", "Interest"}
    assert futures["data"] == []
    assert failures == {
        "account_info": (ccxt.PermissionDenied, "40014"),
        "fills": (ccxt.PermissionDenied, "40014"),
        "window": (ccxt.BadRequest, "00001"),
        "limit": (ccxt.BadRequest, "40017"),
        "no_end": (ccxt.BadRequest, "40019"),
    }


async def test_a_burst_gets_http_429_which_ccxt_raises_as_ddos_protection() -> None:
    limits = BitgetLimits(
        per_second={"/api/v2/spot/account/info": 1, "/api/v2/spot/public/symbols": 2}, ip_requests_per_minute=1_000
    )
    async with BitgetEmulator(seed=3, profile=PROFILE, listed_symbols=20, limits=limits) as emulator:
        key = emulator.add_key()
        async with bitget_client(emulator, key) as client:
            await client.privateSpotGetV2SpotAccountInfo()
            with pytest.raises(ccxt.DDoSProtection) as raised:
                await client.privateSpotGetV2SpotAccountInfo()
            await client.privateSpotGetV2SpotAccountAssets()  # other endpoints have their own budget
            emulator.clock.advance(1_001)
            client.options["timeDifference"] = -emulator.clock.offset_ms
            await client.privateSpotGetV2SpotAccountInfo()
        async with aiohttp.ClientSession() as session:
            statuses = []
            for _ in range(3):
                async with session.get(f"{emulator.base_url}/api/v2/spot/public/symbols") as response:
                    statuses.append(response.status)
                    body = await response.json()

    assert type(raised.value) is ccxt.DDoSProtection  # not RateLimitExceeded: ccxt maps Bitget's "429" so
    assert code_of(raised.value) == "429"
    assert statuses == [200, 200, 429]
    assert (body["code"], body["msg"], body["data"]) == ("429", "Too Many Requests", None)
    assert emulator.requests.count("/api/v2/spot/account/info") == 3


async def test_a_unified_account_key_is_refused_by_v2_and_recognised_at_the_key_check() -> None:
    """v2 answers 40085 for a UTA (ccxt's recording); the key check reads GET /api/v3/account/info instead and says
    at once that the account is unified, so nobody waits for a sync that cannot work."""
    from bot.secret import Secret
    from connectors.clients import ClientPool
    from connectors.keycheck import check_key
    from connectors.profiles import get_profile

    async with BitgetEmulator(seed=5, profile=PROFILE, listed_symbols=20) as emulator:
        keys = emulator.create_demo_keys()
        unified = keys.unified
        async with bitget_client(emulator, unified) as client:
            with pytest.raises(ccxt.PermissionDenied) as refused:
                await client.privateSpotGetV2SpotWalletDepositRecords({"startTime": 1, "endTime": 2})
            info = await client.privateUtaGetV3AccountInfo()
        pool = ClientPool({"bitget": emulator.base_url})
        try:
            credentials = {
                "apiKey": Secret(unified.api_key),
                "secret": Secret(unified.secret),
                "password": Secret(unified.passphrase or ""),
            }
            result = await check_key(get_profile("bitget"), credentials, pool=pool, credential_id="uta")
            classic = await check_key(
                get_profile("bitget"),
                {
                    "apiKey": Secret(keys.read_only.api_key),
                    "secret": Secret(keys.read_only.secret),
                    "password": Secret(keys.read_only.passphrase or ""),
                },
                pool=pool,
                credential_id="classic",
            )
        finally:
            await pool.close()

    assert code_of(refused.value) == "40085"
    assert info["data"]["permType"] == "read-only" and info["data"]["ips"] == ""
    assert result.ok and result.can_trade is False and result.can_withdraw is False
    assert any("unified trading account" in w for w in result.warnings)
    assert classic.ok and not any("unified" in w for w in classic.warnings)
