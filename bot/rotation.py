"""`tallybot rotate-master-key`: re-encrypt every stored credential and Assistant draft under a new master key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.credentials import reseal_all
from bot.instance import InstanceBusy, InstanceLock
from bot.settings import ConfigError, Settings
from bot.startup import StartupError, checked_key_ring, open_database
from bot.vault import KeyRing, Vault, generate_key, key_file_path, load_key_ring, write_key_file
from db.engine import Database


@dataclass(frozen=True, slots=True)
class RotationResult:
    resealed: int  # credentials
    new_key_id: str
    key_file: Path | None  # set when the key ring lives in the data directory's key file
    drafts: int = 0  # Assistant drafts whose typed or generated secrets were re-encrypted


async def rotate_master_key(settings: Settings) -> RotationResult:
    """Refused while a bot holds the database: a running bot keeps the key ring it started with, so it could not
    open what was resealed, and would seal new keys under a key the rotation removes (issue 12, finding 1)."""
    database = await open_database(settings)
    try:
        lock = InstanceLock.for_rotation(database)
        try:
            await lock.acquire()
        except InstanceBusy as busy:
            raise StartupError(
                f"a Tallybot bot is running on this database ({busy.holder.describe()}): stop the bot first, "
                "then rotate the master key, then start it again"
            ) from None
        lock.keep_alive()
        try:
            await checked_key_ring(settings, database)
            if settings.master_key is not None:
                return await _rotate_environment_ring(settings, database)
            return await _rotate_key_file(settings, database)
        finally:
            await lock.release()
    finally:
        await database.dispose()


async def _rotate_environment_ring(settings: Settings, database: Database) -> RotationResult:
    # The operator owns the environment: we cannot write a new key into it, so they put it first.
    ring = load_key_ring(settings)
    if len(ring.ids) < 2:
        raise ConfigError(
            "TALLYBOT_MASTER_KEY holds one key: put a new key first (TALLYBOT_MASTER_KEY=new,old; "
            "`tallybot rotate-master-key --print-new-key` makes one) and run this again"
        )
    resealed = await reseal_all(database, Vault(ring))
    return RotationResult(resealed.credentials, ring.newest_id, None, resealed.drafts)


async def _rotate_key_file(settings: Settings, database: Database) -> RotationResult:
    path = key_file_path(settings)
    old: KeyRing = load_key_ring(settings)
    ring = old.with_new_key(generate_key())
    # Order matters for a crash at any point: the file first holds new and old keys, so every
    # credential opens whether or not the re-encryption committed; only then is the old key dropped.
    write_key_file(path, ring)
    resealed = await reseal_all(database, Vault(ring))
    write_key_file(path, ring.only_newest())
    return RotationResult(resealed.credentials, ring.newest_id, path, resealed.drafts)
