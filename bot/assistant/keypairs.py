"""Key pairs Tallybot makes for an exchange that accepts self-generated keys (Binance Ed25519).

The private key is born here as a `Secret` (so log redaction knows it at once), goes straight into the draft's
sealed secrets and, once the key is checked, into the credential: it is never shown, sent or logged. Only the
public key leaves, for the user to register on the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.secret import Secret
from connectors.profiles.private_keys import PrivateKeyKind, new_ed25519_private_key, public_key_pem

RSA_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537


@dataclass(frozen=True, slots=True)
class MadeKeyPair:
    private_key: Secret  # canonical PKCS#8 PEM
    public_key: str  # SubjectPublicKeyInfo PEM, to be pasted on the exchange

    def __repr__(self) -> str:
        return "MadeKeyPair(private_key=<hidden>, public_key=…)"


def make_key_pair(kind: PrivateKeyKind) -> MadeKeyPair:
    if kind is PrivateKeyKind.ED25519:
        private_pem = new_ed25519_private_key()
    else:
        key = rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_BITS)
        private_pem = (
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            .decode()
            .strip()
        )
    private_key = Secret(private_pem)
    return MadeKeyPair(private_key, public_key_pem(private_pem))


def public_key_of(private_key: Secret) -> str:
    """The public half of a stored private key (to show it again, e.g. after a restart)."""
    return public_key_pem(private_key.reveal())
