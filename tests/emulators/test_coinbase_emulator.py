"""The Coinbase emulator checks a CDP key's JWT as docs/exchange-apis/coinbase.md says Coinbase does: signed with the
key's private key, `kid`/`sub` naming it, at most 2 minutes between `nbf` and `exp` and valid now, and `uri` naming
this request. Tokens are made here by hand, not by ccxt, so each rule is tested on its own."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from sandbox.exchanges import AccountProfile, CoinbaseEmulator, Credentials
from sandbox.exchanges.coinbase import KEY_PERMISSIONS

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
