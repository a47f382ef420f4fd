"""The Coinbase emulator checks a CDP key's JWT as docs/exchange-apis/coinbase.md says Coinbase does: signed with the
key's private key, `kid`/`sub` naming it, at most 2 minutes between `nbf` and `exp` and valid now, and `uri` naming
this request. Tokens are made here by hand, not by ccxt, so each rule is tested on its own."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from sandbox.exchanges import AccountProfile, CoinbaseEmulator, Credentials
from sandbox.exchanges.coinbase import ACCOUNTS, FILLS, KEY_PERMISSIONS
from sandbox.exchanges.coinbase_protocol import ed25519_secret

SMALL = AccountProfile(years=0.3, traded_markets=2, trades=5, deposits=1, withdrawals=1, converts=0, rewards=0)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(key: Credentials, claims: dict[str, Any], *, kid: str | None = None, alg: str = "ES256") -> str:
    """A JWT signed with the key's EC private key (raw r||s, as JWS ES256 prescribes)."""
    header = {"alg": alg, "kid": kid or key.api_key, "nonce": "0123456789abcdef", "typ": "JWT"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    private = serialization.load_pem_private_key(key.secret.encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    r, s = decode_dss_signature(private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def claims(key: Credentials, host: str, *, path: str = KEY_PERMISSIONS, nbf: int | None = None, life: int = 120) -> Any:
    start = int(time.time()) if nbf is None else nbf
    uri = f"GET {host}{path}"
    return {"sub": key.api_key, "iss": "cdp", "nbf": start, "exp": start + life, "uri": uri}


@pytest.fixture
async def coinbase() -> AsyncIterator[CoinbaseEmulator]:
    async with CoinbaseEmulator(seed=3, profile=SMALL, listed_symbols=10) as emulator:
        yield emulator


async def status_of(emulator: CoinbaseEmulator, jwt: str, path: str = KEY_PERMISSIONS) -> int:
    async with aiohttp.ClientSession() as session:
        response = await session.get(emulator.base_url + path, headers={"Authorization": f"Bearer {jwt}"})
        return response.status


async def test_each_rule_of_the_jwt_is_checked_on_its_own(coinbase: CoinbaseEmulator) -> None:
    keys = coinbase.create_demo_keys()
    key, other = keys.read_only, keys.trading
    host = coinbase.base_url.removeprefix("http://")
    assert await status_of(coinbase, token(key, claims(key, host))) == 200
    # Another request's uri, a path of the same host.
    assert await status_of(coinbase, token(key, claims(key, host, path="/v2/accounts"))) == 401
    # A token meant to live 5 minutes, not 2.
    assert await status_of(coinbase, token(key, claims(key, host, life=300))) == 401
    # Lapsed: issued 10 minutes ago.
    assert await status_of(coinbase, token(key, claims(key, host, nbf=int(time.time()) - 600))) == 401
    # Names another key than the one that signed it.
    assert await status_of(coinbase, token(key, claims(key, host), kid=other.api_key)) == 401
    # Signed with another key's private key.
    forged = Credentials(key.api_key, other.secret)
    assert await status_of(coinbase, token(forged, claims(key, host))) == 401
    # An algorithm the key is not.
    assert await status_of(coinbase, token(key, claims(key, host), alg="EdDSA")) == 401


def eddsa_token(key_name: str, secret: str, host: str, path: str) -> str:
    """A JWT signed EdDSA with an Ed25519 CDP secret (its first 32 bytes are the seed), naming the request in `uris`
    as ccxt does for such keys."""
    now = int(time.time())
    header = {"alg": "EdDSA", "kid": key_name, "nonce": "0123456789abcdef", "typ": "JWT"}
    body = {"sub": key_name, "iss": "cdp", "aud": ["cdp_service"], "nbf": now, "exp": now + 120}
    body["uris"] = [f"GET {host}{path}"]
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(body).encode())}"
    private = ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(secret)[:32])
    return f"{signing_input}.{b64url(private.sign(signing_input.encode()))}"


async def answer(emulator: CoinbaseEmulator, jwt: str, path: str, query: dict[str, str] | None = None) -> Any:
    """The status and the JSON body (None if the body is not JSON, as v3's 401 text is)."""
    url = emulator.base_url + path + ("?" + urlencode(query) if query else "")
    async with aiohttp.ClientSession() as session:
        response = await session.get(url, headers={"Authorization": f"Bearer {jwt}"})
        text = await response.text()
        return response.status, json.loads(text) if text.startswith("{") else None


async def test_an_ed25519_key_reads_advanced_trade_but_the_coinbase_app_refuses_it(coinbase: CoinbaseEmulator) -> None:
    """Advanced Trade takes Ed25519 or ECDSA keys; the Coinbase App's key page: "Ed25519 (EdDSA) keys are NOT
    supported. You must use ES256" (docs/exchange-apis/coinbase.md), answered with v2's generic 401."""
    made = coinbase.add_key(label="ed25519")
    stored = coinbase.keys.lookup(made.api_key)
    assert stored is not None
    stored.secret = ed25519_secret()
    host = coinbase.base_url.removeprefix("http://")
    status, body = await answer(
        coinbase, eddsa_token(made.api_key, stored.secret, host, KEY_PERMISSIONS), KEY_PERMISSIONS
    )
    assert (status, body["can_view"]) == (200, True)
    status, body = await answer(coinbase, eddsa_token(made.api_key, stored.secret, host, ACCOUNTS), ACCOUNTS)
    assert (status, body) == (401, {"errors": [{"id": "authentication_error", "message": "invalid api key"}]})
    ecdsa = coinbase.create_demo_keys().read_only  # an ECDSA key is read on the Coinbase App
    assert await status_of(coinbase, token(ecdsa, claims(ecdsa, host, path=ACCOUNTS)), ACCOUNTS) == 200


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_each_fill_is_posted_60_seconds_before_its_trade_time_and_listed_by_when_it_was_posted(
    coinbase: CoinbaseEmulator,
) -> None:
    """historical_fills.docs.json: trade_time 2021-05-31T09:59:59Z, sequence_timestamp 2021-05-31T09:58:59Z; the
    list's start and end bound the posting time (`sequence_timestamp`), not the trade time."""
    key = coinbase.create_demo_keys().read_only
    host = coinbase.base_url.removeprefix("http://")
    status, body = await answer(coinbase, token(key, claims(key, host, path=FILLS)), FILLS)
    assert status == 200 and body["fills"]
    for fill in body["fills"]:
        assert moment(fill["trade_time"]) - moment(fill["sequence_timestamp"]) == timedelta(seconds=60)
    oldest = body["fills"][-1]
    traded = moment(oldest["trade_time"])

    async def listed(start: timedelta, end: timedelta) -> list[str]:
        window = {
            "start_sequence_timestamp": (traded + start).isoformat(),
            "end_sequence_timestamp": (traded + end).isoformat(),
        }
        status, page = await answer(coinbase, token(key, claims(key, host, path=FILLS)), FILLS, window)
        assert status == 200
        return [f["entry_id"] for f in page["fills"]]

    assert oldest["entry_id"] in await listed(timedelta(seconds=-61), timedelta(seconds=-59))  # around its posting
    assert oldest["entry_id"] not in await listed(timedelta(seconds=-1), timedelta(seconds=1))  # around its trade
