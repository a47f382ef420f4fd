"""Users as Tallybot knows them: created on first contact."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

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

    async def set_timezone(self, telegram_user_id: int, timezone: str) -> UserProfile:
        """Store an IANA time zone name (checked: an unknown name raises ValueError)."""
        canonical = str(ZoneInfo(timezone))
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            user.timezone = canonical
            return UserProfile(user.id, user.telegram_user_id, user.timezone)

    async def register(self, telegram_user_id: int) -> UserProfile:
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            return UserProfile(user.id, user.telegram_user_id, user.timezone)
