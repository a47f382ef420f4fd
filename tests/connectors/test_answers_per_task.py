"""Two endpoints on one client at once (Binance's wallet endpoints run side by side): each failure is read from
its own answer, not from whatever answer the client received last."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import ccxt.async_support as ccxt
from aiohttp import web

from connectors.clients import ClientPool
from connectors.diagnosis import DiagnosisCode, attach_response_facts, diagnose, error_facts
from connectors.fetchers.windows import rate_limited
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from sandbox.exchanges.binance import INVALID_KEY

SMALL = AccountProfile(years=0.2, traded_markets=1, trades=4, deposits=4, withdrawals=2, converts=1, rewards=1)
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
FAILING_PATH = "/sapi/v1/capital/withdraw/history"
Answer = Callable[[], web.Response]


@asynccontextmanager
async def shared_client(failing_answer: Answer) -> AsyncIterator[Any]:
    """One pool client on the emulator, whose withdrawal history answers `failing_answer` (deposits answer as
    the emulator does)."""
    async with BinanceEmulator(seed=20241205, profile=SMALL, listed_symbols=10, limits=UNLIMITED) as emulator:
        original = emulator.serve

        def serve(request: web.Request, endpoint: Any) -> web.Response:
            return failing_answer() if request.path == FAILING_PATH else original(request, endpoint)

        emulator.serve = serve  # type: ignore[method-assign]
        keys = emulator.create_demo_keys()
        pool = ClientPool({"binance": emulator.base_url})
        try:
            async with pool.client(
                "binance", "credential-1", {"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret}
            ) as client:
                client.throttler.config["refillRate"] = 1e6
                yield client
        finally:
            await pool.close()


async def fail_then_read_after_the_other_succeeds(client: Any, read: Callable[[Exception], Any]) -> Any:
    """Task one's request fails; task two's request on the same client succeeds; only then does task one read
    its failure (as the sync does after its fetcher's generator gave up)."""
    other_answered = asyncio.Event()

    async def failing() -> Any:
        try:
            await client.sapiGetCapitalWithdrawHistory({})
        except ccxt.BaseError as error:
            await other_answered.wait()
            return read(error)
        raise AssertionError("the injected failure did not fail")

    async def succeeding() -> None:
        await asyncio.sleep(0)  # the failing request goes first
        await client.sapiGetCapitalDepositHisrec({})
        assert "withdraw" not in str(client.last_http_response), "the client's own copy is the other answer now"
        other_answered.set()

    read_result, _ = await asyncio.gather(failing(), succeeding())
    return read_result


async def test_a_refused_key_is_diagnosed_from_its_own_answer_after_another_endpoint_succeeded() -> None:
    # Binance answers an IP-restricted or permission-less key with HTTP 401 and code -2015; ccxt's message for it
    # carries only the text, so the code comes from the answer's body.
    def refused() -> web.Response:
        return web.json_response({"code": -2015, "msg": INVALID_KEY}, status=401)

    async with shared_client(refused) as client:

        def read(error: Exception) -> Any:
            attach_response_facts(error, client)
            return error_facts(error), diagnose(error, get_profile("binance"))

        facts, diagnosis = await fail_then_read_after_the_other_succeeds(client, read)

    assert facts.code == "-2015" and facts.status == 401
    assert diagnosis.code is DiagnosisCode.KEY_REFUSED


async def test_a_rate_limit_waits_as_its_own_answer_said_after_another_endpoint_succeeded() -> None:
    # Binance's 429: code -1003 and how long to back off in Retry-After (the emulator's limiter answers so too).
    def too_many() -> web.Response:
        message = (
            "Too much request weight used; current limit is 180000 request weight per 1 MINUTE. Please use "
            "WebSocket Streams for live updates to avoid polling the API."
        )
        return web.json_response({"code": -1003, "msg": message}, status=429, headers={"Retry-After": "42"})

    async with shared_client(too_many) as client:

        def read(error: Exception) -> Any:
            attach_response_facts(error, client)
            return rate_limited(error, client, endpoint=Endpoint.WITHDRAWALS), error_facts(error)

        stop, facts = await fail_then_read_after_the_other_succeeds(client, read)

    assert stop is not None and stop.retry_after == 42
    assert facts.retry_after == 42
