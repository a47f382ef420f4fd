"""The bitbank fetcher against the bitbank emulator through the real ccxt client: the trade list of every pair read
oldest first by moving `since`, deposits and withdrawals per asset of the asset list read newest first by moving
`end`, amounts exactly as bitbank's strings say, a page boundary inside one millisecond crossed without a row lost or
read twice, a re-sync asking one request per list, a walk stopped mid-way finished without a page asked twice, and a
pending deposit stored once it is confirmed.

Page sizes are shrunk (the profile's own are bitbank's maxima, 1000 and 100) so every list pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal

from connectors.fetchers.base import Cursor
from connectors.fetchers.bitbank import BitbankFetcher
from connectors.profiles import Endpoint
from sandbox.exchanges import BitbankEmulator
from sandbox.exchanges.bitbank_book import Deposit, Withdrawal
from tests.support.fetch_walks import moves, ms, read_only_client, small_pages, trades, walk

PAGES = {Endpoint.SPOT_TRADES: 25, Endpoint.DEPOSITS: 3, Endpoint.WITHDRAWALS: 2}
TRADES = "/v1/user/spot/trade_history"
DEPOSITS = "/v1/user/deposit_history"
WITHDRAWALS = "/v1/user/withdrawal_history"
ASSETS = "/v1/user/assets"
# bitbank's asset ids as ccxt names them ("bcc" is Bitcoin Cash).
CODES = {"btc": "BTC", "eth": "ETH", "xrp": "XRP", "jpy": "JPY", "mona": "MONA"}


@asynccontextmanager
async def fetcher(emulator: BitbankEmulator) -> AsyncIterator[BitbankFetcher]:
    async with read_only_client(emulator) as client:
        emulator.limits = replace(emulator.limits, query=10_000)  # the emulator's limits are not under test here
        yield BitbankFetcher(small_pages("bitbank", PAGES), client)


def requests_for(rows: int, size: int) -> int:
    """Requests to read `rows` rows `size` a page when each request after a full page starts at the millisecond the
    page ended on (both bounds include their own millisecond): that row comes again, so a further page brings at most
    `size - 1` new rows, and the walk ends at the first page that is not full."""
    if rows < size:
        return 1
    return 2 + (rows - size) // (size - 1)


def deposited(d: Deposit) -> tuple[object, ...]:
    assert d.confirmed_ms is not None
    return ("deposit", CODES[d.asset], d.amount, None, None, d.confirmed_ms)


def sent(w: Withdrawal) -> tuple[object, ...]:
    return ("withdrawal", CODES[w.asset], w.amount, CODES[w.asset], w.fee, w.ms)


async def test_every_list_is_read_to_its_end_with_exact_amounts_and_a_resync_asks_one_request_per_list() -> None:
    async with BitbankEmulator(seed=5, years=2.0, trades=130) as emulator, fetcher(emulator) as bitbank:
        account = emulator.account
        cursors: dict[Endpoint, dict[str, Cursor]] = {e: {} for e in PAGES}
        got = {e: await walk(bitbank, e, cursors[e]) for e in PAGES}
        first = dict(emulator.requests.by_path)
        emulator.requests.reset()
        again = {e: await walk(bitbank, e, cursors[e]) for e in PAGES}
        second = dict(emulator.requests.by_path)

    # Written from the scripted rows: "btc_jpy" is BTC/JPY; the fee is fee_amount_quote, in JPY.
    expected_trades = {
        (
            f"{t.base.upper()}/JPY",
            t.side,
            t.amount,
            t.price,
            t.amount * t.price,
            "JPY",
            t.fee_quote,
            t.ms,
            str(t.trade_id),
        )
        for t in account.trades
    }
    assert trades(got[Endpoint.SPOT_TRADES]) == expected_trades
    assert len(got[Endpoint.SPOT_TRADES]) == len(account.trades)  # nothing twice, though two fills share a ms
    assert len({t.ms for t in account.trades}) < len(account.trades)
    done_in = [d for d in account.deposits if d.status == "DONE"]
    assert len(done_in) == len(account.deposits) - 1, "one deposit is still FOUND"
    assert moves(got[Endpoint.DEPOSITS]) == {deposited(d) for d in done_in}
    assert len(got[Endpoint.DEPOSITS]) == len(done_in)
    done_out = [w for w in account.withdrawals if w.status == "DONE"]
    assert len(done_out) == len(account.withdrawals) - 2, "one withdrawal is EXAMINING, one was REJECTED"
    assert moves(got[Endpoint.WITHDRAWALS]) == {sent(w) for w in done_out}
    assert all(isinstance(r.amount, Decimal) for records in got.values() for r in records)
    # The trade list once for every pair (no pair asked), page after page; each asset's wallet lists to their end.
    assert first[TRADES] == requests_for(len(account.trades), PAGES[Endpoint.SPOT_TRADES]), first
    per_asset_in = [sum(1 for d in account.deposits if d.asset == a) for a in account.assets]
    per_asset_out = [sum(1 for w in account.withdrawals if w.asset == a) for a in account.assets]
    assert first[DEPOSITS] == sum(requests_for(n, PAGES[Endpoint.DEPOSITS]) for n in per_asset_in), first
    assert first[WITHDRAWALS] == sum(requests_for(n, PAGES[Endpoint.WITHDRAWALS]) for n in per_asset_out), first
    # The re-sync: the trade list once, each asset's wallet lists once; nothing new is stored.
    assert second == {
        TRADES: 1,
        ASSETS: 2,
        DEPOSITS: len(account.assets),
        WITHDRAWALS: len(account.assets),
    }, second
    assert again[Endpoint.SPOT_TRADES] == []


async def test_a_stopped_walk_finishes_without_asking_a_page_twice_and_a_pending_deposit_is_stored_once_done() -> None:
    async with BitbankEmulator(seed=8, years=1.0, trades=60) as emulator, fetcher(emulator) as bitbank:
        account = emulator.account
        cursors: dict[str, Cursor] = {}
        part = await walk(bitbank, Endpoint.SPOT_TRADES, cursors, pages=1)
        rest = await walk(bitbank, Endpoint.SPOT_TRADES, cursors)
        asked = emulator.requests.count(TRADES)
        deposits: dict[str, Cursor] = {}
        await walk(bitbank, Endpoint.DEPOSITS, deposits)
        pending = next(d for d in account.deposits if d.status == "FOUND")
        confirmed = replace(pending, status="DONE", confirmed_ms=pending.ms + 60_000)
        emulator.book.account = replace(
            account, deposits=tuple(confirmed if d is pending else d for d in account.deposits)
        )
        settled = await walk(bitbank, Endpoint.DEPOSITS, deposits)

    assert len(part) == PAGES[Endpoint.SPOT_TRADES]
    ids = [r.exchange_tx_id for r in part + rest]
    assert len(ids) == len(set(ids)) == len(account.trades)
    # The resumed walk finishes the first walk's range with that range's own end, then asks once for the moments
    # since (the range after it, up to the second walk's end).
    assert asked == requests_for(len(account.trades), PAGES[Endpoint.SPOT_TRADES]) + 1
    # Once confirmed it is stored, at its confirmation time; the trailing day re-read finds nothing else new.
    assert [(r.asset, r.amount, ms(r)) for r in settled] == [("BTC", pending.amount, pending.ms + 60_000)]
