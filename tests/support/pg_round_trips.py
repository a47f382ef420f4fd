"""A TCP relay in front of PostgreSQL that counts the round trips its clients make, and names each by its statement.

A round trip is a message after which the client waits for the server (PostgreSQL's frontend/backend protocol,
"Message Flow"): a simple Query ('Q') or the Sync ('S') that ends an extended-query batch (Parse/Bind/Describe/
Execute sent together wait for the one Sync). Counting these on the wire counts what a reply's latency is made of,
whatever driver or pool sent them (SQLAlchemy's asyncpg dialect, the Telegram budget's own asyncpg pool, pings,
BEGIN/COMMIT, a pool's reset). Each round trip is named by its SQL: the Query's text, or the text of the statement
the batch parsed or bound (asyncpg re-binds cached prepared statements by name: the relay remembers each name's text
per connection).

Only plain connections are read: an SSLRequest is answered "N" by the relay itself (the client then speaks plain
text, as libpq's and asyncpg's `prefer` do), so no TLS ever passes through.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RoundTrip:
    connection: int
    sql: str

    @property
    def words(self) -> str:
        """The statement's first words, one line: enough to tell a BEGIN from an upsert into a given table."""
        return " ".join(self.sql.split())[:80]


@dataclass
class _Connection:
    number: int
    statements: dict[str, str] = field(default_factory=dict)  # prepared statement name -> its SQL
    pending: str = ""  # the SQL of the batch since the last Sync


class CountingRelay:
    """Forwards connections from its own port to the database server's and records every round trip."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.trips: list[RoundTrip] = []
        self._server: asyncio.Server | None = None
        self._connections = 0
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    def since(self, mark: int, *, ignoring: Iterable[str] = ()) -> list[str]:
        """The round trips after `mark` (a `len(relay.trips)` taken before), by their first words, leaving out those
        whose SQL mentions one of `ignoring` (another task's work, e.g. the instance lease's heartbeat)."""
        skip = tuple(ignoring)
        trips = self.trips[mark:]
        left_out: set[int] = set()
        open_now: dict[int, list[int]] = {}  # connection -> its open transaction's round trips so far
        background: set[int] = set()  # connections whose open transaction is that other work's
        for index, trip in enumerate(trips):
            words = trip.words.upper()
            if words.startswith("BEGIN"):
                open_now[trip.connection] = []
            if trip.connection in open_now:
                open_now[trip.connection].append(index)
            if any(word in trip.sql for word in skip):
                # The whole transaction it belongs to is that other work's, its BEGIN and its end included.
                left_out.add(index)
                if trip.connection in open_now:
                    background.add(trip.connection)
            if words.startswith(("COMMIT", "ROLLBACK")):
                if trip.connection in background:
                    left_out.update(open_now.get(trip.connection, []))
                background.discard(trip.connection)
                open_now.pop(trip.connection, None)
        return [trip.words for index, trip in enumerate(trips) if index not in left_out]

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        state = _Connection(self._connections)
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self._writers |= {client_writer, server_writer}
        directions = {
            asyncio.ensure_future(self._from_client(state, client_reader, client_writer, server_writer)),
            asyncio.ensure_future(self._pipe(server_reader, client_writer)),
        }
        try:
            # Either side closing ends the connection for both (asyncpg's close waits for the server's).
            _done, running = await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
            for direction in running:
                direction.cancel()
            await asyncio.gather(*directions, return_exceptions=True)
        finally:
            for writer in (client_writer, server_writer):
                writer.close()
                self._writers.discard(writer)

    async def _from_client(
        self,
        state: _Connection,
        reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        server: asyncio.StreamWriter,
    ) -> None:
        # Start-up messages carry no type byte: SSL/GSS requests (answered "N" here), then the StartupMessage.
        while True:
            length = struct.unpack("!i", await reader.readexactly(4))[0]
            body = await reader.readexactly(length - 4)
            code = struct.unpack("!i", body[:4])[0]
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                client.write(b"N")
                await client.drain()
                continue
            server.write(struct.pack("!i", length) + body)
            break
        while True:
            kind = await reader.readexactly(1)
            length = struct.unpack("!i", await reader.readexactly(4))[0]
            body = await reader.readexactly(length - 4)
            self._read(state, kind, body)
            server.write(kind + struct.pack("!i", length) + body)
            await server.drain()

    def _read(self, state: _Connection, kind: bytes, body: bytes) -> None:
        if kind == b"Q":
            self.trips.append(RoundTrip(state.number, _cstring(body, 0)[0]))
        elif kind == b"P":
            name, end = _cstring(body, 0)
            sql = _cstring(body, end)[0]
            state.statements[name] = sql
            state.pending = state.pending or sql
        elif kind == b"B":
            _portal, end = _cstring(body, 0)
            statement = _cstring(body, end)[0]
            state.pending = state.pending or state.statements.get(statement, f"<statement {statement}>")
        elif kind == b"S":
            self.trips.append(RoundTrip(state.number, state.pending or "<sync>"))
            state.pending = ""

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()


def _cstring(body: bytes, start: int) -> tuple[str, int]:
    end = body.index(b"\0", start)
    return body[start:end].decode(), end + 1
