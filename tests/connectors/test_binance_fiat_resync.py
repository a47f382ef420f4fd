"""A sync soon after a sync does not stall on Binance's fiat order lists (issue 15, item 4).

GET /sapi/v1/fiat/orders weighs 45,000 of its endpoint's own 180,000 UID weight a minute (fiat/rest-api; Binance's
wallet Limits page: "Each endpoint with UID limits has an independent 180000 per minute limit"), and a sync reads
two of its lists (deposits and withdrawals): four syncs within a minute would need 360,000. Against the emulator at
Binance's published limits and with Tallybot's own pacing (no test overrides), a first sync reads both lists, three
syncs right after it skip them (read less than a minute ago; the payments lists, weight 1 IP, are read every time),
none waits, and a sync a minute later reads them again from where the first stopped, so nothing is lost.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from tests.connectors.test_fetch_binance import binance_client, run_sync

QUIET = AccountProfile(years=0.3, traded_markets=2, trades=20, deposits=2, withdrawals=1, converts=1, rewards=0)
ORDERS, PAYMENTS = "/sapi/v1/fiat/orders", "/sapi/v1/fiat/payments"


async def test_syncs_within_a_minute_skip_the_fiat_order_lists_and_do_not_wait() -> None:
    async with (
        BinanceEmulator(seed=31, profile=QUIET, listed_symbols=20, limits=BinanceLimits(), wallet_kinds=True) as bn,
        binance_client(bn) as client,
    ):
        until = datetime.now(UTC)
        first = await run_sync(fetcher_for(get_profile("binance"), client), (Endpoint.FIAT,), until=until)
        after_first = (bn.requests.count(ORDERS), bn.requests.count(PAYMENTS))
        started = time.monotonic()
        cursors = first.cursors
        for seconds in (5, 20, 40):
            again = await run_sync(
                fetcher_for(get_profile("binance"), client), (Endpoint.FIAT,), cursors,
                until=until + timedelta(seconds=seconds),
            )  # fmt: skip
            assert not again.reports[Endpoint.FIAT].gaps
            cursors = again.cursors
        waited = time.monotonic() - started
        after_soon = (bn.requests.count(ORDERS), bn.requests.count(PAYMENTS))
        later = await run_sync(
            fetcher_for(get_profile("binance"), client), (Endpoint.FIAT,), cursors,
            until=until + timedelta(seconds=61),
        )  # fmt: skip
        after_later = (bn.requests.count(ORDERS), bn.requests.count(PAYMENTS))

    # The first sync: one request per list (the scripted orders fit one page each).
    assert after_first == (2, 2)
    # Three syncs within the minute: no order list asked, each payments list asked once a sync; no pause.
    assert after_soon == (2, 2 + 3 * 2)
    assert waited < 5
    # A minute after the first: both order lists again, each from the first sync's end.
    assert after_later == (4, 2 + 4 * 2)
    lists = later.cursors[Endpoint.FIAT][""]["lists"]
    assert all(
        int(lists[name]["window_start_ms"]) > int(until.timestamp() * 1000) for name in ("deposit", "withdrawal")
    )
