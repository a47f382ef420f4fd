"""Connected exchange accounts: create with encrypted keys, list, rename, replace a key, change options, delete."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot import names
from bot.credentials import CredentialOwner, open_fields, seal_fields
from bot.secret import Secret
from bot.vault import Vault
from db.engine import Database
from db.models import Credential, Integration, IntegrationStatus
from db.repositories import CredentialRepository, IntegrationRepository, TransactionRepository, UserRepository
from i18n import Text, render

MAX_NAME_LENGTH = 40
_NAME_PATTERN = re.compile(r"[\w .\-+#()]+")


class IntegrationError(Exception):
    """A request about an integration that cannot be carried out. `text` says why, for the user (a catalogue
    `Text`, or a sentence from a module not in the catalogue yet); `str()` is its English, for callers that show
    the message as it is."""

    def __init__(self, text: Text | str) -> None:
        super().__init__(render(text))
        self.text = text


class IntegrationNotFound(IntegrationError):
    """No such integration for this user (it may be someone else's: we do not say)."""


class NameTaken(IntegrationError):
    pass


@dataclass(frozen=True, slots=True)
class AdvancedOptions:
    subaccount: str | None = None
    sync_from: date | None = None
    endpoints: tuple[str, ...] = ()  # empty: the profile's defaults

    def to_json(self) -> dict[str, Any]:
        return {
            "sync_from": self.sync_from.isoformat() if self.sync_from else None,
            "endpoints": list(self.endpoints),
        }

    @classmethod
    def from_integration(cls, integration: Integration) -> AdvancedOptions:
        sync_from = integration.options.get("sync_from")
        return cls(
            subaccount=integration.subaccount,
            sync_from=date.fromisoformat(sync_from) if sync_from else None,
            endpoints=tuple(integration.options.get("endpoints") or ()),
        )


@dataclass(frozen=True, slots=True)
class IntegrationSummary:
    id: int
    exchange_id: str
    account_name: str
    key_type: str
    fingerprint: str | None  # None once the key was removed and only the history kept
    status: str
    status_detail: str | None
    last_synced_at: datetime | None
    options: AdvancedOptions
    expires_at: datetime | None

    @classmethod
    def of(cls, integration: Integration) -> IntegrationSummary:
        credential = integration.credential
        return cls(
            id=integration.id,
            exchange_id=integration.exchange_id,
            account_name=integration.account_name,
            key_type=integration.key_type,
            fingerprint=credential.api_key_fingerprint if credential else None,
            status=integration.status,
            status_detail=integration.status_detail,
            last_synced_at=integration.last_synced_at,
            options=AdvancedOptions.from_integration(integration),
            expires_at=credential.expires_at if credential else None,
        )


def clean_account_name(name: str, exchange_id: str | None = None) -> str:
    """A name the user typed, checked: short, printable, no markup; normalised (NFKC), never key-shaped, never a
    look-alike of an exchange's name nor, for an account of `exchange_id`, another exchange's name."""
    name = names.normalised(name)
    if not name or len(name) > MAX_NAME_LENGTH or not _NAME_PATTERN.fullmatch(name):
        raise IntegrationError(Text.of("integrations.name_invalid", limit=MAX_NAME_LENGTH))
    problem = names.refusal(name, exchange_id)
    if problem is not None:
        raise IntegrationError(problem)
    return name


def numbered_name(exchange_name: str, taken: set[str]) -> str:
    """ "Bitget-1", "Bitget-2", …: the first number not taken (case-insensitive, as people read names)."""
    lowered = {name.casefold() for name in taken}
    number = 1
    while f"{exchange_name}-{number}".casefold() in lowered:
        number += 1
    return f"{exchange_name}-{number}"


class IntegrationService:
    def __init__(self, database: Database, vault: Vault) -> None:
        self.database = database
        self.vault = vault

    async def suggest_name(self, telegram_user_id: int, exchange_name: str, reserved: Sequence[str] = ()) -> str:
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            taken = await IntegrationRepository(session).account_names(user.id)
        return numbered_name(exchange_name, taken | set(reserved))

    async def connect(
        self,
        telegram_user_id: int,
        *,
        exchange_id: str,
        key_type: str,
        account_name: str,
        fields: Mapping[str, Secret],
        options: AdvancedOptions,
        expires_at: datetime | None = None,
    ) -> IntegrationSummary:
        """Store a checked key as a new integration, its secrets sealed to this user and credential."""
        account_name = clean_account_name(account_name, exchange_id)
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            integrations = IntegrationRepository(session)
            if account_name.casefold() in {name.casefold() for name in await integrations.account_names(user.id)}:
                raise NameTaken(Text.of("integrations.name_taken", name=account_name))
            integration = await integrations.add(
                user_id=user.id,
                exchange_id=exchange_id,
                account_name=account_name,
                key_type=key_type,
                subaccount=options.subaccount,
                options=options.to_json(),
            )
            await self._seal(session, telegram_user_id, integration, key_type, fields, expires_at)
            await session.refresh(integration, ["credential"])
            return IntegrationSummary.of(integration)

    async def add_file_only(self, telegram_user_id: int, *, exchange_id: str, account_name: str) -> IntegrationSummary:
        """An account with no key, filled by file uploads only. It is stored as disconnected (there is no key to
        sync with) and marked `options["file_only"]`; a key can be added later with `replace_key`."""
        account_name = clean_account_name(account_name, exchange_id)
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            integrations = IntegrationRepository(session)
            if account_name.casefold() in {name.casefold() for name in await integrations.account_names(user.id)}:
                raise NameTaken(Text.of("integrations.name_taken", name=account_name))
            integration = await integrations.add(
                user_id=user.id, exchange_id=exchange_id, account_name=account_name, options={"file_only": True}
            )
            integration.status = IntegrationStatus.DISCONNECTED
            await session.flush()
            await session.refresh(integration, ["credential"])
            return IntegrationSummary.of(integration)

    async def _seal(
        self,
        session: Any,
        telegram_user_id: int,
        integration: Integration,
        key_type: str,
        fields: Mapping[str, Secret],
        expires_at: datetime | None,
    ) -> Credential:
        owner = CredentialOwner(telegram_user_id, str(uuid.uuid4()), integration.exchange_id)
        credential = await CredentialRepository(session).add(
            credential_id=owner.credential_id,
            integration_id=integration.id,
            key_type=key_type,
            sealed=seal_fields(self.vault, owner, fields),
            fingerprint=fields["apiKey"].fingerprint() if "apiKey" in fields else "…",
        )
        credential.expires_at = expires_at
        await session.flush()
        return credential

    async def list(self, telegram_user_id: int) -> list[IntegrationSummary]:
        async with self.database.reader() as session:
            user = await UserRepository(session).by_telegram_id(telegram_user_id)
            if user is None:
                return []
            return [IntegrationSummary.of(i) for i in await IntegrationRepository(session).for_user(user.id)]

    async def get(self, telegram_user_id: int, integration_id: int) -> IntegrationSummary:
        async with self.database.reader() as session:
            return IntegrationSummary.of(await self._owned(session, telegram_user_id, integration_id))

    async def _owned(self, session: Any, telegram_user_id: int, integration_id: int) -> Integration:
        user = await UserRepository(session).by_telegram_id(telegram_user_id)
        integration = None
        if user is not None:
            integration = await IntegrationRepository(session).get_owned(integration_id, user.id)
        if integration is None:
            raise IntegrationNotFound(Text.of("integrations.not_found"))
        return integration

    async def rename(self, telegram_user_id: int, integration_id: int, new_name: str) -> IntegrationSummary:
        new_name = clean_account_name(new_name)
        async with self.database.writer() as session:
            integration = await self._owned(session, telegram_user_id, integration_id)
            new_name = clean_account_name(new_name, integration.exchange_id)
            others = await IntegrationRepository(session).account_names(integration.user_id)
            others.discard(integration.account_name)
            if new_name.casefold() in {name.casefold() for name in others}:
                raise NameTaken(Text.of("integrations.name_taken", name=new_name))
            integration.account_name = new_name
            return IntegrationSummary.of(integration)

    async def replace_key(
        self,
        telegram_user_id: int,
        integration_id: int,
        *,
        key_type: str,
        fields: Mapping[str, Secret],
        expires_at: datetime | None = None,
    ) -> IntegrationSummary:
        """A regenerated key for the same account: new credential, same history and cursors."""
        async with self.database.writer() as session:
            integration = await self._owned(session, telegram_user_id, integration_id)
            if integration.credential is not None:
                await session.delete(integration.credential)
                await session.flush()
            integration.key_type = key_type
            integration.status_detail = None
            if integration.status == IntegrationStatus.DISCONNECTED:
                integration.status = IntegrationStatus.NEVER_SYNCED
            await self._seal(session, telegram_user_id, integration, key_type, fields, expires_at)
            await session.refresh(integration, ["credential"])
            return IntegrationSummary.of(integration)

    async def update_options(
        self, telegram_user_id: int, integration_id: int, options: AdvancedOptions
    ) -> IntegrationSummary:
        async with self.database.writer() as session:
            integration = await self._owned(session, telegram_user_id, integration_id)
            integration.subaccount = options.subaccount
            integration.options = {**integration.options, **options.to_json()}
            return IntegrationSummary.of(integration)

    async def delete(self, telegram_user_id: int, integration_id: int, *, keep_history: bool) -> int:
        """Remove the key; with `keep_history` the synced transactions stay (the account is marked
        disconnected), otherwise they go too. Returns how many transactions were deleted."""
        async with self.database.writer() as session:
            integration = await self._owned(session, telegram_user_id, integration_id)
            if keep_history:
                if integration.credential is not None:
                    await session.delete(integration.credential)
                integration.status = IntegrationStatus.DISCONNECTED
                return 0
            deleted = await TransactionRepository(session).count(integration.id)
            await session.delete(integration)
            return deleted

    async def transaction_count(self, telegram_user_id: int, integration_id: int) -> int:
        async with self.database.reader() as session:
            integration = await self._owned(session, telegram_user_id, integration_id)
            return await TransactionRepository(session).count(integration.id)

    async def credentials(self, telegram_user_id: int, integration_id: int) -> dict[str, Secret]:
        """The opened key of an integration, for a sync or a check. Never kept beyond its use."""
        async with self.database.reader() as session:
            integration = await self._owned(session, telegram_user_id, integration_id)
            if integration.credential is None:
                raise IntegrationError(Text.of("integrations.no_key"))
            owner = CredentialOwner(telegram_user_id, integration.credential.id, integration.exchange_id)
            return open_fields(self.vault, owner, integration.credential)
