"""Coinbase's wire vocabulary as the emulator speaks it: CDP keys, the JWT each request carries, error answers, ids.

A CDP key is a name (``organizations/{org}/apiKeys/{id}``) and a private key: an EC P-256 key in PEM (ES256) or a
base64 Ed25519 key (EdDSA; the Coinbase App's v2 paths refuse it, sandbox/exchanges/coinbase.py). Every private
request carries ``Authorization: Bearer <JWT>`` signed with it: header
``kid`` = key name and ``nonce``; claims ``sub`` = key name, ``nbf``/``exp`` at most 2 minutes apart, and the request
as ``uri`` ("GET api.coinbase.com/api/v3/brokerage/accounts") or, for Ed25519 keys, ``uris`` (a list of it).
Sources: docs/exchange-apis/coinbase.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from sandbox.exchanges.keys import ApiKey, KeyRegistry
from sandbox.exchanges.records import IdStyle

JWT_LIFETIME_S = 120  # "Your JWT expires after 2 minutes"
CLOCK_LEEWAY_S = 5  # not documented: a few seconds of skew between the signer's clock and ours


class CoinbaseError(Exception):
    """An error answer: v2 paths answer ``{"errors": [{"id", "message"}]}``, v3 paths their own shape."""

    def __init__(self, status: int, error_id: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message


class CoinbaseKeys(KeyRegistry):
    """CDP keys: the name is ``organizations/{uuid}/apiKeys/{uuid}``, the secret an EC P-256 private key in PEM
    (SEC1, "BEGIN EC PRIVATE KEY"), as the CDP portal issues for ECDSA keys."""

    def new_key_string(self) -> str:
        return f"organizations/{uuid.uuid4()}/apiKeys/{uuid.uuid4()}"

    def new_secret_string(self) -> str:
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
        return pem.decode()


def ed25519_secret() -> str:
    """An Ed25519 CDP secret: base64 of the 32-byte seed followed by the 32-byte public key (88 characters)."""
    private = ed25519.Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(seed + public).decode()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Token:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse_token(authorization: str) -> Token:
    """The bearer JWT's parts; CoinbaseError 401 if it is not one."""
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or token.count(".") != 2:
        raise CoinbaseError(401, "authentication_error", "invalid authorization header")
    head, body, sig = token.split(".")
    try:
        header, claims = json.loads(_b64url(head)), json.loads(_b64url(body))
        signature = _b64url(sig)
    except (ValueError, binascii.Error) as error:
        raise CoinbaseError(401, "authentication_error", "malformed token") from error
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise CoinbaseError(401, "authentication_error", "malformed token")
    return Token(header, claims, f"{head}.{body}".encode(), signature)


def signature_valid(key: ApiKey, token: Token) -> bool:
    """ES256 (raw r||s over the EC key's public half) or EdDSA (over the Ed25519 seed's public key)."""
    alg = token.header.get("alg")
    try:
        if alg == "ES256" and key.secret.startswith("-----BEGIN"):
            private = serialization.load_pem_private_key(key.secret.encode(), password=None)
            if not isinstance(private, ec.EllipticCurvePrivateKey) or len(token.signature) != 64:
                return False
            r = int.from_bytes(token.signature[:32], "big")
            s = int.from_bytes(token.signature[32:], "big")
            private.public_key().verify(encode_dss_signature(r, s), token.signing_input, ec.ECDSA(hashes.SHA256()))
            return True
        if alg == "EdDSA" and not key.secret.startswith("-----BEGIN"):
            seed = base64.b64decode(key.secret)[:32]
            public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key()
            public.verify(token.signature, token.signing_input)
            return True
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return False


def request_uris(method: str, host: str, path: str) -> frozenset[str]:
    """What a JWT may name this request as: ``METHOD host/path`` without the query. ccxt strips only "https://"
    from the URL it signs, so against this plain-HTTP emulator its uri starts "GET http://127.0.0.1:…": accepted."""
    return frozenset({f"{method} {host}{path}", f"{method} http://{host}{path}"})


def claims_valid(token: Token, key_name: str, uris: frozenset[str], now_s: int) -> bool:
    claims = token.claims
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if token.header.get("kid") != key_name or claims.get("sub") != key_name:
        return False
    if not isinstance(nbf, int) or not isinstance(exp, int) or exp - nbf > JWT_LIFETIME_S:
        return False
    if nbf > now_s + CLOCK_LEEWAY_S or exp <= now_s - CLOCK_LEEWAY_S:
        return False
    named = claims.get("uris") if token.header.get("alg") == "EdDSA" else [claims.get("uri")]
    return isinstance(named, list) and any(uri in uris for uri in named)


class CoinbaseIds(IdStyle):
    """Products are ``BTC-USD``; orders, fills, accounts and transactions UUIDs."""

    def market_symbol(self, base: str, quote: str) -> str:
        return f"{base}-{quote}"

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def trade_id(self, rng: random.Random, n: int) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
