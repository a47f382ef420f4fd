"""Assistant drafts (one open flow per user): the rows behind bot/assistant/drafts.py's DraftStore."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AssistantDraft


class DraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def every(self) -> Sequence[AssistantDraft]:
        """Every draft, expired or not, in a stable order (a master-key rotation reseals them all)."""
        return (await self.session.scalars(select(AssistantDraft).order_by(AssistantDraft.id))).all()

    async def of_user(self, telegram_user_id: int) -> AssistantDraft | None:
        return await self.session.scalar(
            select(AssistantDraft).where(AssistantDraft.telegram_user_id == telegram_user_id)
        )

    def add(self, draft: AssistantDraft) -> None:
        self.session.add(draft)

    async def get(self, draft_id: str) -> AssistantDraft | None:
        return await self.session.get(AssistantDraft, draft_id)

    async def delete_of_user(self, telegram_user_id: int) -> int:
        """Delete the user's draft (and its sealed secrets); how many rows went."""
        result = await self.session.execute(
            delete(AssistantDraft).where(AssistantDraft.telegram_user_id == telegram_user_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_expired(self, now: datetime) -> Sequence[AssistantDraft]:
        """Delete the drafts past their expiry; the deleted rows (their users are told)."""
        # One DELETE ... RETURNING, not a read then deletes: of two bot processes sweeping at once (webhook
        # replicas) only the one whose statement deleted a row gets it back, so its user is told once.
        statement = delete(AssistantDraft).where(AssistantDraft.expires_at <= now).returning(AssistantDraft)
        return (await self.session.scalars(statement, execution_options={"synchronize_session": False})).all()

    async def open(self, now: datetime) -> Sequence[AssistantDraft]:
        return (await self.session.scalars(select(AssistantDraft).where(AssistantDraft.expires_at > now))).all()
