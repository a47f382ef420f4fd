"""The update_ids a bot's webhook replicas have taken (table `webhook_updates`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebhookUpdate


class WebhookUpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, bot_id: int, update_id: int, *, now: datetime) -> None:
        """Record the update as taken; the primary key makes a second insert of it fail (IntegrityError)."""
        self.session.add(WebhookUpdate(bot_id=bot_id, update_id=update_id, received_at=now))
        await self.session.flush()

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(WebhookUpdate).where(WebhookUpdate.received_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
