"""Encryption of stored credentials: AES-256-GCM under a key ring that allows rotation."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.secret import Secret
from bot.settings import ConfigError, Settings

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE_NAME = "master.key"
FORMAT_VERSION = "v1"


class VaultError(Exception):
    """A stored secret cannot be opened: wrong key ring, tampered data, or wrong owner."""


@dataclass(frozen=True, slots=True)
class SealContext:
    """What a ciphertext is bound to; opening it under any other context fails."""

    telegram_user_id: int
    credential_id: str
    exchange: str
    field: str

    def associated_data(self) -> bytes:
        # The field name is bound too, so a secret cannot be swapped into the passphrase slot.
        return (
            f"tallybot/{FORMAT_VERSION}|user={self.telegram_user_id}|credential={self.credential_id}"
            f"|exchange={self.exchange}|field={self.field}"
        ).encode()


@dataclass(frozen=True, slots=True)
class SealedSecret:
    key_id: str
    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "k": self.key_id,
            "n": base64.b64encode(self.nonce).decode(),
            "c": base64.b64encode(self.ciphertext).decode(),
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> SealedSecret:
        try:
            return cls(data["k"], base64.b64decode(data["n"]), base64.b64decode(data["c"]))
        except (KeyError, binascii.Error) as exc:
            raise VaultError("stored secret is malformed") from exc


def key_id_of(key: bytes) -> str:
    """A short, stable id derived from the key, so the ring needs no separate id bookkeeping."""
    return hashlib.sha256(b"tallybot-key-id" + key).hexdigest()[:12]


class KeyRing:
    """Master keys, newest first. Seals with the newest; opens with whichever sealed."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigError("the master key ring is empty")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise ConfigError(f"a master key must be {KEY_BYTES} bytes (base64-encoded)")
        self._keys = {key_id_of(key): key for key in keys}
        self.newest_id = key_id_of(keys[0])

    @property
    def ids(self) -> list[str]:
        return list(self._keys)

    def get(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise VaultError(f"no master key with id {key_id} in the ring") from None

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Comma- or newline-separated base64 keys, newest first."""
        keys = []
        for part in text.replace("\n", ",").split(","):
            part = part.strip()
            if not part or part.startswith("#"):
                continue
            try:
                keys.append(base64.b64decode(part, validate=True))
            except binascii.Error:
                raise ConfigError("TALLYBOT_MASTER_KEY holds a value that is not base64") from None
        return cls(keys)

    def with_new_key(self, key: bytes) -> KeyRing:
        return KeyRing([key, *self._keys.values()])

    def only_newest(self) -> KeyRing:
        return KeyRing([self._keys[self.newest_id]])

    def serialize(self) -> str:
        return "".join(base64.b64encode(self._keys[key_id]).decode() + "\n" for key_id in self._keys)


def generate_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


class Vault:
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def seal(self, secret: Secret, context: SealContext) -> SealedSecret:
        nonce = os.urandom(NONCE_BYTES)
        key = self.ring.get(self.ring.newest_id)
        ciphertext = AESGCM(key).encrypt(nonce, secret.reveal().encode(), context.associated_data())
        return SealedSecret(self.ring.newest_id, nonce, ciphertext)

    def open(self, sealed: SealedSecret, context: SealContext) -> Secret:
        key = self.ring.get(sealed.key_id)
        try:
            plaintext = AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, context.associated_data())
        except InvalidTag:
            raise VaultError("stored secret does not open under this context (tampered or misplaced)") from None
        # Constructing the Secret registers it for log redaction.
        return Secret(plaintext.decode())

    def is_current(self, sealed: SealedSecret) -> bool:
        return sealed.key_id == self.ring.newest_id


def key_file_path(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE_NAME


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Atomically replace the key file, created 0600 from the start (never world-readable, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, ring.serialize().encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_key_ring(settings: Settings) -> KeyRing:
    """The ring from TALLYBOT_MASTER_KEY; else, on the embedded default, the key file (made on first run)."""
    if settings.master_key is not None:
        return KeyRing.parse(settings.master_key.get_secret_value())
    path = key_file_path(settings)
    if path.exists():
        return KeyRing.parse(path.read_text())
    if not settings.uses_embedded_database:
        raise ConfigError(
            "TALLYBOT_MASTER_KEY is not set: with DATABASE_URL set, give the master key explicitly "
            "(base64 of 32 random bytes; `tallybot rotate-master-key --print-new-key` makes one)"
        )
    ring = KeyRing([generate_key()])
    write_key_file(path, ring)
    log.warning(
        "Generated a new master key in %s. Back it up and keep it apart from the database: "
        "without it the stored API keys cannot be decrypted.",
        path,
    )
    return ring
