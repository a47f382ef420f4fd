"""Users as Tallybot knows them: created on first contact, with their time zone and language."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from db.engine import Database
from db.repositories import UserRepository
from i18n import SOURCE_LOCALE, resolve_locale

# The longest language tag stored (users.language): Telegram sends IETF tags such as "en", "pt-br", "zh-hans".
LANGUAGE_TAG_LENGTH = 16


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

    async def locale(self, telegram_user_id: int, language_code: str | None = None) -> str:
        """The catalogue the user reads: their stored language, else (first contact) Telegram's `language_code`,
        which is then stored. The tag is kept as the user's (`ja-JP`), so a language Tallybot has no catalogue for
        yet reads English until one ships; `resolve_locale` picks what exists."""
        async with self.database.reader() as session:
            user = await UserRepository(session).by_telegram_id(telegram_user_id)
            if user is not None and user.language is not None:
                return resolve_locale(user.language)
        if not language_code:
            return SOURCE_LOCALE  # nothing to learn from (a job, or a client that sends no language): not stored
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            if user.language is None:  # another update of this user may have stored it meanwhile
                user.language = language_code[:LANGUAGE_TAG_LENGTH]
            return resolve_locale(user.language)
