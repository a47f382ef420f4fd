"""Automatic sync, opt-in per account: how often (off, daily, every 6 hours), which accounts are due, and the notice
an automatic run deserves.

The due check hands each due account on (queues its job, or syncs it in the bot's process) and only then moves its
next run forward, with jitter (a few percent of the period, so many accounts switched on together spread out): a
check that stops in between leaves the run due for the next check instead of skipping it. Two checks that see the
same account queue one job (the account's queueing lock, bot/jobs/queue.py) and move it once (`move_on`).
The sync's own lease stays the fence: an account already syncing (a /sync press) is skipped, not synced twice.
A notice is told once per account and problem (a diagnosis code): the same problem again says nothing; a sync that
ends well forgets it, so the next problem is told again.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.settings import Settings
from bot.sync import SyncResult, SyncStatus
from db.engine import Database
from db.models import AccountNotice, AutoSync, Credential, Integration, NoticeMute, SyncRun, User
from db.repositories.users import UserRepository
from db.types import utcnow

SYNC_NOTICE, EXPIRY_NOTICE = "sync", "expiry"  # the kinds of account_notices
# A key with a known expiry (e.g. MEXC's 90 days without an IP binding, read by the key check) is warned of this long
# before, once per expiry date: time to make a new key without a gap in the history.
EXPIRY_WARNING = timedelta(days=7)
JITTER_SHARE = 0.05  # of the period: a daily account runs within about 72 minutes of its time


class AutoSyncSettings(BaseSettings):
    """How often the bot looks for due accounts, and how long an hour of a cadence is (shorter for a demo or a
    story: an account on "every 6 hours" with 1-second hours is due every 6 seconds)."""

    model_config = Settings.model_config  # the same .env, read the same way

    check_seconds: float = Field(default=300.0, gt=0, validation_alias=AliasChoices("TALLYBOT_AUTOSYNC_CHECK_SECONDS"))
    hour_seconds: float = Field(default=3600.0, gt=0, validation_alias=AliasChoices("TALLYBOT_AUTOSYNC_HOUR_SECONDS"))


class Cadence(enum.StrEnum):
    """The choices in /keys; the value is what the button carries."""

    OFF = "off"
    DAILY = "daily"
    SIX_HOURS = "six"

    @property
    def hours(self) -> int:
        return {Cadence.OFF: 0, Cadence.DAILY: 24, Cadence.SIX_HOURS: 6}[self]

    @classmethod
    def of_hours(cls, hours: int | None) -> Cadence:
        return next((cadence for cadence in cls if cadence.hours == hours), cls.OFF)


@dataclass(frozen=True)
class DueSync:
    telegram_user_id: int
    integration_id: int
    account_name: str
    language: str | None
    muted: bool  # the user muted notices: the run's problem is still remembered, never told


@dataclass(frozen=True)
class ExpiringKey:
    account: DueSync
    expires_at: datetime
    timezone: str  # the user's, for wording the date


def next_run(now: datetime, hours: int, hour_seconds: float) -> datetime:
    period = hours * hour_seconds
    return now + timedelta(seconds=period + random.uniform(0, period * JITTER_SHARE))  # noqa: S311 - spreading only


class AutoSyncStore:
    """The auto_syncs and account_notices rows. `hour_seconds` is an hour (TALLYBOT_AUTOSYNC_HOUR_SECONDS)."""

    def __init__(self, database: Database, hour_seconds: float = 3600.0) -> None:
        self.database = database
        self.hour_seconds = hour_seconds

    async def cadence(self, integration_id: int) -> Cadence:
        async with self.database.reader() as session:
            row = await session.get(AutoSync, integration_id)
            return Cadence.OFF if row is None else Cadence.of_hours(row.every_hours)

    async def choose(self, integration_id: int, cadence: Cadence, last_synced_at: datetime | None) -> bool:
        """Turn it on (first run one period after the last sync, or now if that is past) or off. False, storing
        nothing, when the account is gone or (turning it on) has no key: the button that asked was pressed after the
        account or its key was removed."""
        try:
            async with self.database.writer() as session:
                # Locked (PostgreSQL): a deletion of the account waits for this choice, or this one sees it done.
                held = await session.execute(
                    select(Integration.id, Credential.id)
                    .outerjoin(Credential, Credential.integration_id == Integration.id)
                    .where(Integration.id == integration_id)
                    .with_for_update(of=Integration)
                )
                found = held.first()
                if found is None or (cadence is not Cadence.OFF and found[1] is None):
                    return False
                row = await session.get(AutoSync, integration_id)
                if cadence is Cadence.OFF:
                    if row is not None:
                        await session.delete(row)
                    return True
                now, period = utcnow(), timedelta(seconds=cadence.hours * self.hour_seconds)
                due = now if last_synced_at is None else max(now, last_synced_at + period)
                if row is None:
                    session.add(AutoSync(integration_id=integration_id, every_hours=cadence.hours, next_due_at=due))
                else:
                    row.every_hours, row.next_due_at = cadence.hours, due
                return True
        except IntegrityError:  # the account was deleted between the look-up and the commit (the foreign key)
            return False

    async def due(self, now: datetime) -> list[DueSync]:
        """The accounts due at `now`, longest due first. Each stays due until `move_on`, which the due pass calls once
        its sync was handed on: a pass that stops in between (a crash) leaves the run due, never lost."""
        async with self.database.reader() as session:
            rows = (
                await session.execute(
                    select(AutoSync.integration_id, Integration.account_name, User.telegram_user_id, User.language)
                    .add_columns(NoticeMute.user_id)
                    .join(Integration, Integration.id == AutoSync.integration_id)
                    .join(User, User.id == Integration.user_id)
                    .outerjoin(NoticeMute, NoticeMute.user_id == User.id)
                    .where(AutoSync.next_due_at <= now)
                    .order_by(AutoSync.next_due_at)
                )
            ).all()
        return [
            DueSync(telegram_user_id, integration_id, name, language, muted_by is not None)
            for integration_id, name, telegram_user_id, language, muted_by in rows
        ]

    async def is_due(self, integration_id: int, now: datetime) -> bool:
        """Whether the account is still due at `now`: a pass that listed it a while ago (the embedded deployment
        syncs the accounts before it one by one) skips it when another replica's pass has synced and moved it since."""
        async with self.database.reader() as session:
            found = await session.scalar(
                select(AutoSync.integration_id).where(
                    AutoSync.integration_id == integration_id, AutoSync.next_due_at <= now
                )
            )
            return found is not None

    async def move_on(self, integration_id: int, now: datetime) -> bool:
        """Move an account due at `now` to its next run (with jitter); False when it is not due at `now` any more:
        another pass moved it already (so a run is never skipped twice over), or it was changed or turned off."""
        async with self.database.writer() as session:
            every_hours = await session.scalar(
                select(AutoSync.every_hours)
                .where(AutoSync.integration_id == integration_id, AutoSync.next_due_at <= now)
                .with_for_update()
            )
            if every_hours is None:
                return False
            moved = next_run(now, every_hours, self.hour_seconds)
            await session.execute(
                update(AutoSync)
                .where(AutoSync.integration_id == integration_id, AutoSync.next_due_at <= now)
                .values(next_due_at=moved)
            )
            return True

    async def first_success(self, integration_id: int) -> bool:
        """Whether the account's only sync that ended well is its last one (the moment to offer auto-sync)."""
        async with self.database.reader() as session:
            found = await session.scalar(
                select(func.count()).where(SyncRun.integration_id == integration_id, SyncRun.status == SyncStatus.OK)
            )
            return found == 1

    async def muted(self, telegram_user_id: int) -> bool:
        async with self.database.reader() as session:
            user = await UserRepository(session).by_telegram_id(telegram_user_id)
            return user is not None and await session.get(NoticeMute, user.id) is not None

    async def mute(self, telegram_user_id: int, muted: bool) -> None:
        async with self.database.writer() as session:
            user = await UserRepository(session).ensure(telegram_user_id)
            row = await session.get(NoticeMute, user.id)
            if muted and row is None:
                session.add(NoticeMute(user_id=user.id))
            elif not muted and row is not None:
                await session.delete(row)

    async def problem_to_tell(self, result: SyncResult) -> str | None:
        """The problem of an automatic run worth a notice: a failed or partial sync whose problem was not told yet.
        A sync that ended well forgets the last problem. Stored before the notice goes out (at most once)."""
        return await self._remember(result.integration_id, SYNC_NOTICE, _problem_of(result))

    async def expiries_to_tell(self, now: datetime | None = None) -> list[ExpiringKey]:
        """Keys that expire within EXPIRY_WARNING and were not warned of for that date yet (each remembered)."""
        now = now or utcnow()
        async with self.database.reader() as session:
            rows = (
                await session.execute(
                    select(Credential.integration_id, Credential.expires_at, Integration.account_name)
                    .add_columns(User.telegram_user_id, User.language, User.timezone, NoticeMute.user_id)
                    .join(Integration, Integration.id == Credential.integration_id)
                    .join(User, User.id == Integration.user_id)
                    .outerjoin(NoticeMute, NoticeMute.user_id == User.id)
                    .where(Credential.expires_at > now, Credential.expires_at <= now + EXPIRY_WARNING)
                )
            ).all()
        found = []
        for integration_id, expires_at, name, telegram_user_id, language, zone, muted_by in rows:
            if await self._remember(integration_id, EXPIRY_NOTICE, expires_at.date().isoformat()) is not None:
                due = DueSync(telegram_user_id, integration_id, name, language, muted_by is not None)
                found.append(ExpiringKey(due, expires_at, zone))
        return found

    async def _remember(self, integration_id: int, kind: str, problem: str | None) -> str | None:
        """`problem` if it is new for this account and kind (now remembered); None if told already or none."""
        async with self.database.writer() as session:
            row = await session.get(AccountNotice, (integration_id, kind))
            if problem is None:
                if row is not None:
                    await session.delete(row)
                return None
            if row is not None and row.problem == problem:
                return None
            if row is None:
                session.add(
                    AccountNotice(integration_id=integration_id, kind=kind, problem=problem, notified_at=utcnow())
                )
            else:
                row.problem, row.notified_at = problem, utcnow()
            return problem


def _problem_of(result: SyncResult) -> str | None:
    if result.status is SyncStatus.OK:
        return None
    if result.status_detail:
        return f"{result.status}:{result.status_detail}"
    failing = sorted({e.diagnosis.code for e in result.endpoints if e.diagnosis is not None})
    return f"{result.status}:{','.join(failing)}"[:64]
