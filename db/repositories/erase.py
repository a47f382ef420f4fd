"""Everything Tallybot holds about one user, counted and deleted (issue 18, item 6).

`ERASED` names every table that holds a user's rows, in the order they are deleted; `NOT_USER_DATA` every other
table, with why. tests/test_erase_coverage.py compares both with the tables of a migrated database, so a new table
fails that test until it is placed in one of them (and, when it holds user data, deleted here).

The order matters on PostgreSQL. The sync leases go first: a sync's page transaction renews (locks) its lease row
before it inserts records, so deleting the lease waits for a page being written to commit, and every later page
finds no lease and writes nothing (bot/sync/lease.py's fence). The tables below the lease are then deleted with
statements that see that last page. Deleting the integrations first instead would lock them while a page waited on
them for its foreign key check, and the page held the lease the delete needs: a deadlock.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.models import (
    AccountNotice,
    AssistantDraft,
    AutoSync,
    Credential,
    EndpointState,
    Integration,
    NoticeMute,
    OpenProgressMessage,
    PendingUpload,
    ReconciledBalance,
    Reconciliation,
    SyncLease,
    SyncRun,
    Transaction,
    TransactionSource,
    User,
)

# Every table holding a user's rows, in the order they are deleted (see the module's docstring for why).
ERASED = (
    "sync_leases",
    "transactions",
    "endpoint_states",
    "sync_runs",
    "reconciled_balances",
    "reconciliations",
    "auto_syncs",
    "account_notices",
    "credentials",
    "integrations",
    "assistant_drafts",
    "open_progress_messages",
    "notice_mutes",
    "pending_uploads",
    "users",
    "procrastinate_events",
    "procrastinate_jobs",
)
# The sync job queue's tables (procrastinate's schema, db/migrate.py apply_job_schema): on PostgreSQL with sync
# workers only, so a database without them lacks these names of ERASED and NOT_USER_DATA.
JOB_QUEUE_TABLES = frozenset(
    {"procrastinate_jobs", "procrastinate_events", "procrastinate_workers", "procrastinate_periodic_defers"}
)
# Tables that hold nothing about a user.
NOT_USER_DATA = frozenset(
    {
        "instance_leases",  # which bot process holds the database for a bot token: a host name and a pid
        "alembic_version",  # the schema's revision
        "webhook_updates",  # the update ids webhook replicas took: a bot id, a number and a time, nobody's
        # when the bot's next message may go, overall and per chat: a chat's row is a number deleted a minute after
        # the chat's last message (bot/telegram_budget.py), the "your data is deleted" message included
        "telegram_budget",
        "procrastinate_workers",  # a worker process's id and last heartbeat
        # which periodic task (the due pass, the stalled-job check) was deferred at which tick: no user's job
        "procrastinate_periodic_defers",
    }
)
# Tables keyed by an integration of the user, with their model.
_BY_INTEGRATION: dict[str, Any] = {
    "sync_leases": SyncLease,
    "endpoint_states": EndpointState,
    "sync_runs": SyncRun,
    "reconciled_balances": ReconciledBalance,
    "reconciliations": Reconciliation,
    "auto_syncs": AutoSync,
    "account_notices": AccountNotice,
    "credentials": Credential,
}
FILE_TRANSACTIONS = "transactions_from_files"

# The user's sync jobs (a /sync press, an automatic run, a quote scan): every one carries their Telegram id in its
# arguments and holds its account's lock (bot/jobs/queue.py lock_of: "integration:<id>"). A job a worker runs now
# ("doing") is left to it: procrastinate's worker finishes its own row and fails when the row is gone. That job loses
# its lease in this same transaction, is retried, finds no account and ends well, and an ended job is deleted.
_USER_JOBS = (
    "SELECT id FROM procrastinate_jobs WHERE status <> 'doing' "
    "AND (args->>'telegram_user_id' = :telegram_user_id OR lock IN :locks)"
)
_JOB_QUERIES = {
    "procrastinate_events": "procrastinate_events WHERE job_id IN ({jobs})",
    "procrastinate_jobs": "procrastinate_jobs WHERE id IN ({jobs})",
}  # a count of its own: part of "transactions"


@dataclass(frozen=True, slots=True)
class UserRows:
    """How many rows of each table (`ERASED` names) belong to one user; `user_id` is their users row."""

    user_id: int
    counts: dict[str, int]
    # (exchange id, credential id) of the user's keys: the caller closes their exchange clients.
    keys: tuple[tuple[str, str], ...] = ()

    def __getitem__(self, table: str) -> int:
        return self.counts.get(table, 0)


def _in(column: Any, values: Collection[int]) -> ColumnElement[bool]:
    return column.in_(list(values))  # type: ignore[no-any-return]


class EraseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _user(self, telegram_user_id: int) -> User | None:
        return await self.session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))

    async def _integrations(self, user_id: int) -> list[int]:
        return list((await self.session.scalars(select(Integration.id).where(Integration.user_id == user_id))).all())

    async def _keys(self, integration_ids: Sequence[int]) -> tuple[tuple[str, str], ...]:
        if not integration_ids:
            return ()
        rows = await self.session.execute(
            select(Integration.exchange_id, Credential.id)
            .join(Credential, Credential.integration_id == Integration.id)
            .where(_in(Integration.id, integration_ids))
        )
        return tuple((str(exchange), str(credential)) for exchange, credential in rows)

    async def count(self, telegram_user_id: int, chat_ids: Collection[int]) -> UserRows | None:
        """What `erase` would delete now; None when Tallybot has no row for this user."""
        user = await self._user(telegram_user_id)
        if user is None:
            return None
        ids = await self._integrations(user.id)
        counts = {"users": 1, "integrations": len(ids)}
        for table, model in _BY_INTEGRATION.items():
            counts[table] = await self._count(model, _in(model.integration_id, ids)) if ids else 0
        mine = _in(Transaction.integration_id, ids)
        counts["transactions"] = await self._count(Transaction, mine) if ids else 0
        from_files = mine & (Transaction.source == str(TransactionSource.FILE))
        counts[FILE_TRANSACTIONS] = await self._count(Transaction, from_files) if ids else 0
        counts["assistant_drafts"] = await self._count(
            AssistantDraft, AssistantDraft.telegram_user_id == telegram_user_id
        )
        counts["open_progress_messages"] = await self._count(
            OpenProgressMessage, _in(OpenProgressMessage.chat_id, chat_ids)
        )
        counts["notice_mutes"] = await self._count(NoticeMute, NoticeMute.user_id == user.id)
        counts["pending_uploads"] = await self._count(PendingUpload, PendingUpload.telegram_user_id == telegram_user_id)
        for table in _JOB_QUERIES:
            counts[table] = await self._jobs("SELECT count(*) FROM", table, telegram_user_id, ids)
        return UserRows(user.id, counts, await self._keys(ids))

    async def _count(self, model: Any, condition: ColumnElement[bool]) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(model).where(condition)) or 0)

    async def erase(self, telegram_user_id: int, chat_ids: Collection[int], *, user_id: int) -> UserRows | None:
        """Delete every row of the user, if their users row is still `user_id` (a confirmation made for an earlier
        incarnation of the user, deleted since, deletes nothing); None when it is not. Call inside one transaction.
        Returns how many rows each table lost and the keys that were deleted."""
        user = await self._user(telegram_user_id)
        if user is None or user.id != user_id:
            return None
        ids = await self._integrations(user.id)
        keys = await self._keys(ids)
        counts: dict[str, int] = {}
        for table in ERASED:
            if table == "transactions":
                mine = _in(Transaction.integration_id, ids)
                from_files = await self._delete(Transaction, mine & (Transaction.source == str(TransactionSource.FILE)))
                counts[FILE_TRANSACTIONS] = from_files
                counts[table] = from_files + await self._delete(Transaction, mine)
            elif table in _BY_INTEGRATION:
                model = _BY_INTEGRATION[table]
                counts[table] = await self._delete(model, _in(model.integration_id, ids))
            elif table == "integrations":
                counts[table] = await self._delete(Integration, Integration.user_id == user.id)
            elif table == "assistant_drafts":
                counts[table] = await self._delete(AssistantDraft, AssistantDraft.telegram_user_id == telegram_user_id)
            elif table == "open_progress_messages":
                counts[table] = await self._delete(OpenProgressMessage, _in(OpenProgressMessage.chat_id, chat_ids))
            elif table == "notice_mutes":
                counts[table] = await self._delete(NoticeMute, NoticeMute.user_id == user.id)
            elif table == "pending_uploads":
                counts[table] = await self._delete(PendingUpload, PendingUpload.telegram_user_id == telegram_user_id)
            elif table == "users":
                counts[table] = await self._delete(User, User.id == user.id)
            elif table in _JOB_QUERIES:
                counts[table] = await self._jobs("DELETE FROM", table, telegram_user_id, ids)
            else:  # pragma: no cover - a table listed in ERASED without a way to delete it
                raise NotImplementedError(f"no deletion for table {table}")
        if not counts["users"]:  # a deletion in another transaction (a second press, another replica) came first
            return None
        return UserRows(user.id, counts, keys)

    async def _delete(self, model: Any, condition: ColumnElement[bool]) -> int:
        result: Any = await self.session.execute(
            delete(model).where(condition).execution_options(synchronize_session=False)
        )
        return max(int(result.rowcount or 0), 0)

    async def _jobs(self, verb: str, table: str, telegram_user_id: int, integration_ids: Sequence[int]) -> int:
        """Count or delete the user's rows of a job queue table; 0 where the database has no job queue (SQLite, or
        PostgreSQL without sync workers)."""
        if self.session.get_bind().dialect.name != "postgresql" or not await self._has_job_queue():
            return 0
        sql = f"{verb} {_JOB_QUERIES[table].format(jobs=_USER_JOBS)}"
        statement = text(sql).bindparams(bindparam("locks", expanding=True))
        locks = [":".join(("integration", str(i))) for i in integration_ids]
        values = {"telegram_user_id": str(telegram_user_id), "locks": locks}
        result: Any = await self.session.execute(statement, values)
        return int(result.scalar_one()) if verb.startswith("SELECT") else max(int(result.rowcount or 0), 0)

    async def _has_job_queue(self) -> bool:
        return await self.session.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")) is True
