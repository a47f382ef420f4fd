"""A quote scan reaches cross-margin markets (issue 15, item 3; bot/reconcile/scan.py).

On cross margin a user bought 2 of a coin with USDT and sold all of it back, never borrowing it, moving it in or out
or holding it: no balance, loan, interest or transfer names that coin, so the margin trades of its market are not
asked and the cross wallet's USDT is not explained. A scan of USDT probes every listed USDT market open to margin,
finds the round trip, and the cross wallet's USDT is then explained to the last digit; later syncs ask the market
again without a scan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.reconcile.ledger import explained_balances
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord
from db.repositories.reconcile import Movement
from sandbox.exchanges import BinanceEmulator
from sandbox.exchanges.binance_margin import CROSS_IN
from tests.connectors.test_binance_margin import SMALL
from tests.connectors.test_fetch_binance import UNLIMITED, binance_client, new_fetcher, run_sync

KINDS = (Endpoint.TRANSFERS, Endpoint.MARGIN_LOANS, Endpoint.MARGIN_TRADES)


@pytest.fixture
async def emptied() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(
        seed=25, profile=SMALL, listed_symbols=20, limits=UNLIMITED, derivatives=True, margin_emptied=True
    ) as emu:
        yield emu


def cross_usdt(records: list[NormalizedRecord]) -> Decimal:
    """What cross-margin trades did to USDT (loans count zero; the interest here is charged in BTC)."""
    moves = [
        Movement(str(r.kind), r.side, r.asset, r.amount, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in records
        if r.raw.get("wallet") == "cross_margin"
    ]
    return explained_balances(moves).get("USDT", Decimal(0))


async def test_a_margin_only_emptied_market_is_found_by_a_usdt_scan_and_the_cross_wallet_reconciles(
    emptied: BinanceEmulator,
) -> None:
    script = emptied.margin.script
    assert script is not None
    coin, *_ = {f.symbol for f in script.fills} - {"BTCUSDT", "ETHUSDT"}
    market = next(m for m in emptied.account.markets if m.symbol == coin)
    since = datetime.now(UTC) - timedelta(days=70)
    async with binance_client(emptied) as client:
        first = await run_sync(new_fetcher(client), KINDS, since=since)
        scanner = new_fetcher(client)
        scanner.scan(frozenset({"USDT"}))
        scan = await run_sync(scanner, (Endpoint.MARGIN_TRADES,), first.cursors, since=since)
        later = await run_sync(new_fetcher(client), (Endpoint.MARGIN_TRADES,), scan.cursors, since=since)

    # The first sync asks what the evidence names (BTCUSDT cross, ETHUSDT isolated): not the emptied market.
    assert sorted(first.reports[Endpoint.MARGIN_TRADES].markets_scanned) == ["cross:BTCUSDT", "isolated:ETHUSDT"]
    held = script.cross["USDT"].free - CROSS_IN  # what cross margin's trades did to the 2,000 USDT moved in
    assert cross_usdt(first.of(Endpoint.MARGIN_TRADES)) != held
    # The scan: every listed USDT market open to margin (all, in the emulator) not asked before, once.
    usdt = sorted(f"cross:{m.symbol}" for m in emptied.account.markets if m.quote == "USDT" and m.symbol != "BTCUSDT")
    asked = scan.reports[Endpoint.MARGIN_TRADES].markets_scanned
    assert sorted(a for a in asked if a not in ("cross:BTCUSDT", "isolated:ETHUSDT")) == usdt
    # Its round trip, written out from the script: 2 bought at the reference price (0.002 of the coin charged),
    # 1.998 sold at 1.1 times it (a thousandth of the USDT received charged).
    price, high = (
        market.price.quantize(Decimal("0.00000001")),
        (market.price * Decimal("1.1")).quantize(Decimal("1E-8")),
    )
    received = (Decimal("1.998") * high).quantize(Decimal("1E-8"))
    found = sorted((r.side, r.amount, r.price, r.fee_asset, r.fee_amount) for r in scan.of(Endpoint.MARGIN_TRADES))
    assert found == [
        ("buy", Decimal(2), price, market.base, Decimal("0.002")),
        ("sell", Decimal("1.998"), high, "USDT", (received / 1000).quantize(Decimal("1E-8"))),
    ]
    # Cross margin's USDT is now explained exactly: BTCUSDT's round trip and this one.
    assert cross_usdt([*first.of(Endpoint.MARGIN_TRADES), *scan.of(Endpoint.MARGIN_TRADES)]) == held
    # A later sync, without a scan, asks the market again (its coins are evidence now) and nothing else new.
    # The cross wallet's coins are BTC and USDT (held) and now the emptied coin: every listed market of two of them.
    known = {market.base, "BTC", "USDT"}
    pairs = {f"cross:{m.symbol}" for m in emptied.account.markets if {m.base, m.quote} <= known}
    assert f"cross:{coin}" in pairs
    assert set(later.reports[Endpoint.MARGIN_TRADES].markets_scanned) == pairs | {"isolated:ETHUSDT"}
    assert not later.of(Endpoint.MARGIN_TRADES)
