"""Users as Tallybot knows them: created on first contact, with their time zone and language."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from db.engine import Database
from db.repositories import UserRepository
from i18n import SOURCE_LOCALE, languages, resolve_locale

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
        """The catalogue the user reads: their stored language's, else that of the `language_code` their Telegram
        app sends (English when neither has a catalogue). Reads only: answering never creates a user."""
        stored = await self.stored_locale(telegram_user_id)
        return stored if stored is not None else resolve_locale(language_code or SOURCE_LOCALE)

    async def remember_language(self, telegram_user_id: int, language_code: str | None) -> None:
        """On first contact (/start), keep Telegram's `language_code` as the user's language; a language already
        stored is kept (later updates, or one chosen in /settings, win over what the app sends). The tag is kept as
        the user's (`ja-JP`), so a language Tallybot has no catalogue for yet reads English until one ships."""
        if not language_code:
            return  # a client that sends no language: English until the user says otherwise
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            if user.language is None:
                user.language = language_code[:LANGUAGE_TAG_LENGTH]

    async def set_language(self, telegram_user_id: int, locale: str) -> None:
        """Store a language chosen in /settings: one Tallybot has a catalogue for (ValueError otherwise), which wins
        over what the user's Telegram app sends from now on."""
        if locale not in languages():
            raise ValueError(f"no catalogue for {locale!r}")
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            user.language = locale

    async def stored_locale(self, telegram_user_id: int) -> str | None:
        """The catalogue of the user's stored language; None for a user with none (or no row), nothing written."""
        # Read before nearly every reply: one statement, outside a transaction on PostgreSQL (Database.reads).
        async with self.database.reads() as session:
            user = await UserRepository(session).by_telegram_id(telegram_user_id)
            language = user.language if user is not None else None
        return resolve_locale(language) if language is not None else None
