"""Users as Tallybot knows them: created on first contact."""

from __future__ import annotations

from dataclasses import dataclass

from db.engine import Database
from db.repositories import UserRepository


@dataclass(frozen=True, slots=True)
class UserProfile:
    id: int
    telegram_user_id: int
    timezone: str


class UserService:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def register(self, telegram_user_id: int) -> UserProfile:
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            return UserProfile(user.id, user.telegram_user_id, user.timezone)
