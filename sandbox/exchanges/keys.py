"""API keys as an exchange emulator stores them: permissions, the key store, signature checks, the demo keys.

Exchange-neutral: each emulator renders permissions and refusals in its own vocabulary (`sandbox.exchanges.base`
re-exports these names, so `from sandbox.exchanges.base import ApiKey` keeps working).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa


@dataclass(frozen=True)
class Permissions:
    """What a key may do, in exchange-neutral terms; each emulator renders them in its own vocabulary."""

    read: bool = True
    trade: bool = False
    withdraw: bool = False
    transfer: bool = False
    # Earn reads, a section of its own on exchanges that let a read-only key pick sections (Bybit's "Earn").
    earn: bool = True


READ_ONLY = Permissions()
READ_ONLY_WITHOUT_EARN = Permissions(earn=False)  # a read-only key made without ticking Earn
TRADING = Permissions(trade=True)
WITHDRAWAL = Permissions(trade=True, withdraw=True, transfer=True)


class Credentials(NamedTuple):
    """An API key, its secret and, where the exchange has one (OKX, Bitget), the passphrase chosen with it.

    Never shows the secret or the passphrase in its repr. ``passphrase`` is empty for exchanges without one.
    """

    api_key: str
    secret: str
    passphrase: str = ""

    def __repr__(self) -> str:
        hidden = ", passphrase=<hidden>" if self.passphrase else ""
        return f"Credentials(api_key={self.api_key[:6]}…, secret=<hidden>{hidden})"

    def ccxt_config(self) -> dict[str, str]:
        """The credential part of a ccxt constructor config: ``apiKey``, ``secret`` and ``password`` if any."""
        config = {"apiKey": self.api_key, "secret": self.secret}
        if self.passphrase:
            config["password"] = self.passphrase
        return config


@dataclass
class ApiKey:
    """One key as the exchange stores it."""

    api_key: str
    secret: str
    permissions: Permissions
    created_at: int
    expires_at: int | None = None
    ip_whitelist: tuple[str, ...] = ()
    revoked: bool = False
    label: str = ""
    passphrase: str | None = None  # chosen by the user with the key, where the exchange asks for one
    key_type: str = "normal"  # exchanges with several kinds of key (Bitget's "tax") name them here
    # A self-generated key (Binance Ed25519 or RSA): the exchange holds only the public key the user registered,
    # and `secret` is empty. Such a key never verifies an HMAC: an empty HMAC key is one anybody can sign with.
    public_key: str | None = None

    @property
    def ip_restricted(self) -> bool:
        return bool(self.ip_whitelist)

    def sign(self, payload: str) -> str:
        return hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()

    def signature_matches(self, payload: str, signature: str) -> bool:
        if self.public_key is not None:
            return False
        return hmac.compare_digest(self.sign(payload), signature.lower())

    def public_key_signature_matches(self, payload: str, signature: str) -> bool:
        """An Ed25519 or RSA (PKCS#1 v1.5, SHA-256) signature of ``payload``, base64 as Binance documents, checked
        with the registered public key; case-sensitive, unlike a hex HMAC."""
        if self.public_key is None:
            return False
        try:
            raw = base64.b64decode(signature, validate=True)
        except binascii.Error:
            return False
        key = serialization.load_pem_public_key(self.public_key.encode())
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(raw, payload.encode())
            elif isinstance(key, rsa.RSAPublicKey):
                key.verify(raw, payload.encode(), padding.PKCS1v15(), hashes.SHA256())
            else:
                return False
        except InvalidSignature:
            return False
        return True

    def sign_base64(self, payload: str) -> str:
        """Base64 of the HMAC-SHA256 digest, as OKX, Bitget and KuCoin sign."""
        digest = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def base64_signature_matches(self, payload: str, signature: str) -> bool:
        if self.public_key is not None:
            return False
        return hmac.compare_digest(self.sign_base64(payload).encode(), signature.encode())

    def passphrase_matches(self, passphrase: str) -> bool:
        return self.passphrase is not None and hmac.compare_digest(self.passphrase.encode(), passphrase.encode())

    def __repr__(self) -> str:
        return f"ApiKey({self.api_key[:6]}…, label={self.label!r}, permissions={self.permissions})"


class KeyAccess(Enum):
    """Why a correctly signed request with a known key may still be refused."""

    OK = "ok"
    EXPIRED = "expired"
    IP_NOT_ALLOWED = "ip_not_allowed"


class KeyRegistry:
    """The exchange's key store; revoked keys are gone from the exchange's point of view."""

    _ALPHABET = string.ascii_letters + string.digits

    def __init__(self, key_length: int, secret_length: int) -> None:
        self._key_length = key_length
        self._secret_length = secret_length
        self._keys: dict[str, ApiKey] = {}

    def _random(self, length: int) -> str:
        return "".join(secrets.choice(self._ALPHABET) for _ in range(length))

    def new_key_string(self) -> str:
        """A well-formed key string the registry does not know (for "unknown key" tests)."""
        return self._random(self._key_length)

    def new_secret_string(self) -> str:
        return self._random(self._secret_length)

    def new_passphrase(self) -> str:
        """What a user might choose: letters, digits and a symbol (which must survive the HTTP header)."""
        return f"{self._random(11)}#{self._random(4)}"

    def add(
        self,
        *,
        permissions: Permissions,
        created_at: int,
        expires_at: int | None,
        ip_whitelist: Iterable[str],
        label: str,
        passphrase: str | None = None,
        key_type: str = "normal",
    ) -> ApiKey:
        key = ApiKey(
            api_key=self.new_key_string(),
            secret=self.new_secret_string(),
            permissions=permissions,
            created_at=created_at,
            expires_at=expires_at,
            ip_whitelist=tuple(ip_whitelist),
            label=label,
            passphrase=passphrase,
            key_type=key_type,
        )
        self._keys[key.api_key] = key
        return key

    def lookup(self, api_key: str, *, include_revoked: bool = False) -> ApiKey | None:
        """The key as the exchange knows it; revoked keys only with ``include_revoked`` (some exchanges answer
        a deleted key differently from one they never issued)."""
        key = self._keys.get(api_key)
        if key is None or (key.revoked and not include_revoked):
            return None
        return key

    def add_public_key(self, public_key: str, *, permissions: Permissions, created_at: int, label: str) -> ApiKey:
        """A self-generated key: the exchange stores the public key the user pasted and issues an API key for it."""
        key = ApiKey(
            api_key=self.new_key_string(),
            secret="",
            permissions=permissions,
            created_at=created_at,
            label=label,
            public_key=public_key,
        )
        self._keys[key.api_key] = key
        return key

    def revoke(self, api_key: str) -> None:
        self._keys[api_key].revoked = True

    @staticmethod
    def access(key: ApiKey, *, ip: str, now_ms: int) -> KeyAccess:
        if key.expires_at is not None and now_ms >= key.expires_at:
            return KeyAccess.EXPIRED
        if key.ip_whitelist and ip not in key.ip_whitelist:
            return KeyAccess.IP_NOT_ALLOWED
        return KeyAccess.OK


@dataclass(frozen=True)
class DemoKeys:
    """The keys a test or a sandbox user needs to see every key-check outcome."""

    read_only: Credentials
    trading: Credentials
    withdrawal: Credentials
    expired: Credentials
    ip_restricted: Credentials
    revoked: Credentials
