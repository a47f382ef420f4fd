"""Start-up checks that turn a broken environment into one line naming the fix (issue 12, findings 6 and 12).

Each failure raises StartupError with a message a person can act on: no traceback, no secret (database URLs are
shown with the password hidden, the bot token never). What is checked, in order:

- the data directory can be written (SQLite's journal, the key file);
- an embedded SQLite file is a whole database: not empty while `master.key` shows the directory held data, not
  cut short (the size its header declares), not garbage;
- the database can be reached and migrated;
- the master key ring opens the stored credentials: a key file is never generated over a database that holds
  credentials, and a wrong TALLYBOT_MASTER_KEY stops the start instead of every sync hanging later.
"""

from __future__ import annotations

import errno
import uuid
from collections import defaultdict

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from bot.credentials import CredentialOwner, open_fields
from bot.settings import SQLITE_FILE_NAME, ConfigError, Settings
from bot.vault import KEY_FILE_NAME, KeyRing, Vault, VaultError, key_file_path, load_key_ring
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models import Credential
from db.repositories import CredentialRepository

SQLITE_MAGIC = b"SQLite format 3\x00"
# Credentials tried per master key id: one proves the key, a few guard against one damaged row.
SAMPLES_PER_KEY = 3


class StartupError(Exception):
    """The program cannot start; the message is one line naming the problem and its fix."""


# Query parameters whose values are secrets (`?password=`, `&sslpassword=`, `sslkey`, `token`...): hide_password
# hides only the password between user and host, never the query string.
_SECRET_PARAMETER_WORDS = ("pass", "secret", "key", "token")
MASKED = "***"


def shown_url(url: str) -> str:
    """The URL to print: its password and every secret-looking query value masked."""
    parsed = make_url(url)
    # A placeholder of plain letters: rendering percent-encodes the asterisks of MASKED.
    placeholder = f"masked{uuid.uuid4().hex}"
    masked = {
        name: (placeholder if any(word in name.lower() for word in _SECRET_PARAMETER_WORDS) else value)
        for name, value in parsed.query.items()
    }
    return parsed.set(query=masked).render_as_string(hide_password=True).replace(placeholder, MASKED)


# The drivers Tallybot's async engine is built and tested on. Another one may be installed (psycopg 3 is, for the
# sync job queue) and SQLAlchemy would take it for a bare `postgresql://`, but the engine's options, error reading
# and start-up checks are asyncpg's: such a URL is refused here rather than half-working.
_ENGINE_DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")


def open_engine(settings: Settings) -> Database:
    """The engine for DATABASE_URL, or StartupError: a URL SQLAlchemy cannot parse, or one naming a driver that is
    not one of ours (`postgresql://` means psycopg), or is not installed, fails here, before any connection."""
    try:
        driver = make_url(settings.effective_database_url).drivername
        if driver not in _ENGINE_DRIVERS:
            raise StartupError(
                f"DATABASE_URL names the database driver {driver}, which Tallybot does not use: "
                "write it as postgresql+asyncpg://user:password@host:5432/database"
            )
        return Database(settings.effective_database_url)
    except ArgumentError:  # its text repeats the URL, password included
        raise StartupError(
            "DATABASE_URL is not a database URL: write it as postgresql+asyncpg://user:password@host:5432/database"
        ) from None
    except ImportError as error:
        driver = getattr(error, "name", None) or "its driver"
        raise StartupError(
            f"DATABASE_URL names a database driver that is not installed ({driver}): "
            "write it as postgresql+asyncpg://user:password@host:5432/database"
        ) from None
    except ValueError:  # e.g. a port that is not a number; its text may quote part of the URL
        raise StartupError(
            "DATABASE_URL is malformed (check the port and the characters in the password, which must be "
            "percent-encoded): write it as postgresql+asyncpg://user:password@host:5432/database"
        ) from None


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:160]


# -- files ---------------------------------------------------------------------------------------------------------


def check_data_directory(settings: Settings) -> None:
    """The data directory exists (created if missing) and can be written."""
    directory = settings.data_dir.resolve()
    if not (settings.uses_embedded_database or settings.master_key is None):
        return  # nothing of ours lives there
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".tallybot-write-test-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise StartupError(
            f"the data directory {directory} cannot be written ({_reason(error)}): "
            "make it writable by this user, or point TALLYBOT_DATA_DIR elsewhere"
        ) from None


def check_sqlite_file(settings: Settings) -> None:
    """An embedded database file that exists must be a whole SQLite database."""
    if not settings.uses_embedded_database:
        return
    path = (settings.data_dir / SQLITE_FILE_NAME).resolve()
    if not path.exists():
        return
    size = path.stat().st_size
    key_file = key_file_path(settings)
    if size == 0:
        if key_file.exists():
            raise StartupError(
                f"the database {path} is empty (0 bytes) but {KEY_FILE_NAME} beside it shows it held data: "
                "restore the database from a backup (to start afresh instead, move both files away)"
            )
        return  # an empty file and no key: nothing was ever stored, SQLite starts a new database
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise StartupError(
            f"the database {path} is not an SQLite database (damaged or overwritten): restore it from a backup"
        )
    declared = _declared_size(header)
    wal = path.with_name(path.name + "-wal")
    # In WAL mode the header may lag behind pages still in the -wal file; it never declares more than is there.
    if declared is not None and size < declared and not (wal.exists() and wal.stat().st_size > 0):
        raise StartupError(f"the database {path} is truncated ({size} of {declared} bytes): restore it from a backup")


def _declared_size(header: bytes) -> int | None:
    """The database size the header declares (page size x page count), when the header says it is valid."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    change_counter, valid_for = header[24:28], header[92:96]
    if page_count == 0 or change_counter != valid_for:
        return None
    return page_size * page_count


# -- the database --------------------------------------------------------------------------------------------------


def describe_database_error(error: BaseException, settings: Settings) -> str:
    url = settings.effective_database_url
    if settings.uses_embedded_database:
        where = str(settings.data_dir.resolve() / SQLITE_FILE_NAME)
        reason = _reason(error)
        if (
            "readonly" in reason
            or "read-only" in reason
            or (isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EROFS, errno.EPERM))
        ):
            return f"the database {where} cannot be written ({reason}): make it and its directory writable"
        if "malformed" in reason or "not a database" in reason:
            return f"the database {where} is damaged ({reason}): restore it from a backup"
        return f"the database {where} cannot be opened ({reason}): check the file and its directory"
    if isinstance(error, OSError) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return (
            f"cannot reach the database at {shown_url(url)} ({_reason(error)}): start the server, or fix DATABASE_URL"
        )
    return f"the database at {shown_url(url)} refused to start ({_reason(error)}): check DATABASE_URL and the server"


async def open_database(settings: Settings) -> Database:
    """The migrated database, or StartupError."""
    check_data_directory(settings)
    check_sqlite_file(settings)
    database = open_engine(settings)
    try:
        await upgrade_to_head(database)
    except (OSError, SQLAlchemyError) as error:
        await database.dispose()
        raise StartupError(describe_database_error(error, settings)) from None
    except TypeError as error:
        await database.dispose()
        if "keyword argument" not in str(error):
            raise
        # asyncpg's connect() is handed the URL's query parameters; it names the first one it does not know.
        shown = shown_url(settings.effective_database_url)
        raise StartupError(
            f"the database driver does not accept an option in DATABASE_URL {shown} "
            f"({_reason(error)}): remove it from the URL's query string"
        ) from None
    except BaseException:
        await database.dispose()
        raise
    return database


# -- the key ring --------------------------------------------------------------------------------------------------


async def stored_credentials(database: Database) -> int:
    async with database.reader() as session:
        return len(await CredentialRepository(session).with_owners())


async def checked_key_ring(settings: Settings, database: Database) -> KeyRing:
    """The key ring, proved to open the stored credentials (a sample per key id)."""
    count = await stored_credentials(database)
    if count and settings.master_key is None and not key_file_path(settings).exists():
        raise StartupError(
            f"{key_file_path(settings)} is missing but the database holds {count} stored key(s) sealed under it: "
            f"put the backed-up {KEY_FILE_NAME} back (or set TALLYBOT_MASTER_KEY); a new key would not open them"
        )
    try:
        ring = load_key_ring(settings)
    except OSError as error:
        raise StartupError(
            f"the master key file {key_file_path(settings)} cannot be read or written ({_reason(error)})"
        ) from None
    except ConfigError as error:
        raise StartupError(str(error)) from None
    await verify_key_ring(database, ring)
    return ring


async def verify_key_ring(database: Database, ring: KeyRing) -> None:
    vault = Vault(ring)
    by_key: dict[str, list[tuple[CredentialOwner, Credential]]] = defaultdict(list)
    async with database.reader() as session:
        for credential, telegram_user_id, exchange in await CredentialRepository(session).with_owners():
            envelope = next(iter(credential.sealed.values()), None)
            key_id = envelope.get("k") if isinstance(envelope, dict) else None
            if key_id is not None and len(by_key[key_id]) < SAMPLES_PER_KEY:
                by_key[key_id].append((CredentialOwner(telegram_user_id, credential.id, exchange), credential))
    for key_id, samples in by_key.items():
        if key_id not in ring.ids:
            raise StartupError(
                f"stored keys are sealed under master key {key_id}, which is not in the key ring "
                f"(ring: {', '.join(ring.ids)}): restore the master key they were sealed with "
                "(the backed-up master.key, or the older key in TALLYBOT_MASTER_KEY)"
            )
        opened = 0
        for owner, credential in samples:
            try:
                open_fields(vault, owner, credential)
                opened += 1
            except VaultError:
                continue
        if not opened:
            raise StartupError(
                f"stored keys do not open under the master key with id {key_id} (a different key with the same id "
                "cannot exist, so the database rows are damaged): restore the database from a backup"
            )
