"""Sealing and opening an integration's key set, and re-encrypting everything under a new master key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.assistant.drafts import reseal_drafts
from bot.secret import Secret
from bot.vault import SealContext, SealedSecret, Vault
from db.engine import Database
from db.models import Credential
from db.repositories import CredentialRepository


@dataclass(frozen=True, slots=True)
class CredentialOwner:
    telegram_user_id: int
    credential_id: str
    exchange: str

    def context(self, field: str) -> SealContext:
        return SealContext(self.telegram_user_id, self.credential_id, self.exchange, field)


def seal_fields(vault: Vault, owner: CredentialOwner, fields: Mapping[str, Secret]) -> dict[str, dict[str, str]]:
    return {name: vault.seal(secret, owner.context(name)).to_json() for name, secret in fields.items()}


def open_fields(vault: Vault, owner: CredentialOwner, credential: Credential) -> dict[str, Secret]:
    return {
        name: vault.open(SealedSecret.from_json(envelope), owner.context(name))
        for name, envelope in credential.sealed.items()
    }


@dataclass(frozen=True, slots=True)
class Resealed:
    credentials: int
    drafts: int


async def reseal_all(database: Database, vault: Vault) -> Resealed:
    """Re-encrypt every credential, and every Assistant draft's secrets (a private key generated for the user may
    already be registered at the exchange), under the ring's newest key, in one transaction; how many changed.

    All or nothing: if any of them fails to open, nothing is rewritten and the old key must stay.
    """
    changed = 0
    async with database.writer() as session:
        repository = CredentialRepository(session)
        for credential, telegram_user_id, exchange in await repository.with_owners():
            envelopes = {name: SealedSecret.from_json(value) for name, value in credential.sealed.items()}
            if all(vault.is_current(sealed) for sealed in envelopes.values()):
                continue
            owner = CredentialOwner(telegram_user_id, credential.id, exchange)
            await repository.replace_sealed(
                credential, seal_fields(vault, owner, open_fields(vault, owner, credential))
            )
            changed += 1
        drafts = await reseal_drafts(session, vault)
    return Resealed(changed, drafts)
