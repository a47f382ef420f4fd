"""A Bitget unified trading account (UTA) that was liquidated and paid fees in two coins, read through API v3 against
the emulator (sandbox/exchanges/bitget_uta_liquidation.py on top of the derivatives script): every coin of every
fill's fee is stored, every liquidation record is counted as uta/enum names it, and what the history explains moves
exactly as the unified balance (read net of its debt) does. Expected values are the script's amounts, worked by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from connectors.balances import read_balances
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.bitget import BitgetFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import BitgetEmulator
from sandbox.exchanges.bitget_uta_liquidation import liquidate
from tests.connectors.test_bitget_unified_derivatives import FAST, KINDS, SMALL, drain, unified_client

D = Decimal


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=15, profile=SMALL, listed_symbols=20, limits=FAST, derivatives=True) as emulator:
        yield emulator


def added(records: list[NormalizedRecord]) -> list[tuple[object, ...]]:
    """The liquidation's and two-coin fills' records (ids from 1120…): kind, asset, amount, side, quote, fee."""
    return sorted(
        (r.kind.value, r.asset, r.amount, r.side, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in records
        if str(r.exchange_tx_id).startswith("1120")
    )


async def test_a_liquidated_account_with_two_coin_fees_stores_every_balance_change_once(bitget: BitgetEmulator) -> None:
    liquidate(bitget.book)
    cursors: dict[Endpoint, dict[str, Cursor]] = {endpoint: {} for endpoint in KINDS}
    async with unified_client(bitget) as client:
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        got = {endpoint: await drain(fetcher, endpoint, cursors[endpoint], FetchReport()) for endpoint in KINDS}
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        again = {endpoint: await drain(fetcher, endpoint, cursors[endpoint], FetchReport()) for endpoint in KINDS}

    # 20 BGB bought for 25 USDT: the fill's first fee coin (0.012 BGB) on the trade, its second (0.005 USDT) a fee
    # record of its own, taken out.
    assert added(got[Endpoint.SPOT_TRADES]) == [
        ("fee", "USDT", D("-0.005"), None, None, None, None),
        ("trade", "BGB", D("20"), "buy", D("25"), "BGB", D("0.012")),
    ]
    # The long opened (fee 1.24 USDT and 0.5 BGB) and liquidated (fee 1.74 USDT); the liquidation's loss, fee and
    # what went to the insurance fund. The OPEN_LONG record (profit 0) and the BGB fee's ORDER_PLF_FEE_OUT record
    # are the fill's, stored once with it.
    assert added(got[Endpoint.FUTURES_TRADES]) == [
        ("fee", "BGB", D("-0.5"), None, None, None, None),
        ("futures_trade", "BTC", D("0.05"), "buy", D("3100"), "USDT", D("1.24")),
        ("futures_trade", "BTC", D("0.05"), "sell", D("2900"), "USDT", D("1.74")),
        ("realized_pnl", "USDT", D("-200"), None, None, None, None),
        ("realized_pnl", "USDT", D("-14.5"), None, None, None, None),
        ("realized_pnl", "USDT", D("-3.2"), None, None, None, None),
    ]
    # The isolated loan repaid by liquidation: ETH exchanged for USDT (one leg each), the 100 USDT principal repaid,
    # the liquidation fee.
    assert added(got[Endpoint.MARGIN_LOANS]) == [
        ("convert", "ETH", D("0.0999"), "sell", None, None, None),
        ("convert", "USDT", D("271.728"), "buy", None, None, None),
        ("realized_pnl", "USDT", D("-1.35864"), None, None, None, None),
        ("repay", "USDT", D("100"), None, None, None, None),
    ]
    assert not [r for endpoint in KINDS for r in got[endpoint] if r.kind is RecordKind.LEDGER]
    for endpoint in KINDS:
        keys = [r.natural_key for r in got[endpoint]]
        assert len(keys) == len(set(keys)), endpoint
        assert again[endpoint] == [], endpoint


async def test_the_liquidation_moves_the_unified_balance_as_the_history_explains(bitget: BitgetEmulator) -> None:
    async with unified_client(bitget) as client:
        before = await read_balances(client, get_profile("bitget"))
        liquidate(bitget.book)
        after = await read_balances(client, get_profile("bitget"))
    assert before.complete and after.complete
    moved = {coin: after.totals.get(coin, D(0)) - before.totals.get(coin, D(0)) for coin in ("USDT", "BGB", "ETH")}
    # USDT: -25 - 0.005 (spot), -1.24 - 1.74 (fees) - 200 - 14.5 - 3.2 (liquidated long), +271.728 - 1.35864
    # (the ETH exchanged, the fee); the 100 repaid leaves balance and debt alike. BGB: +20 - 0.012 - 0.5.
    assert moved == {"USDT": D("24.68436"), "BGB": D("19.488"), "ETH": D("-0.0999")}
