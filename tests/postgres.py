"""A throw-away PostgreSQL database per test, on the server the machine runs (or TALLYBOT_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    return os.environ.get("TALLYBOT_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """Yield the SQLAlchemy URL of a new empty database; drop it afterwards.

    Skips with the reason when no server answers, unless TALLYBOT_REQUIRE_POSTGRES=1 (CI), where that
    is a failure: the PostgreSQL path must not go untested silently.
    """
    url = admin_url()
    try:
        admin = await asyncpg.connect(_dsn(url), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {type(exc).__name__}"
        if os.environ.get("TALLYBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"tallybot_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
