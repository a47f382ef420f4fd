"""Apply Alembic migrations from code: `tallybot migrate`, and automatically at start-up; on PostgreSQL, also the sync
job queue's schema (procrastinate's)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url

from db.engine import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        # ConfigParser interpolation would choke on a '%' in a password.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_to_head(database: Database) -> None:
    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    # A write transaction: on SQLite it holds the write lock, so two processes starting at once
    # migrate one after the other instead of both creating tables.
    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(upgrade)


async def current_revision(database: Database) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as connection:
        return await connection.run_sync(read)


# -- the job queue's tables (PostgreSQL only) -----------------------------------------------------------------------

# Any constant: it serialises processes applying the queue's schema at the same moment (bot, workers, migrate).
_JOB_SCHEMA_LOCK = 7_146_908_733


def libpq_url(url: str) -> str:
    """The PostgreSQL URL psycopg (and so procrastinate) reads, from SQLAlchemy's `postgresql+asyncpg://…`."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def apply_job_schema(url: str) -> bool:
    """Create procrastinate's tables, functions and triggers (its own schema.sql) when they are absent; True when
    they were created now. Idempotent and safe to run from several processes at once."""
    import psycopg
    from procrastinate.schema import SchemaManager

    async with await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True) as connection:
        await connection.execute("SELECT pg_advisory_lock(%s)", (_JOB_SCHEMA_LOCK,))
        try:
            found = await (await connection.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
            if found is not None and found[0] is not None:
                return False
            await connection.execute(SchemaManager.get_schema())
            return True
        finally:
            await connection.execute("SELECT pg_advisory_unlock(%s)", (_JOB_SCHEMA_LOCK,))
