"""A pooled PostgreSQL connection is pinged before use only after sitting idle (db/engine.py `_install_idle_ping`):
a connection back in the pool within PING_IDLE_AFTER goes out without the asyncpg dialect's three-round-trip ping;
an idle one is pinged, and when the server has dropped it the session gets a fresh connection instead of an error.
The database is reached through a relay that counts round trips and can drop every connection
(tests/support/pg_round_trips.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError

import db.engine
from db.engine import Database
from tests.postgres import fresh_database
from tests.support.pg_round_trips import CountingRelay

PING = ["BEGIN;", ";", "ROLLBACK;"]  # SQLAlchemy's asyncpg dialect: a ping inside its own transaction


@pytest.fixture
async def relayed() -> AsyncIterator[tuple[Database, CountingRelay]]:
    async with fresh_database() as url:
        server = make_url(url)
        relay = CountingRelay(server.host or "127.0.0.1", server.port or 5432)
        await relay.start()
        database = Database(make_url(url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False))
        try:
            yield database, relay
        finally:
            await database.dispose()
            await relay.close()


async def one_read(database: Database, relay: CountingRelay) -> list[str]:
    mark = len(relay.trips)
    async with database.reads() as session:
        assert await session.scalar(text("SELECT 41 + 1")) == 42
    return relay.since(mark)


async def test_a_connection_used_recently_goes_out_unpinged(relayed: tuple[Database, CountingRelay]) -> None:
    database, relay = relayed
    await one_read(database, relay)  # connects and prepares
    assert await one_read(database, relay) == ["SELECT 41 + 1"]


async def test_an_idle_connection_is_pinged_and_replaced_when_the_server_dropped_it(
    relayed: tuple[Database, CountingRelay], monkeypatch: pytest.MonkeyPatch
) -> None:
    database, relay = relayed
    await one_read(database, relay)
    monkeypatch.setattr(db.engine, "PING_IDLE_AFTER", 0.0)  # every connection in the pool counts as idle
    assert await one_read(database, relay) == [*PING, "SELECT 41 + 1"]

    await relay.close()  # the server side of every pooled connection is gone (a restart, an idle timeout)
    await relay.start()
    assert (await one_read(database, relay))[-1] == "SELECT 41 + 1"  # no error: the ping failed, a new connection


async def test_a_recently_used_connection_the_server_dropped_fails_one_read_and_the_next_connects_afresh(
    relayed: tuple[Database, CountingRelay],
) -> None:
    """The price of not pinging a connection used within PING_IDLE_AFTER (docs/BENCHMARKS.md §3): a server gone in
    those seconds fails the one statement that finds it gone; SQLAlchemy then invalidates the pool, and the next
    session connects anew."""
    database, relay = relayed
    await one_read(database, relay)
    await relay.close()
    await relay.start()
    with pytest.raises(InterfaceError):
        await one_read(database, relay)
    assert (await one_read(database, relay))[-1] == "SELECT 41 + 1"
