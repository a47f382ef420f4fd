"""Bitget futures and margin against the emulator's scripted account (sandbox/exchanges/bitget_derivatives_script.py):
a full fetch stores every fill, realized profit, funding fee, margin fill, borrowing, repayment and interest charge
exactly once with the script's amounts; a re-sync asks only for the newest window of each stream and stores nothing
again; the balance reads (futures wallets without unrealized profit, margin net of debt) give the wallets' totals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.balances import read_balances
from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.bitget import BitgetFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, BitgetEmulator, BitgetLimits

SMALL = AccountProfile(
    years=0.15, traded_markets=3, trades=20, deposits=3, withdrawals=1, converts=1, transfers=1, rewards=0
)
FAST = BitgetLimits(per_second={}, default_per_second=100_000, ip_requests_per_minute=1_000_000)
KINDS = (Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_TRADES, Endpoint.MARGIN_LOANS)
D = Decimal
FILLS_PATH = "/api/v2/mix/order/fill-history"
BILLS_PATH = "/api/v2/mix/account/bill"
FUTURES = Endpoint.FUTURES_TRADES


@asynccontextmanager
async def bitget_client(emulator: BitgetEmulator) -> AsyncIterator[Any]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"bitget": emulator.base_url})
    credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
    fields = get_profile("bitget").key_type("normal").field_names
    try:
        async with pool.client("bitget", "credential-1", credentials, key_fields=fields) as client:
            client.throttler.config["refillRate"] = 1e6
            yield client
    finally:
        await pool.close()


async def drain(fetcher: BitgetFetcher, endpoint: Endpoint, stored: dict[str, Cursor]) -> list[NormalizedRecord]:
    records: list[NormalizedRecord] = []
    async for page in fetcher.fetch(
        endpoint, since=None, until=datetime.now(UTC), cursors=dict(stored), report=FetchReport()
    ):
        stored[page.market] = json.loads(json.dumps(page.cursor))
        records.extend(page.records)
    return records


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=15, profile=SMALL, listed_symbols=20, limits=FAST, derivatives=True) as emulator:
        yield emulator


async def test_a_full_fetch_stores_every_futures_and_margin_record_once_and_a_resync_asks_only_the_newest_window(
    bitget: BitgetEmulator,
) -> None:
    script = bitget.derivatives
    assert script is not None
    cursors: dict[Endpoint, dict[str, Cursor]] = {endpoint: {} for endpoint in KINDS}
    async with bitget_client(bitget) as client:
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        got = {endpoint: await drain(fetcher, endpoint, cursors[endpoint]) for endpoint in KINDS}
        first_walk = bitget.requests.count(FILLS_PATH)
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        bitget.requests.reset()
        again = {endpoint: await drain(fetcher, endpoint, cursors[endpoint]) for endpoint in KINDS}
        asked_again = bitget.requests.count(FILLS_PATH)

    futures = got[Endpoint.FUTURES_TRADES]
    fills = [r for r in futures if r.kind is RecordKind.FUTURES_TRADE]
    # Seven fills: BTCUSDT and ETHUSDT round trips (USDT-M), BTCUSD (coin-M), BTCPERP (USDC-M).
    assert sorted((r.market, r.side, r.amount, r.price, r.fee_asset, r.fee_amount) for r in fills) == sorted(
        [
            ("BTC/USDT:USDT", "buy", D("0.02"), D("60000.5"), "USDT", D("0.720006")),
            ("BTC/USDT:USDT", "sell", D("0.02"), D("61000"), "USDT", D("0.732")),
            ("ETH/USDT:USDT", "sell", D("0.5"), D("3000"), "USDT", D("0.9")),
            ("ETH/USDT:USDT", "buy", D("0.5"), D("3100"), "USDT", D("0.93")),
            ("BTC/USD:BTC", "buy", D("0.01"), D("58000"), "BTC", D("0.000006")),
            ("BTC/USD:BTC", "sell", D("0.01"), D("59000"), "BTC", D("0.000006")),
            ("BTC/USDC:USDC", "buy", D("0.005"), D("59500"), "USDC", D("0.1785")),
            ("BTC/USDC:USDC", "sell", D("0.005"), D("59000"), "USDC", D("0.177")),
        ]
    )
    # Coin-M's notional is in its settle coin (BTC): the 0.01 BTC traded, not the 580 and 590 USD of quoteVolume.
    assert sorted((r.market, r.quote_asset, r.quote_amount) for r in fills if r.market == "BTC/USD:BTC") == [
        ("BTC/USD:BTC", "BTC", D("0.01")),
        ("BTC/USD:BTC", "BTC", D("0.01")),
    ]
    # Closing bills' profit, and the signed bills no fill writes: 4 USDT of the coupon expired (bonus_expired), a
    # copy trader's income of 1.25 USDT (tracking_trader_income).
    pnl = sorted((r.asset, r.amount) for r in futures if r.kind is RecordKind.REALIZED_PNL)
    assert pnl == [
        ("BTC", D("0.00016949")),
        ("USDC", D("-2.5")),
        ("USDT", D("-50")),
        ("USDT", D("-4")),
        ("USDT", D("1.25")),
        ("USDT", D("19.99")),
    ]
    assert all(r.fee_amount is None for r in futures if r.kind is RecordKind.REALIZED_PNL)  # the fill has the fee
    # bonus_issue "bonus/coupon issue" of 10 USDT: a reward.
    assert [(r.asset, r.amount) for r in futures if r.kind is RecordKind.REWARD] == [("USDT", D("10"))]
    # user_exchange_sell / user_exchange_buy "Exchange sell/buy (multi-assets mode)": one leg per coin.
    legs = sorted((r.asset, r.side, r.amount, r.quote_asset) for r in futures if r.kind is RecordKind.CONVERT)
    assert legs == [("USDC", "buy", D("29.997"), None), ("USDT", "sell", D("30"), None)]
    assert {r.kind for r in futures} == {  # no transfers, no funding, no ledger line left uncounted
        RecordKind.FUTURES_TRADE,
        RecordKind.REALIZED_PNL,
        RecordKind.REWARD,
        RecordKind.CONVERT,
    }
    funding = sorted((r.asset, r.amount) for r in got[Endpoint.FUNDING])
    assert funding == [("BTC", D("-0.00000312")), ("USDT", D("-0.2")), ("USDT", D("-0.1234")), ("USDT", D("0.0567"))]
    assert {r.kind for r in got[Endpoint.FUNDING]} == {RecordKind.FUNDING}

    margin = sorted(
        (r.market, r.side, r.amount, r.quote_amount, r.fee_asset, r.fee_amount) for r in got[Endpoint.MARGIN_TRADES]
    )
    assert margin == [
        ("BTC/USDT", "buy", D("0.00501"), D("295.59"), "BTC", D("0.00000501")),
        ("BTC/USDT", "sell", D("0.005"), D("300"), "USDT", D("0.3")),
        ("ETH/USDT", "buy", D("0.1"), D("290"), "ETH", D("0.0001")),
    ]
    loans = sorted((r.kind.value, r.asset, r.amount) for r in got[Endpoint.MARGIN_LOANS])
    assert loans == [
        ("borrow", "BTC", D("0.005")),
        ("borrow", "USDT", D("100")),
        ("interest", "BTC", D("-0.0000012")),
        ("interest", "BTC", D("-0.0000012")),
        ("interest", "USDT", D("-0.0123")),
        ("repay", "BTC", D("0.005")),
    ]
    for endpoint in KINDS:
        keys = [r.natural_key for r in got[endpoint]]
        assert len(keys) == len(set(keys)), endpoint
        assert again[endpoint] == [], endpoint  # nothing new: nothing stored twice
    # The first walk asks each product type's 90 days a week at a time; a re-sync asks each one's newest week once.
    assert first_walk >= 3 * 13
    assert asked_again == 3


async def test_an_account_with_no_futures_bill_is_not_asked_its_futures_fills_week_by_week() -> None:
    quiet = BitgetEmulator(seed=16, profile=SMALL, listed_symbols=20, limits=FAST)
    async with quiet, bitget_client(quiet) as client:
        cursors: dict[str, Cursor] = {}
        first = await drain(BitgetFetcher(get_profile("bitget"), client, key_type="normal"), FUTURES, cursors)
        first_fills, first_bills = quiet.requests.count(FILLS_PATH), quiet.requests.count(BILLS_PATH)
        quiet.requests.reset()
        again = await drain(BitgetFetcher(get_profile("bitget"), client, key_type="normal"), FUTURES, cursors)
        again_fills = quiet.requests.count(FILLS_PATH)
    assert first == again == []
    # The bills of each product type, 90 days in 30-day ranges: 3 × 3; no fills asked (13 weeks a product type).
    assert (first_fills, first_bills) == (0, 9)
    # Their cursors start where the bills ended: a re-sync asks each product type's newest week once.
    assert again_fills == 3


async def test_transfers_between_spot_and_the_futures_and_margin_accounts_come_from_the_transfer_list(
    bitget: BitgetEmulator,
) -> None:
    async with bitget_client(bitget) as client:
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        records = await drain(fetcher, Endpoint.TRANSFERS, {})
    moves = sorted(
        (r.asset, r.amount, r.raw["fromType"], r.raw["toType"])
        for r in records
        if "spot" in (r.raw["fromType"], r.raw["toType"]) and "p2p" not in (r.raw["fromType"], r.raw["toType"])
    )
    assert moves == [
        ("BTC", D("0.05"), "spot", "coin_futures"),
        ("USDC", D("500"), "spot", "usdc_futures"),
        ("USDT", D("100"), "usdt_futures", "spot"),
        ("USDT", D("200"), "spot", "isolated_margin"),
        ("USDT", D("400"), "spot", "crossed_margin"),
        ("USDT", D("1000"), "spot", "usdt_futures"),
    ]
    assert len({r.natural_key for r in records}) == len(records)


async def test_transfers_are_asked_out_of_spot_and_p2p_and_out_of_each_account_a_coin_was_moved_into(
    bitget: BitgetEmulator,
) -> None:
    """Money enters in spot or p2p; the script moved BTC to coin_futures, USDC to usdc_futures and USDT to
    usdt_futures, crossed_margin and isolated_margin: only those accounts are asked beyond spot and p2p, for that
    coin, and a re-sync asks the same streams again (its cursors name them)."""

    async def walk(stored: dict[str, Cursor]) -> tuple[list[str], dict[str, str]]:
        report = FetchReport()
        async with bitget_client(bitget) as client:
            fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
            async for page in fetcher.fetch(
                Endpoint.TRANSFERS, since=None, until=datetime.now(UTC), cursors=dict(stored), report=report
            ):
                stored[page.market] = json.loads(json.dumps(page.cursor))
        return report.markets_scanned, report.markets_not_scanned

    stored: dict[str, Cursor] = {}
    scanned, not_scanned = await walk(stored)
    beyond_entry = {key for key in scanned if key.split(":")[1] not in ("spot", "p2p")}
    assert beyond_entry == {
        "BTC:coin_futures",
        "USDC:usdc_futures",
        "USDT:usdt_futures",
        "USDT:crossed_margin",
        "USDT:isolated_margin",
    }
    coins = {key.split(":")[0] for key in scanned}
    assert {key for key in scanned if key.split(":")[1] in ("spot", "p2p")} == {
        f"{coin}:{source}" for coin in coins for source in ("spot", "p2p")
    }
    assert not_scanned["ETH:usdt_futures"] == "no_transfer_into_account"
    assert "USDT:usdt_futures" not in not_scanned
    again, _ = await walk(stored)
    assert set(again) == set(scanned)


async def test_the_balance_reads_give_futures_wallets_without_unrealized_profit_and_margin_net_of_debt(
    bitget: BitgetEmulator,
) -> None:
    async with bitget_client(bitget) as client:
        snapshot = await read_balances(client, get_profile("bitget"))
    assert snapshot.complete, snapshot.wallets_failed
    # Spot, the three futures wallets, both margin wallets, then the funding (P2P), earn and bot wallets (spot and
    # futures bots: bot-assets asked once per accountType) and the open crypto loans; the script holds nothing in the
    # last five.
    assert snapshot.wallets_read == [
        *("spot", "usdt_futures", "coin_futures", "usdc_futures", "crossed_margin", "isolated_margin"),
        *("funding", "earn", "spot_bots", "futures_bots", "crypto_loans"),
    ]
    spot = {b.asset: b.total for b in bitget.account.balances}
    # USDT: spot, the USDT-M wallet (1000 − fees 3.282006 + profit −30.01 + funding −0.2667 − 100 back = 866.441294,
    # + 10 coupon − 4 expired − 30 exchanged for USDC + 1.25 copy-trading income = 843.691294), cross margin
    # 400 + 300 − 0.3 − 295.59 = 404.11, isolated 200 + 100 borrowed − 290 less the 100 and 0.0123 owed.
    assert snapshot.totals["USDT"] == spot["USDT"] + D("843.691294") + D("404.11") + D("-90.0123")
    # USDC: the USDC-M wallet 497.1445 and the 29.997 USDC bought in the USDT-M wallet.
    assert snapshot.totals["USDC"] == spot["USDC"] + D("497.1445") + D("29.997")
    assert snapshot.totals["ETH"] == spot["ETH"] + D("0.0999")
    # BTC: coin-M 0.05 − 0.000012 fees + 0.00016949 − 0.00000312 funding;
    # cross 0.00501 − 0.005 − 0.00000501 − 0.0000024 interest.
    assert snapshot.totals["BTC"] == spot["BTC"] + D("0.05015437") + D("0.00000259")
