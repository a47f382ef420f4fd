"""Private keys pasted as an API secret: which kind they are, whether the exchange takes them, and one canonical form.

Binance issues HMAC secrets (64 letters and digits) and also accepts self-generated Ed25519 and RSA (2048 or 4096
bit) keys: the user registers the public key and signs with the private key, in PEM form (Binance's "API Key Types"
FAQ). ccxt signs with such a PEM secret, and tells the two apart by length (`len(secret) > 120` is RSA), so the PEM
Tallybot stores must be the canonical PKCS#8 text: a pasted Ed25519 key with Windows line breaks is longer than
120 characters and would be signed as RSA. Pasting may also turn the line breaks into spaces (one line in the chat);
the body is base64, so it is read back whatever whitespace separates its lines.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from i18n import Text, msgid

PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_PEM_START = "-----BEGIN "
# What Binance takes for RSA keys ("We support 2048 and 4096 bit RSA keys", API Key Types FAQ).
RSA_KEY_SIZES = (2048, 4096)


class PrivateKeyKind(StrEnum):
    ED25519 = "ed25519"
    RSA = "rsa"
    EC_P256 = "ec-p256"  # Coinbase CDP keys (ECDSA, ES256)


# Each kind of key, named in the plural inside a sentence ("The exchange does not take {kind} here.").
KIND_PHRASES = {
    PrivateKeyKind.ED25519: msgid("profile.private_key.kind.ed25519"),
    PrivateKeyKind.RSA: msgid("profile.private_key.kind.rsa"),
    PrivateKeyKind.EC_P256: msgid("profile.private_key.kind.ec_p256"),
}


class PrivateKeyProblem(ValueError):
    """A pasted private key Tallybot cannot use: `text` says why, for the user (a catalogue text that never quotes
    the key); the exception's own message is the text's id, for logs."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.id)
        self.text = text


@dataclass(frozen=True, slots=True)
class PrivateKey:
    kind: PrivateKeyKind
    pem: str  # canonical PKCS#8 PEM, "\n" line breaks, no trailing newline

    def __repr__(self) -> str:
        return f"PrivateKey({self.kind}, <hidden>)"


def looks_like_pem(text: str) -> bool:
    return _PEM_START in text


def read_private_key(text: str, accepted: tuple[PrivateKeyKind, ...] = tuple(PrivateKeyKind)) -> PrivateKey:
    """The key in a pasted PEM block, in canonical form; raises PrivateKeyProblem saying what is wrong."""
    block = PEM_BLOCK.search(text.replace("\r\n", "\n").replace("\r", "\n"))
    if block is None:
        raise PrivateKeyProblem(Text.of("profile.private_key.cut_off"))
    label, body = block.group(1), block.group(2)
    if "PUBLIC KEY" in label:
        raise PrivateKeyProblem(Text.of("profile.private_key.public_key"))
    if label == "ENCRYPTED PRIVATE KEY":
        raise PrivateKeyProblem(Text.of("profile.private_key.encrypted"))
    if label == "OPENSSH PRIVATE KEY":
        raise PrivateKeyProblem(Text.of("profile.private_key.openssh"))
    if not label.endswith("PRIVATE KEY"):
        raise PrivateKeyProblem(Text.of("profile.private_key.not_private"))
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
        key = serialization.load_der_private_key(der, password=None)
    except (binascii.Error, ValueError, TypeError, UnsupportedAlgorithm):
        raise PrivateKeyProblem(Text.of("profile.private_key.damaged")) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        kind = PrivateKeyKind.ED25519
    elif isinstance(key, rsa.RSAPrivateKey):
        if key.key_size not in RSA_KEY_SIZES:
            raise PrivateKeyProblem(Text.of("profile.private_key.rsa_size", bits=key.key_size))
        kind = PrivateKeyKind.RSA
    elif (
        isinstance(key, ec.EllipticCurvePrivateKey)
        and isinstance(key.curve, ec.SECP256R1)
        and (PrivateKeyKind.EC_P256 in accepted)
    ):
        # Only where a field takes EC keys (Coinbase); elsewhere it is "another kind of key", as before.
        kind = PrivateKeyKind.EC_P256
    else:
        raise PrivateKeyProblem(Text.of("profile.private_key.other_kind"))
    if kind not in accepted:
        raise PrivateKeyProblem(Text.of("profile.private_key.kind_refused", kind=Text.of(KIND_PHRASES[kind])))
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return PrivateKey(kind, pem.strip())


def public_key_pem(private_pem: str) -> str:
    """The public key of a private key in PEM form (SubjectPublicKeyInfo, as exchanges ask to have it pasted)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
        .strip()
    )


def new_ed25519_private_key() -> str:
    """A fresh Ed25519 private key, canonical PKCS#8 PEM."""
    key = ed25519.Ed25519PrivateKey.generate()
    return (
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
        .strip()
    )
