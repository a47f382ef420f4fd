"""Assistant drafts in the database: survive a restart, expire after inactivity, secrets sealed."""

from __future__ import annotations

import secrets as random_tokens
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.assistant.state import DraftState
from bot.secret import Secret
from bot.vault import SealContext, SealedSecret, Vault, VaultError
from db.engine import Database
from db.models import AssistantDraft
from db.repositories.drafts import DraftRepository
from db.types import utcnow

DEFAULT_TIMEOUT = timedelta(minutes=10)


@dataclass(slots=True)
class Draft:
    id: str
    telegram_user_id: int
    chat_id: int
    token: str
    state: DraftState
    expires_at: datetime


def _draft(row: AssistantDraft) -> Draft:
    return Draft(row.id, row.telegram_user_id, row.chat_id, row.token, DraftState.from_json(row.state), row.expires_at)


def draft_seal_context(draft_id: str, telegram_user_id: int, exchange: str, field: str) -> SealContext:
    # The credential slot of the seal's associated data is "draft:<id>" (parts of an id, joined as codes): the
    # bytes every stored draft secret was sealed with.
    return SealContext(telegram_user_id, ":".join(("draft", draft_id)), exchange, field)


async def reseal_drafts(session: AsyncSession, vault: Vault) -> int:
    """Re-encrypt the secrets of every draft under the ring's newest key, in the caller's transaction (a master-key
    rotation's); how many drafts changed. A secret is sealed for the exchange being connected when it was typed:
    the draft's current one, else one it picked earlier. One that opens under none raises VaultError, and the
    rotation keeps the old key, as it does for a credential."""
    changed = 0
    for row in await DraftRepository(session).every():
        envelopes = {field: SealedSecret.from_json(value) for field, value in row.sealed.items()}
        if all(vault.is_current(sealed) for sealed in envelopes.values()):
            continue
        state = DraftState.from_json(row.state)
        exchanges = list(dict.fromkeys([state.exchange_id or "", *state.picked]))
        resealed: dict[str, SealedSecret] = {}
        for field, sealed in envelopes.items():
            secret, exchange = _open_for_any(vault, sealed, row, field, exchanges)
            resealed[field] = vault.seal(secret, draft_seal_context(row.id, row.telegram_user_id, exchange, field))
        row.sealed = {field: sealed.to_json() for field, sealed in resealed.items()}
        changed += 1
    return changed


def _open_for_any(
    vault: Vault, sealed: SealedSecret, row: AssistantDraft, field: str, exchanges: list[str]
) -> tuple[Secret, str]:
    for exchange in exchanges:
        try:
            return vault.open(sealed, draft_seal_context(row.id, row.telegram_user_id, exchange, field)), exchange
        except VaultError:
            continue
    raise VaultError("a stored Assistant draft secret does not open (tampered or misplaced)")


class DraftStore:
    def __init__(self, database: Database, vault: Vault, *, timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        self.database = database
        self.vault = vault
        self.timeout = timeout

    def _context(self, draft_id: str, telegram_user_id: int, exchange: str, field: str) -> SealContext:
        return draft_seal_context(draft_id, telegram_user_id, exchange, field)

    async def begin(self, telegram_user_id: int, chat_id: int, state: DraftState) -> Draft:
        """A new flow, replacing any earlier one (and its secrets) of this user."""
        row = AssistantDraft(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            token=random_tokens.token_urlsafe(6)[:8],
            state=state.to_json(),
            sealed={},
            expires_at=utcnow() + self.timeout,
        )
        async with self.database.writer() as session:
            drafts = DraftRepository(session)
            await drafts.delete_of_user(telegram_user_id)
            drafts.add(row)
        return Draft(row.id, telegram_user_id, chat_id, row.token, state, row.expires_at)

    async def load(self, telegram_user_id: int) -> Draft | None:
        """The user's open flow, or None (also when it has expired and awaits the sweeper)."""
        async with self.database.reader() as session:
            row = await DraftRepository(session).of_user(telegram_user_id)
        if row is None or row.expires_at <= utcnow():
            return None
        return Draft(
            row.id, row.telegram_user_id, row.chat_id, row.token, DraftState.from_json(row.state), row.expires_at
        )

    async def save(self, draft: Draft) -> None:
        """Store the state and push the expiry out: the clock restarts with every step the user takes."""
        draft.expires_at = utcnow() + self.timeout
        async with self.database.writer() as session:
            row = await DraftRepository(session).get(draft.id)
            if row is None:
                return
            row.state = draft.state.to_json()
            row.expires_at = draft.expires_at

    async def put_secret(self, draft: Draft, exchange: str, field: str, value: Secret) -> None:
        sealed = self.vault.seal(value, self._context(draft.id, draft.telegram_user_id, exchange, field))
        async with self.database.writer() as session:
            row = await DraftRepository(session).get(draft.id)
            if row is not None:
                row.sealed = {**row.sealed, field: sealed.to_json()}

    async def secrets(self, draft: Draft, exchange: str) -> dict[str, Secret]:
        async with self.database.reader() as session:
            row = await DraftRepository(session).get(draft.id)
        if row is None:
            return {}
        return {
            field: self.vault.open(
                SealedSecret.from_json(envelope), self._context(draft.id, draft.telegram_user_id, exchange, field)
            )
            for field, envelope in row.sealed.items()
        }

    async def clear_secrets(self, draft: Draft) -> None:
        async with self.database.writer() as session:
            row = await DraftRepository(session).get(draft.id)
            if row is not None:
                row.sealed = {}

    async def finish(self, telegram_user_id: int) -> bool:
        async with self.database.writer() as session:
            deleted = await DraftRepository(session).delete_of_user(telegram_user_id)
        return bool(deleted)

    async def sweep_expired(self) -> list[Draft]:
        """Delete drafts past their expiry and return them, so their users can be told."""
        async with self.database.writer() as session:
            rows = await DraftRepository(session).delete_expired(utcnow())
        return [_draft(row) for row in rows]

    async def open_drafts(self) -> list[Draft]:
        async with self.database.reader() as session:
            rows = await DraftRepository(session).open(utcnow())
        return [_draft(row) for row in rows]
