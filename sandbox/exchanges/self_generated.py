"""Self-generated API keys as Binance and Bybit take them: the user makes a key pair and registers the public key.

Binance's "API Key Types" FAQ: Ed25519 (recommended) and RSA keys (2048 and 4096 bit) are the user's own key
pairs; the public key is pasted on the API Management page (Create API → Self-generated) and Binance verifies the
signatures with it. Bybit's self-generated keys work the same way, with RSA only. Kept apart from Tallybot's own
key handling on purpose: the emulator must not agree with the product by sharing its code.
"""

from __future__ import annotations

from enum import StrEnum

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

RSA_BITS = (2048, 4096)


class KeyPairKind(StrEnum):
    ED25519 = "ed25519"
    RSA = "rsa"


def new_private_key(kind: KeyPairKind, *, rsa_bits: int = 2048) -> str:
    """A fresh private key in PKCS#8 PEM, as key generators (Binance's own among them) write it."""
    key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
    if kind is KeyPairKind.ED25519:
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


def public_key_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


def check_public_key(public_pem: str, kinds: tuple[KeyPairKind, ...] = tuple(KeyPairKind)) -> KeyPairKind:
    """The kind of a public key the exchange's form would register; ValueError for anything it refuses. Binance
    takes Ed25519 and RSA; Bybit's self-generated keys are RSA only (v5 docs, "Select Your API Key Type"), made
    with its generator in 2048 or 4096 bits (help center, "How to Create an RSA Key on Bybit")."""
    key = serialization.load_pem_public_key(public_pem.encode())
    if isinstance(key, ed25519.Ed25519PublicKey) and KeyPairKind.ED25519 in kinds:
        return KeyPairKind.ED25519
    if isinstance(key, rsa.RSAPublicKey) and key.key_size in RSA_BITS and KeyPairKind.RSA in kinds:
        return KeyPairKind.RSA
    accepted = " or ".join("Ed25519" if kind is KeyPairKind.ED25519 else "RSA (2048 or 4096 bits)" for kind in kinds)
    raise ValueError(f"this exchange takes {accepted} public keys")
