"""The ClientPool loads an exchange's markets once, off the bot's event loop, and shares them by reference.

ccxt parses a whole market list inside one callback of the loop that loads it (Binance's 2,000 markets stalled the
bot for 180 ms): the pool loads them in a worker thread on a loop of its own. These tests run real ccxt clients
against the Binance emulator.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import ccxt.async_support as ccxt_async
import pytest

from connectors.clients import ClientPool
from connectors.diagnosis import diagnose, error_facts, safe_summary
from connectors.profiles import get_profile
from sandbox.exchanges import AccountProfile, BinanceEmulator
from sandbox.exchanges.base import FaultAction, delay, respond

SMALL = AccountProfile(
    years=1.0, traded_markets=6, trades=30, deposits=3, withdrawals=2, converts=2, transfers=2, rewards=2
)
MARKETS_PATH = "/api/v3/exchangeInfo"


class Recorder:
    """Wraps ccxt's Binance `load_markets` and `set_markets` (the parsing) to see where and how often they run.

    `gate`, when set, makes `load_markets` wait (blocking its thread) until `gate` is set, up to 10 s."""

    def __init__(self) -> None:
        self.load_threads: list[int] = []
        self.parse_threads: list[int] = []
        self.started = threading.Event()
        self.finished = threading.Event()
        self.gate: threading.Event | None = None
        self.gate_opened: bool | None = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        exchange_class = ccxt_async.binance
        load_markets = exchange_class.load_markets
        set_markets = exchange_class.set_markets
        recorder = self

        async def recorded_load_markets(client: Any, *args: Any, **kwargs: Any) -> Any:
            recorder.load_threads.append(threading.get_ident())
            recorder.started.set()
            try:
                if recorder.gate is not None:
                    # Blocks this thread: were it the bot's loop, the task that opens the gate could never run.
                    recorder.gate_opened = recorder.gate.wait(timeout=10)
                return await load_markets(client, *args, **kwargs)
            finally:
                recorder.finished.set()

        def recorded_set_markets(client: Any, *args: Any, **kwargs: Any) -> Any:
            recorder.parse_threads.append(threading.get_ident())
            return set_markets(client, *args, **kwargs)

        monkeypatch.setattr(exchange_class, "load_markets", recorded_load_markets)
        monkeypatch.setattr(exchange_class, "set_markets", recorded_set_markets)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    recorder.install(monkeypatch)
    return recorder


@pytest.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=11, profile=SMALL, listed_symbols=40) as running:
        yield running


@pytest.fixture
def no_leaks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails the test on any ResourceWarning or on aiohttp's/ccxt's complaints about sessions left open."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with caplog.at_level(logging.WARNING):
            yield
            gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    complaints = [
        r.getMessage() for r in caplog.records if "nclosed" in r.getMessage() or "release all" in r.getMessage()
    ]
    assert leaks == [] and complaints == []


async def open_client(pool: ClientPool, credential_id: str) -> Any:
    async with pool.client("binance", credential_id, {}) as client:
        return client


async def test_markets_load_once_off_the_loop_and_are_shared_by_reference(
    emulator: BinanceEmulator, recorder: Recorder, no_leaks: None
) -> None:
    pool = ClientPool({"binance": emulator.base_url})
    try:
        clients = await asyncio.gather(*(open_client(pool, f"credential-{n}") for n in range(5)))
        again = await open_client(pool, "credential-5")
        source = pool._market_sources["binance"]

        assert emulator.requests.count(MARKETS_PATH) == 1
        assert len(recorder.load_threads) == 1 and len(recorder.parse_threads) == 1
        assert threading.get_ident() not in recorder.load_threads + recorder.parse_threads
        markets = clients[0].markets
        assert len(markets) >= 40
        assert all(client.markets is markets for client in [*clients, again])
        assert all(client.markets_by_id is source.markets_by_id for client in [*clients, again])
        # The holder was closed on its own loop right after loading and can make no request.
        assert source.session is None and source.closed_by_user
    finally:
        await pool.close()


async def test_the_shared_throttler_belongs_to_the_bots_loop(emulator: BinanceEmulator, no_leaks: None) -> None:
    pool = ClientPool({"binance": emulator.base_url})
    try:
        first = await open_client(pool, "a")
        second = await open_client(pool, "b")
        source = pool._market_sources["binance"]

        assert pool._throttlers["binance"] is first.throttler is second.throttler
        assert source.throttler is not first.throttler
        await first.fetch_time()
        await second.fetch_time()
        assert first.throttler.loop is asyncio.get_running_loop()
    finally:
        await pool.close()


async def test_the_loop_keeps_serving_while_a_large_market_list_loads(recorder: Recorder, no_leaks: None) -> None:
    async with BinanceEmulator(seed=11, profile=SMALL, listed_symbols=2000) as emulator:
        pool = ClientPool({"binance": emulator.base_url})
        recorder.gate = threading.Event()

        async def heartbeat() -> None:
            # Runs on the bot's loop only while the load is under way, then lets it go on.
            await asyncio.to_thread(recorder.started.wait, 10)
            recorder.gate.set()  # type: ignore[union-attr]

        try:
            beat = asyncio.create_task(heartbeat())
            client = await open_client(pool, "big")
            await beat
        finally:
            await pool.close()

    assert recorder.gate_opened is True
    assert len(client.markets) >= 2000
    assert recorder.parse_threads and threading.get_ident() not in recorder.parse_threads


async def markets_error_on_the_loop(url: str) -> Exception:
    """The error the pool raised before markets moved off the loop: its client loading markets on this loop."""
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    client = ClientPool({"binance": url})._build_client("binance", {}, session)
    try:
        await client.load_markets()
    except Exception as error:
        return error
    finally:
        await client.close()
        await session.close()
    raise AssertionError("load_markets did not fail")


FAULTS: dict[str, Callable[[], FaultAction]] = {
    "500": lambda: respond(500, '{"code":-1001,"msg":"Internal error"}'),
    "429": lambda: respond(429, '{"code":-1003,"msg":"Too many requests"}', headers={"Retry-After": "7"}),
    "418": lambda: respond(418, '{"code":-1003,"msg":"Way too many requests"}', headers={"Retry-After": "60"}),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_a_failed_load_raises_what_it_did_and_the_next_call_retries(
    emulator: BinanceEmulator, fault: str, no_leaks: None
) -> None:
    emulator.faults.inject(FAULTS[fault](), path=MARKETS_PATH, times=1)
    expected = await markets_error_on_the_loop(emulator.base_url)
    emulator.faults.inject(FAULTS[fault](), path=MARKETS_PATH, times=1)
    pool = ClientPool({"binance": emulator.base_url})
    try:
        with pytest.raises(ccxt_async.BaseError) as raised:
            await open_client(pool, "a")
        error = raised.value

        assert type(error) is type(expected)
        assert str(error) == str(expected)
        assert error_facts(error) == error_facts(expected)  # incl. the status noted for a 429/418
        assert safe_summary(error) == safe_summary(expected)
        assert diagnose(error, get_profile("binance")) == diagnose(expected, get_profile("binance"))
        assert not pool._market_locks["binance"].locked() and "binance" not in pool._market_sources
        assert "binance" not in pool._throttlers and pool.open_clients == 0

        client = await open_client(pool, "a")
        assert client.markets and emulator.requests.count(MARKETS_PATH) >= 1
    finally:
        await pool.close()


async def test_an_unreachable_exchange_raises_a_network_error_and_is_retried(no_leaks: None) -> None:
    url = "http://127.0.0.1:9"  # nothing listens on the discard port
    expected = await markets_error_on_the_loop(url)
    pool = ClientPool({"binance": url})
    try:
        for _ in range(2):  # the second call tries again rather than remembering the failure
            with pytest.raises(ccxt_async.NetworkError) as raised:
                await open_client(pool, "a")
            assert type(raised.value) is type(expected)
            assert str(raised.value) == str(expected)
            assert error_facts(raised.value) == error_facts(expected)
            assert not pool._market_locks["binance"].locked() and "binance" not in pool._market_sources
    finally:
        await pool.close()


async def test_a_cancelled_load_leaves_nothing_behind(
    emulator: BinanceEmulator, recorder: Recorder, no_leaks: None
) -> None:
    emulator.faults.inject(delay(0.3), path=MARKETS_PATH, times=1)
    pool = ClientPool({"binance": emulator.base_url})
    try:
        waiting = asyncio.create_task(open_client(pool, "a"))
        assert await asyncio.to_thread(recorder.started.wait, 10)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

        assert not pool._market_locks["binance"].locked()
        assert "binance" not in pool._market_sources and pool.open_clients == 0
        # The abandoned thread finishes on its own; its markets are not registered.
        assert await asyncio.to_thread(recorder.finished.wait, 10)
        assert "binance" not in pool._market_sources

        client = await open_client(pool, "a")
        assert client.markets is pool._market_sources["binance"].markets
        assert len(recorder.load_threads) == 2
    finally:
        await pool.close()
