from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.repositories.upsert import insert_ignoring_conflicts


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_user_id: int) -> User | None:
        return await self.session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))

    async def ensure(self, telegram_user_id: int) -> User:
        """The user row, created on first contact; safe when two updates of a new user race."""
        statement = insert_ignoring_conflicts(self.session, User, ["telegram_user_id"])
        await self.session.execute(statement, [{"telegram_user_id": telegram_user_id, "timezone": "UTC"}])
        user = await self.by_telegram_id(telegram_user_id)
        if user is None:  # pragma: no cover - the insert above guarantees the row
            raise LookupError(f"user {telegram_user_id} vanished after insert")
        return user
