"""The update_ids a bot's webhook replicas have taken (table `webhook_updates`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebhookUpdate
from db.repositories.upsert import insert_ignoring_conflicts


class WebhookUpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, bot_id: int, update_id: int, *, now: datetime) -> bool:
        """Record the update as taken: True if this call recorded it, False if it was recorded before. One statement
        (INSERT ... ON CONFLICT DO NOTHING RETURNING): the primary key decides, and no error is raised to say so."""
        statement = insert_ignoring_conflicts(self.session, WebhookUpdate, ["bot_id", "update_id"])
        taken = await self.session.scalar(
            statement.values(bot_id=bot_id, update_id=update_id, received_at=now).returning(WebhookUpdate.update_id)
        )
        return taken is not None

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(WebhookUpdate).where(WebhookUpdate.received_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
