"""An HTTP 429 or 418 is a rate limit from every exchange, whatever its body and however ccxt classes it.

ccxt maps statuses per exchange: OKX's 429 without OKX's own JSON body (a gateway's or CDN's answer) is
ExchangeNotAvailable, and Bybit's and OKX's handlers turn any JSON body without their success code into a plain
ExchangeError. The fetchers' one translation of ccxt errors (`connectors.fetchers.windows.call`) must still stop
with RateLimited, honouring Retry-After and keeping none of ccxt's text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import ccxt
import ccxt.async_support
import pytest

from connectors.clients import ClientPool, keep_rate_limit_status
from connectors.diagnosis import DiagnosisCode, diagnose, error_facts
from connectors.fetchers.base import FetchReport, RateLimited
from connectors.fetchers.windows import call, call_unified, is_rate_limit
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import AccountProfile, BybitEmulator, BybitLimits, ExchangeEmulator, OkxEmulator, OkxLimits
from sandbox.exchanges.base import respond

URL = "https://www.okx.com/api/v5/asset/deposit-history?signature=deadbeef"
SMALL = AccountProfile(
    years=0.1, traded_markets=1, trades=2, deposits=2, withdrawals=1, converts=0, transfers=0, rewards=0
)


class Client:
    """A ccxt client whose call fails as ccxt would, with the failed answer's headers kept."""

    def __init__(self, error: Exception, headers: dict[str, str] | None = None) -> None:
        self.error = error
        self.last_response_headers = headers

    async def privateGetAssetDepositHistory(self, params: dict[str, Any]) -> Any:  # ccxt's name
        raise self.error

    async def fetch_balance(self) -> Any:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        # ccxt's generic HTTP handler: "<id> <method> <url> <status> <reason> <body>".
        ccxt.ExchangeNotAvailable(f"okx GET {URL} 429 Too Many Requests Too Many Requests"),
        ccxt.ExchangeError(f"bitget GET {URL} 418 I'm a teapot <html>slow down</html>"),
        ccxt.DDoSProtection("okx GET https://www.okx.com/x 403 Forbidden"),  # rate-limit types as before
        ccxt.RateLimitExceeded('okx {"code":"50011","msg":"Too Many Requests"}'),
    ],
    ids=["okx-429-ExchangeNotAvailable", "bitget-418-ExchangeError", "DDoSProtection", "RateLimitExceeded"],
)
async def test_a_rate_limit_answer_stops_with_the_wait_it_asked_for_and_no_ccxt_text(error: Exception) -> None:
    client = Client(error, {"Content-Type": "text/plain", "Retry-After": "3"})

    with pytest.raises(RateLimited) as raised:
        await call(client, "privateGetAssetDepositHistory", {}, endpoint=Endpoint.DEPOSITS, report=FetchReport())

    stop = raised.value
    assert (stop.endpoint, stop.retry_after, stop.market) == (Endpoint.DEPOSITS, 3.0, "")
    assert stop.__cause__ is None and stop.__suppress_context__
    assert stop.__context__ is error  # the engine still diagnoses what it replaced (a refused key, say)
    assert "http" not in str(stop).lower() and "deadbeef" not in str(stop)


async def test_the_unified_calls_translate_the_same_way() -> None:
    error = ccxt.ExchangeNotAvailable(f"okx GET {URL} 429 Too Many Requests Too Many Requests")

    with pytest.raises(RateLimited) as raised:
        await call_unified(Client(error), "fetch_balance", endpoint=Endpoint.DEPOSITS, report=FetchReport(), market="m")

    assert (raised.value.retry_after, raised.value.market) == (None, "m")  # no Retry-After: none made up


@pytest.mark.parametrize(
    "error",
    [
        ccxt.ExchangeNotAvailable(f"okx GET {URL} 503 Service Unavailable Service Unavailable"),
        ccxt.ExchangeNotAvailable(f"okx GET {URL}"),  # no answer at all
        ccxt.AuthenticationError('okx {"code":"50113","msg":"Invalid Sign"}'),
        ccxt.ExchangeError('okx {"code":"429","msg":"an exchange code that is not an HTTP status"}'),
        ValueError("GET x 429 not from ccxt"),
    ],
    ids=["503", "no-answer", "auth", "code-429-in-body", "not-ccxt"],
)
async def test_other_errors_propagate_unchanged(error: Exception) -> None:
    client = Client(error, {"Retry-After": "3"})

    with pytest.raises(type(error)) as raised:
        await call(client, "privateGetAssetDepositHistory", {}, endpoint=Endpoint.DEPOSITS, report=FetchReport())

    assert raised.value is error


@pytest.mark.parametrize("exchange_id", ["okx", "bybit"])
async def test_a_rate_limit_status_is_noted_on_an_error_the_exchange_handler_raised_on_the_body(
    exchange_id: str,
) -> None:
    client = getattr(ccxt.async_support, exchange_id)()
    keep_rate_limit_status(client)  # as the ClientPool does for every client it makes
    try:
        body = '{"message": "API rate limit exceeded"}'  # a gateway's JSON, not the exchange's
        args = ("Too Many Requests", URL, "GET", {}, body, {"message": "API rate limit exceeded"}, {}, None)
        with pytest.raises(ccxt.ExchangeError) as limited:
            client.handle_errors(429, *args)
        with pytest.raises(ccxt.ExchangeError) as refused:
            client.handle_errors(200, *args)  # an error in a 200 body: diagnosed by its code and type as before
    finally:
        await client.close()

    assert error_facts(limited.value).status == 429 and is_rate_limit(limited.value)
    assert error_facts(refused.value).status is None and not is_rate_limit(refused.value)
    diagnosis = diagnose(limited.value, get_profile(exchange_id))
    assert diagnosis.code is DiagnosisCode.RATE_LIMITED
    assert "rate limit exceeded" not in diagnosis.explanation.lower()


@asynccontextmanager
async def keyed_client(emulator: ExchangeEmulator, exchange_id: str) -> AsyncIterator[Any]:
    keys = emulator.add_key(label="limits")
    credentials = {"apiKey": keys.api_key, "secret": keys.secret}
    if keys.passphrase:
        credentials["password"] = keys.passphrase
    pool = ClientPool({exchange_id: emulator.base_url})
    try:
        async with pool.client(exchange_id, "credential", credentials) as client:
            yield client
    finally:
        await pool.close()


@pytest.mark.parametrize("content_type", ["text/plain", "application/json"])
@pytest.mark.parametrize("exchange_id", ["okx", "bybit"])
async def test_a_gateway_429_from_the_wire_is_a_rate_limit(exchange_id: str, content_type: str) -> None:
    """Through real ccxt clients: a plain-text 429 (OKX: ExchangeNotAvailable) and a JSON one the exchange's own
    handler reads as an unknown error (OKX and Bybit: ExchangeError) both stop with RateLimited."""
    body = "Too Many Requests" if content_type == "text/plain" else '{"message": "Too Many Requests"}'
    fault = respond(429, body, headers={"Retry-After": "7"}, content_type=content_type)
    emulator: ExchangeEmulator
    if exchange_id == "okx":
        emulator = OkxEmulator(
            seed=5, profile=SMALL, listed_symbols=5, limits=OkxLimits(rules={}, default_rule=(100_000, 1_000))
        )
        path, method = "/api/v5/asset/deposit-history", "privateGetAssetDepositHistory"
    else:
        limits = BybitLimits(per_second={}, default_per_second=10_000, ip_requests_per_5s=100_000)
        emulator = BybitEmulator(seed=5, profile=SMALL, listed_symbols=5, limits=limits)
        path, method = "/v5/asset/deposit/query-record", "privateGetV5AssetDepositQueryRecord"
    async with emulator, keyed_client(emulator, exchange_id) as client:
        emulator.faults.inject(fault, path=path, times=None)
        with pytest.raises(RateLimited) as raised:
            await call(client, method, {}, endpoint=Endpoint.DEPOSITS, report=FetchReport())

    assert raised.value.retry_after == 7.0
