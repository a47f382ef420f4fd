"""A small client of GMO Coin's REST API (ccxt has no GMO Coin), shaped like the ccxt clients the rest of Tallybot
uses: implicit-style methods (`privateGetLatestExecutions(params)`), `fetch_balance()` for the key check, ccxt's
error types, and every answer recorded for the diagnosis (connectors/diagnosis/facts.record_answer).

Signing (docs/exchange-apis/gmocoin.md): headers ``API-KEY``, ``API-TIMESTAMP`` (Unix ms) and ``API-SIGN``, the hex
HMAC-SHA256 keyed with the secret of timestamp + method + path (``/v1/…``: no ``/private``, no query string) + body.
Pacing: Tier 1's 20 private GETs a second per account, kept by the client itself (ccxt's throttler is not here).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import deque
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp
from ccxt.base import errors

from connectors.diagnosis.facts import ANSWERS_PER_TASK_ATTRIBUTE, record_answer
from connectors.profiles.catalog.gmocoin import PROFILE

BASE_URL = "https://api.coin.z.com"
EXCHANGE = PROFILE.ccxt_id  # first in every error message, where ccxt puts an exchange's id
REQUESTS_PER_SECOND = 20  # Tier 1 (the lowest): "1秒間に20回が上限"
_AUTHENTICATION = frozenset({"ERR-5010", "ERR-5011", "ERR-5012"})
_CLOCK = frozenset({"ERR-5007", "ERR-5008", "ERR-5009"})
_MAINTENANCE = frozenset({"ERR-5201", "ERR-5202"})
_BUSY = frozenset({"ERR-554", "ERR-626"})
_BAD_REQUEST = frozenset({"ERR-5106", "ERR-846", "ERR-5204", "ERR-5207", "ERR-5208"})


class GmoCoinClient:
    """One credential's client. `per_second` paces private requests (None: the module's REQUESTS_PER_SECOND)."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        session: aiohttp.ClientSession,
        *,
        base_url: str | None = None,
        per_second: int | None = None,
    ) -> None:
        self.apiKey = credentials.get("apiKey", "")
        self.secret = credentials.get("secret", "")
        self.requiredCredentials = {"apiKey": True, "secret": True}
        self.session = session
        self.markets: dict[str, Any] = {}  # no ccxt markets: the fetcher reads GMO Coin's own trade rules
        self.base_url = (base_url or BASE_URL).rstrip("/")
        self.per_second = per_second if per_second is not None else REQUESTS_PER_SECOND
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()
        setattr(self, ANSWERS_PER_TASK_ATTRIBUTE, True)

    # -- the calls the fetcher and the key check make ----------------------------------------------------------

    async def publicGetSymbols(self, params: Mapping[str, Any] | None = None) -> Any:
        return await self._get("/v1/symbols", params or {}, signed=False)

    async def privateGetAccountAssets(self, params: Mapping[str, Any] | None = None) -> Any:
        return await self._get("/v1/account/assets", params or {}, signed=True)

    async def privateGetLatestExecutions(self, params: Mapping[str, Any]) -> Any:
        return await self._get("/v1/latestExecutions", params, signed=True)

    async def privateGetAccountDepositHistory(self, params: Mapping[str, Any]) -> Any:
        return await self._get("/v1/account/deposit/history", params, signed=True)

    async def privateGetAccountWithdrawalHistory(self, params: Mapping[str, Any]) -> Any:
        return await self._get("/v1/account/withdrawal/history", params, signed=True)

    async def privateGetAccountFiatDepositHistory(self, params: Mapping[str, Any]) -> Any:
        return await self._get("/v1/account/fiatDeposit/history", params, signed=True)

    async def privateGetAccountFiatWithdrawalHistory(self, params: Mapping[str, Any]) -> Any:
        return await self._get("/v1/account/fiatWithdrawal/history", params, signed=True)

    async def fetch_balance(self) -> dict[str, Any]:
        """The asset list (the cheapest private read): proves the key signs and may read."""
        return {"info": await self.privateGetAccountAssets()}

    async def close(self) -> None:
        """The HTTP session belongs to the client pool: nothing of this client's own to close."""

    # -- the wire ----------------------------------------------------------------------------------------------

    def sign(self, timestamp: str, method: str, path: str, body: str = "") -> str:
        text = timestamp + method + path + body
        return hmac.new(self.secret.encode(), text.encode(), hashlib.sha256).hexdigest()

    async def _pace(self) -> None:
        """At most `per_second` private requests in any second, this client's own (the limit is per account)."""
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= 1.0:
                    self._sent.popleft()
                if len(self._sent) < self.per_second:
                    self._sent.append(now)
                    return
                await asyncio.sleep(1.0 - (now - self._sent[0]))

    async def fetch(
        self, url: str, method: str = "GET", headers: Mapping[str, str] | None = None, body: str | None = None
    ) -> tuple[int, str, dict[str, str]]:
        """One HTTP exchange (named as ccxt's, through which every REST call goes: the key check counts them)."""
        async with self.session.request(method, url, headers=dict(headers or {}), data=body) as response:
            return response.status, await response.text(), dict(response.headers)

    async def _get(self, path: str, params: Mapping[str, Any], *, signed: bool) -> Any:
        headers: dict[str, str] = {}
        if signed:
            await self._pace()
            timestamp = str(time.time_ns() // 1_000_000)
            headers = {
                "API-KEY": self.apiKey,
                "API-TIMESTAMP": timestamp,
                "API-SIGN": self.sign(timestamp, "GET", path),
            }
        url = f"{self.base_url}{'/private' if signed else '/public'}{path}"
        if params:
            url += "?" + urlencode({name: str(value) for name, value in params.items()})
        try:
            status, body, answer_headers = await self.fetch(url, "GET", headers)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise errors.NetworkError(_described(path, None, "")) from error
        record_answer(status, body, answer_headers)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if status == 200 and isinstance(parsed, dict) and parsed.get("status") == 0:
            return parsed.get("data")
        raise _error(path, status, body, parsed)


def _error(path: str, status: int, body: str, parsed: Any) -> errors.BaseError:
    """ccxt's error type for an answer, with ccxt's message shape ("<id> GET <path> <status> <body>"): the path
    holds no credential (they travel in headers) and the body is GMO Coin's envelope."""
    codes = set()
    if isinstance(parsed, dict):
        codes = {str(m.get("message_code")) for m in parsed.get("messages") or [] if isinstance(m, dict)}
    message = _described(path, status, body[:500])
    kind: type[errors.BaseError] = errors.ExchangeError
    if status == 429 or "ERR-5003" in codes:
        kind = errors.RateLimitExceeded
    elif codes & _AUTHENTICATION:
        kind = errors.AuthenticationError
    elif codes & _CLOCK:
        kind = errors.InvalidNonce
    elif codes & _MAINTENANCE:
        kind = errors.OnMaintenance
    elif codes & _BUSY or status >= 500:
        kind = errors.ExchangeNotAvailable
    elif codes & _BAD_REQUEST:
        kind = errors.BadRequest
    elif status == 401:
        kind = errors.AuthenticationError
    return kind(message)


def _described(path: str, status: int | None, body: str) -> str:
    """ccxt's message shape, which the diagnosis reads for the status and the code (never shown to a user)."""
    return " ".join(part for part in (EXCHANGE, "GET", path, str(status or ""), body) if part)
