"""The vault: what is stored can be opened only by its owner's context, and keys can be rotated."""

from __future__ import annotations

import base64
import logging
import pickle
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from bot.secret import Secret
from bot.settings import ConfigError, Settings
from bot.vault import (
    KeyRing,
    SealContext,
    SealedSecret,
    Vault,
    VaultError,
    generate_key,
    key_file_path,
    load_key_ring,
)

CONTEXT = SealContext(
    telegram_user_id=1001, credential_id="c0ffee00-0000-4000-8000-000000000001", exchange="bitget", field="secret"
)


def test_a_sealed_secret_opens_to_the_same_value() -> None:
    vault = Vault(KeyRing([generate_key()]))
    sealed = vault.seal(Secret("s3cr3t-value-of-a-real-length"), CONTEXT)

    assert vault.open(SealedSecret.from_json(sealed.to_json()), CONTEXT).reveal() == "s3cr3t-value-of-a-real-length"
    assert b"s3cr3t" not in sealed.ciphertext


@pytest.mark.parametrize(
    "other",
    [
        replace(CONTEXT, telegram_user_id=1002),
        replace(CONTEXT, credential_id="c0ffee00-0000-4000-8000-000000000002"),
        replace(CONTEXT, exchange="binance"),
        replace(CONTEXT, field="password"),
    ],
    ids=["other user", "other credential", "other exchange", "other field"],
)
def test_a_secret_moved_to_another_owner_or_slot_does_not_open(other: SealContext) -> None:
    vault = Vault(KeyRing([generate_key()]))
    sealed = vault.seal(Secret("s3cr3t-value-of-a-real-length"), CONTEXT)

    with pytest.raises(VaultError):
        vault.open(sealed, other)


def test_tampered_ciphertext_does_not_open() -> None:
    vault = Vault(KeyRing([generate_key()]))
    sealed = vault.seal(Secret("s3cr3t-value-of-a-real-length"), CONTEXT)
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]

    with pytest.raises(VaultError):
        vault.open(replace(sealed, ciphertext=flipped), CONTEXT)


def test_every_seal_uses_a_fresh_nonce() -> None:
    vault = Vault(KeyRing([generate_key()]))
    nonces = {vault.seal(Secret("same-value-every-time"), CONTEXT).nonce for _ in range(200)}

    assert len(nonces) == 200


def test_older_keys_in_the_ring_still_open_what_they_sealed() -> None:
    old_key, new_key = generate_key(), generate_key()
    sealed_with_old = Vault(KeyRing([old_key])).seal(Secret("sealed-before-rotation"), CONTEXT)
    ring = KeyRing([new_key, old_key])

    assert Vault(ring).open(sealed_with_old, CONTEXT).reveal() == "sealed-before-rotation"
    assert Vault(ring).seal(Secret("sealed-after-rotation"), CONTEXT).key_id == ring.newest_id != sealed_with_old.key_id
    with pytest.raises(VaultError, match="no master key"):
        Vault(KeyRing([new_key])).open(sealed_with_old, CONTEXT)


def test_secret_never_shows_its_value() -> None:
    secret = Secret("bg_1234567890abcdef7f3a")

    assert "1234567890" not in repr(secret)
    assert "1234567890" not in str(secret)
    assert "1234567890" not in f"{secret}"
    assert "1234567890" not in repr({"key": secret})
    assert secret.fingerprint() == "…7f3a"
    assert Secret("short").fingerprint() == "…"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_first_run_on_the_embedded_database_creates_a_private_key_file(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        ring = load_key_ring(settings)
        again = load_key_ring(settings)

    path = key_file_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert again.ids == ring.ids
    warnings = [record.getMessage() for record in caplog.records if "master key" in record.getMessage()]
    assert len(warnings) == 1
    assert "back it up" in warnings[0].lower() and "apart from the database" in warnings[0]


def test_master_key_from_the_environment_is_used_and_no_file_is_written(tmp_path: Path) -> None:
    key = generate_key()
    settings = Settings(master_key=base64.b64encode(key).decode(), data_dir=tmp_path / "data")

    ring = load_key_ring(settings)

    assert ring.get(ring.newest_id) == key
    assert not key_file_path(settings).exists()


def test_an_external_database_without_a_master_key_is_refused(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql+asyncpg://x@127.0.0.1/x", data_dir=tmp_path / "data")

    with pytest.raises(ConfigError, match="TALLYBOT_MASTER_KEY is not set"):
        load_key_ring(settings)


@pytest.mark.parametrize("value", ["not base64 at all!", base64.b64encode(b"too short").decode()])
def test_a_malformed_master_key_is_a_configuration_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError):
        load_key_ring(Settings(master_key=value, data_dir=tmp_path))
