"""Rotating the master key: every credential re-encrypted, the old key removable, nothing lost."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bot.assistant.drafts import DraftStore
from bot.assistant.state import DraftState
from bot.credentials import CredentialOwner, open_fields, seal_fields
from bot.rotation import rotate_master_key
from bot.secret import Secret
from bot.settings import ConfigError, Settings
from bot.vault import KeyRing, Vault, VaultError, generate_key, key_file_path, load_key_ring
from db.engine import Database
from db.migrate import upgrade_to_head
from db.repositories import CredentialRepository, IntegrationRepository, UserRepository

FIELDS = {"apiKey": "bg_key_0123456789abcdef", "secret": "bg_secret_fedcba9876543210", "password": "my-passphrase"}


async def _store_credentials(settings: Settings, vault: Vault, count: int) -> None:
    database = Database(settings.effective_database_url)
    await upgrade_to_head(database)
    try:
        async with database.writer() as session:
            for number in range(count):
                user = await UserRepository(session).ensure(1000 + number)
                integration = await IntegrationRepository(session).add(
                    user_id=user.id, exchange_id="bitget", account_name="Bitget-1"
                )
                owner = CredentialOwner(user.telegram_user_id, str(uuid.uuid4()), "bitget")
                secrets = {name: Secret(value) for name, value in FIELDS.items()}
                await CredentialRepository(session).add(
                    credential_id=owner.credential_id,
                    integration_id=integration.id,
                    key_type="normal",
                    sealed=seal_fields(vault, owner, secrets),
                    fingerprint=secrets["apiKey"].fingerprint(),
                )
    finally:
        await database.dispose()


async def _open_all(settings: Settings, vault: Vault) -> list[dict[str, str]]:
    database = Database(settings.effective_database_url)
    try:
        async with database.reader() as session:
            rows = await CredentialRepository(session).with_owners()
            return [
                {
                    name: secret.reveal()
                    for name, secret in open_fields(vault, CredentialOwner(user, c.id, ex), c).items()
                }
                for c, user, ex in rows
            ]
    finally:
        await database.dispose()


async def test_rotating_the_key_file_reencrypts_everything_and_drops_the_old_key(settings: Settings) -> None:
    old_ring = load_key_ring(settings)
    await _store_credentials(settings, Vault(old_ring), count=3)

    result = await rotate_master_key(settings)

    new_ring = load_key_ring(settings)
    assert result.resealed == 3
    assert new_ring.ids == [result.new_key_id]
    assert old_ring.newest_id not in new_ring.ids
    assert await _open_all(settings, Vault(new_ring)) == [FIELDS] * 3
    with pytest.raises(VaultError):
        await _open_all(settings, Vault(old_ring))


async def test_rotating_with_an_environment_ring_moves_everything_to_its_first_key(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    data_dir = tmp_path / "data"
    before = Settings(master_key=base64.b64encode(old).decode(), data_dir=data_dir)
    await _store_credentials(before, Vault(load_key_ring(before)), count=2)
    during = Settings(
        master_key=f"{base64.b64encode(new).decode()},{base64.b64encode(old).decode()}", data_dir=data_dir
    )

    result = await rotate_master_key(during)
    after = Settings(master_key=base64.b64encode(new).decode(), data_dir=data_dir)

    assert result.resealed == 2
    assert await _open_all(after, Vault(load_key_ring(after))) == [FIELDS] * 2
    assert (await rotate_master_key(during)).resealed == 0, "a second run finds nothing left to move"


async def test_rotating_with_a_single_environment_key_explains_what_to_do(tmp_path: Path) -> None:
    settings = Settings(master_key=base64.b64encode(generate_key()).decode(), data_dir=tmp_path)

    with pytest.raises(ConfigError, match="put a new key first"):
        await rotate_master_key(settings)


def test_cli_migrate_then_rotate_on_a_fresh_data_directory(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TALLYBOT_", "DATABASE_URL"))}
    env["TALLYBOT_DATA_DIR"] = str(tmp_path / "data")

    def tallybot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
        )

    migrated = tallybot("migrate")
    rotated = tallybot("rotate-master-key")

    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 0 credential(s)" in rotated.stdout
    assert len(KeyRing.parse(key_file_path(Settings(data_dir=tmp_path / "data")).read_text()).ids) == 1


PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIDraftKeyTheUserMayHaveRegistered0123456\n"
    "-----END PRIVATE KEY-----"
)


async def test_rotation_reseals_an_open_assistant_draft_so_its_generated_key_still_opens(settings: Settings) -> None:
    """A user mid-flow holds a private key the Assistant generated (its public key perhaps already registered at
    Binance) and an API key typed so far, both sealed in the draft. After a rotation the draft opens under the
    new key ring, with the same secrets."""
    old_ring = load_key_ring(settings)
    await _store_credentials(settings, Vault(old_ring), count=1)
    database = Database(settings.effective_database_url)
    try:
        store = DraftStore(database, Vault(old_ring))
        draft = await store.begin(5005, 5005, DraftState(picked=["okx", "binance"], current=1))
        await store.put_secret(draft, "binance", "secret", Secret(PRIVATE_KEY))
        await store.put_secret(draft, "binance", "apiKey", Secret("binance-api-key-typed-0001"))
    finally:
        await database.dispose()

    result = await rotate_master_key(settings)

    assert (result.resealed, result.drafts) == (1, 1)
    database = Database(settings.effective_database_url)
    try:
        store = DraftStore(database, Vault(load_key_ring(settings)))
        loaded = await store.load(5005)
        assert loaded is not None
        opened = await store.secrets(loaded, "binance")
        assert {name: secret.reveal() for name, secret in opened.items()} == {
            "secret": PRIVATE_KEY,
            "apiKey": "binance-api-key-typed-0001",
        }
    finally:
        await database.dispose()
