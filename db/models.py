"""The typed schema: users, integrations, encrypted credentials, sync state and transactions."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import ExactDecimal, UTCDateTime, utcnow

# Named constraints, so Alembic migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")
# Every table keyed by a BigId takes these table args: with AUTOINCREMENT, SQLite never hands out the id of a deleted
# row again (without it, the id of a deleted last row is reused), so an id a stale button or link still carries can
# never name a newer row. PostgreSQL's sequences never reuse ids anyway.
NO_REUSED_IDS = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: ExactDecimal(), dict[str, Any]: JSON()}  # noqa: RUF012


class IntegrationStatus(enum.StrEnum):
    NEVER_SYNCED = "never_synced"
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    DISCONNECTED = "disconnected"  # key removed, synced history kept


class TransactionSource(enum.StrEnum):
    API = "api"
    FILE = "file"


class User(Base):
    __tablename__ = "users"
    __table_args__ = NO_REUSED_IDS

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The language tag the user reads Tallybot in (Telegram's language_code at first contact); None until known.
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    integrations: Mapped[list[Integration]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Integration(Base):
    """One connected exchange account, e.g. "Bitget-1"."""

    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("user_id", "account_name", name="uq_integrations_user_account"), NO_REUSED_IDS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    exchange_id: Mapped[str] = mapped_column(String(64))
    account_name: Mapped[str] = mapped_column(String(64))
    subaccount: Mapped[str | None] = mapped_column(String(128))
    key_type: Mapped[str] = mapped_column(String(32), default="default")
    # Advanced options: sync_from (ISO date), enabled endpoints, and the like.
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=IntegrationStatus.NEVER_SYNCED)
    status_detail: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="integrations")
    credential: Mapped[Credential | None] = relationship(
        back_populates="integration", cascade="all, delete-orphan", uselist=False
    )


class Credential(Base):
    """The encrypted key set of an integration; `sealed` maps each field to its AES-GCM envelope."""

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), unique=True)
    key_type: Mapped[str] = mapped_column(String(32), default="default")
    sealed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # "…7f3a" of the API key, so the user can tell keys apart without anything being decrypted.
    api_key_fingerprint: Mapped[str] = mapped_column(String(16), default="…")
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    integration: Mapped[Integration] = relationship(back_populates="credential")


class EndpointState(Base):
    """Sync progress of one endpoint (and market, where the exchange pages per market)."""

    __tablename__ = "endpoint_states"
    __table_args__ = (
        UniqueConstraint("integration_id", "endpoint", "market", name="uq_endpoint_states_key"),
        NO_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(32))
    market: Mapped[str] = mapped_column(String(64), default="")
    cursor: Mapped[dict[str, Any] | None]
    covered_until: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_success_at: Mapped[datetime | None]
    last_error_code: Mapped[str | None] = mapped_column(String(64))
    # Why it was skipped, as a catalogue text ({id, args}), never English; why it failed is last_error_code.
    last_note: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = NO_REUSED_IDS

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=IntegrationStatus.RUNNING)
    # Per endpoint: fetched, new, already known, covered range, diagnosis code.
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Transaction(Base):
    """One normalized movement: a trade, deposit, withdrawal, convert, transfer, reward or fee."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("integration_id", "natural_key", name="uq_transactions_natural_key"),
        Index("ix_transactions_integration_time", "integration_id", "occurred_at"),
        NO_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    # The exchange's own id where it has one, else a hash of canonical fields: makes re-syncs idempotent.
    natural_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    exchange_tx_id: Mapped[str | None] = mapped_column(String(128))
    market: Mapped[str | None] = mapped_column(String(64))
    side: Mapped[str | None] = mapped_column(String(32))  # buy, sell, or a ledger entry type
    asset: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal]
    quote_asset: Mapped[str | None] = mapped_column(String(32))
    quote_amount: Mapped[Decimal | None]
    price: Mapped[Decimal | None]
    fee_asset: Mapped[str | None] = mapped_column(String(32))
    fee_amount: Mapped[Decimal | None]
    source: Mapped[str] = mapped_column(String(8), default=TransactionSource.API)
    raw: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssistantDraft(Base):
    """An Assistant conversation in progress: where the user is, and the secrets typed so far, sealed.

    Kept in the database so a restart resumes the flow; wiped on finish, /cancel or timeout.
    """

    __tablename__ = "assistant_drafts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # Changes with every new flow; buttons carry it, so a button from an older menu is recognised.
    token: Mapped[str] = mapped_column(String(12))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sealed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncLease(Base):
    """Who is syncing an integration right now. One row per running sync, safe across processes: taken by an
    insert (or by taking over a row whose holder let it expire, e.g. a crashed process), renewed while the sync
    runs, checked by every page's commit, and deleted when the sync ends."""

    __tablename__ = "sync_leases"

    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(400))  # bot/process_identity.py: host name and process identity
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class InstanceLease(Base):
    """Who holds the database for a bot token ("bot:<bot id>") or for a master-key rotation ("rotation"), with a
    heartbeat (`expires_at`): a second instance of the same bot, or a rotation while a bot runs, is refused."""

    __tablename__ = "instance_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(400))  # bot/process_identity.py: host name and process identity
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class OpenProgressMessage(Base):
    """A progress message (sync or upload) a bot instance is keeping up to date; deleted when it is closed, so the
    rows left behind after a crash name the messages the next instance must close."""

    __tablename__ = "open_progress_messages"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    holder: Mapped[str] = mapped_column(String(400))  # bot/process_identity.py: host name and process identity
    kind: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]


class WebhookUpdate(Base):
    """An update a webhook replica took (bot/webhook_updates.py): Telegram may send one again, to any replica, and it
    is processed once. Deleted once Telegram can no longer send it (it keeps an update at most 24 hours)."""

    __tablename__ = "webhook_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class Reconciliation(Base):
    """The latest comparison of an account's balances at the exchange with the balances its stored history explains.

    One row per integration, replaced after every sync. `outcome` is a code (balanced, unexplained, unread: the
    balances could not be read); `error_code` a diagnosis code when unread. Never English: /status renders it.
    """

    __tablename__ = "reconciliations"

    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True)
    checked_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    # Wallets the balance read covered, and which of them failed: what the comparison can vouch for.
    wallets: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReconciledBalance(Base):
    """One asset of a reconciliation: what the exchange reports, what the history explains, and the likeliest cause
    of a difference (a code with its arguments, e.g. deposits before the API's reach and the years to upload)."""

    __tablename__ = "reconciled_balances"
    __table_args__ = (
        UniqueConstraint("integration_id", "asset", name="uq_reconciled_balances_asset"),
        NO_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    asset: Mapped[str] = mapped_column(String(32))
    reported: Mapped[Decimal]
    explained: Mapped[Decimal]
    cause: Mapped[str | None] = mapped_column(String(64))
    cause_args: Mapped[dict[str, Any] | None]


class AutoSync(Base):
    """An account the user asked to be synced by itself (bot/autosync.py): how often, and when next. No row: off."""

    __tablename__ = "auto_syncs"

    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True)
    every_hours: Mapped[int] = mapped_column(Integer)
    next_due_at: Mapped[datetime] = mapped_column(index=True)


class AccountNotice(Base):
    """The last notice an account was sent of each kind ("sync": its automatic sync's problem, a status and diagnosis
    code; "expiry": the date its key expires), so one problem is told once until it changes. A sync that ends well
    deletes its "sync" row."""

    __tablename__ = "account_notices"

    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    problem: Mapped[str] = mapped_column(String(64))
    notified_at: Mapped[datetime]


class NoticeMute(Base):
    """A user who muted the notices of automatic syncs (/settings); no row: notices are on."""

    __tablename__ = "notice_mutes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    muted_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingUpload(Base):
    """A file sent to the bot, waiting for the user to pick its account (handlers/files.py): the buttons carry
    `token`, and any bot replica answers them. Only Telegram's file id and the file's name are kept (the file is
    fetched again once an account is picked); deleted by the import's own commit, when newer uploads push it out, and
    by "delete all my data".

    A press that imports claims the row (`claimed_by`, until `claimed_until`) instead of taking it out, so a process
    that dies mid-import leaves it behind: once the claim lapses the buttons work again (bot/pending_uploads.py)."""

    __tablename__ = "pending_uploads"

    token: Mapped[str] = mapped_column(String(16), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    file_id: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The press importing it: a random id, so only that press gives it back or finishes it. NULL when unclaimed.
    claimed_by: Mapped[str | None] = mapped_column(String(16), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)


class TelegramBudget(Base):
    """One of Telegram's sending limits, shared by every process that sends as the bot (bot/telegram_budget.py):
    `key` names it (`*` for the overall limit, else the chat's id), `next_at` is when its next message may go
    (seconds of the database's clock, GCRA's theoretical arrival time)."""

    __tablename__ = "telegram_budget"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)
