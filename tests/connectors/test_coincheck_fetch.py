"""The Coincheck fetcher against the Coincheck emulator through the real ccxt client: the trade list read oldest
first page after page (every pair in one list), exact amounts with taker fees and maker rebates, BTC deposits and
sends and JPY withdrawals, a re-sync asking one request per list, a walk stopped mid-way finished without a page
asked twice, and a pending JPY withdrawal stored once finished (a canceled one never).

Page sizes are shrunk (the profile's own is 25) so every list pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal

from connectors.fetchers.base import Cursor
from connectors.fetchers.coincheck import CoincheckFetcher
from connectors.profiles import Endpoint
from sandbox.exchanges import CoincheckEmulator
from tests.support.fetch_walks import ms, read_only_client, small_pages, walk

PAGES = {Endpoint.SPOT_TRADES: 7, Endpoint.DEPOSITS: 25, Endpoint.WITHDRAWALS: 2}
TRADES = "/api/exchange/orders/transactions_pagination"


@asynccontextmanager
async def fetcher(emulator: CoincheckEmulator) -> AsyncIterator[CoincheckFetcher]:
    async with read_only_client(emulator) as client:  # no limit is documented for these lists
        yield CoincheckFetcher(small_pages("coincheck", PAGES), client)


async def test_every_list_is_read_with_exact_amounts_and_a_resync_asks_one_request_per_list() -> None:
    async with CoincheckEmulator(seed=6, years=1.0, trades=40) as emulator, fetcher(emulator) as coincheck:
        account = emulator.account
        cursors: dict[Endpoint, dict[str, Cursor]] = {e: {} for e in PAGES}
        got = {e: await walk(coincheck, e, cursors[e]) for e in PAGES}
        first = emulator.requests.count(TRADES)
        emulator.requests.reset()
        again = {e: await walk(coincheck, e, cursors[e]) for e in PAGES}
        second = dict(emulator.requests.by_path)

    # Written from the scripted rows: "eth_jpy" is ETH/JPY; the fee is in JPY, negative for a maker rebate.
    assert {
        (r.market, r.side, r.amount, r.price, r.quote_amount, r.fee_asset, r.fee_amount, ms(r))
        for r in got[Endpoint.SPOT_TRADES]
    } == {
        (
            t.pair.replace("_", "/").upper(),
            t.side,
            t.amount,
            t.rate,
            t.amount * t.rate,
            "JPY" if t.fee else None,
            t.fee or None,
            t.ms,
        )
        for t in account.trades
    }
    assert any(t.fee < 0 for t in account.trades), "a maker rebate is in the script"
    assert len(got[Endpoint.SPOT_TRADES]) == len(account.trades)
    assert {(r.asset, r.amount, ms(r)) for r in got[Endpoint.DEPOSITS]} == {
        ("BTC", d.amount, d.ms) for d in account.btc_deposits
    }
    finished = [w for w in account.jpy_withdrawals if w.status == "finished"]
    assert len(finished) < len(account.jpy_withdrawals) - 1, "one pending and one canceled JPY withdrawal"
    assert {(r.asset, r.amount, r.fee_amount, ms(r)) for r in got[Endpoint.WITHDRAWALS]} == {
        ("BTC", s.amount, s.fee, s.ms) for s in account.btc_sends
    } | {("JPY", w.amount, w.fee, w.ms) for w in finished}
    assert all(isinstance(r.amount, Decimal) for records in got.values() for r in records)
    # Oldest first, seven a page, to a short page.
    assert first == len(account.trades) // PAGES[Endpoint.SPOT_TRADES] + 1
    # The re-sync: one trade page above the last id; the two BTC lists once; the JPY list from below the pending row.
    assert second == {
        TRADES: 1,
        "/api/deposit_money": 1,
        "/api/send_money": 1,
        "/api/withdraws": 1,
    }, second
    assert again[Endpoint.SPOT_TRADES] == []


async def test_a_stopped_walk_finishes_without_asking_twice_and_a_pending_withdrawal_is_stored_once_finished() -> None:
    async with CoincheckEmulator(seed=6, years=1.0, trades=40) as emulator, fetcher(emulator) as coincheck:
        account = emulator.account
        cursors: dict[str, Cursor] = {}
        part = await walk(coincheck, Endpoint.SPOT_TRADES, cursors, pages=2)
        rest = await walk(coincheck, Endpoint.SPOT_TRADES, cursors)
        asked = emulator.requests.count(TRADES)
        wallet: dict[str, Cursor] = {}
        await walk(coincheck, Endpoint.WITHDRAWALS, wallet)
        pending = next(w for w in account.jpy_withdrawals if w.status == "pending")
        emulator.book.account = replace(
            account,
            jpy_withdrawals=tuple(
                replace(w, status="finished") if w is pending else w for w in account.jpy_withdrawals
            ),
        )
        settled = await walk(coincheck, Endpoint.WITHDRAWALS, wallet)

    ids = [r.exchange_tx_id for r in part + rest]
    assert len(part) == 2 * PAGES[Endpoint.SPOT_TRADES]
    assert len(ids) == len(set(ids)) == len(account.trades)
    assert asked == len(account.trades) // PAGES[Endpoint.SPOT_TRADES] + 1
    assert [(r.asset, r.amount, r.fee_amount, ms(r)) for r in settled if r.raw["id"] == pending.id] == [
        ("JPY", pending.amount, pending.fee, pending.ms)
    ]
