"""Setup shared by the fetch tests that walk an exchange emulator through the real ccxt client (bitbank, bitFlyer,
Coincheck): the profile with pages shrunk so every list pages, a client with a read-only demo key, one endpoint's
walk keeping each page's cursor as the sync engine commits it, and the record fields the tests compare.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, Fetcher, FetchReport
from connectors.profiles import Endpoint, ExchangeProfile, get_profile
from connectors.records import NormalizedRecord
from sandbox.exchanges.base import ExchangeEmulator


def small_pages(exchange_id: str, pages: Mapping[Endpoint, int]) -> ExchangeProfile:
    """The exchange's profile with each endpoint's page size replaced (every endpoint of the profile is named)."""
    profile = get_profile(exchange_id)
    return replace(profile, endpoints=tuple(replace(s, page_size=pages[s.endpoint]) for s in profile.endpoints))


@asynccontextmanager
async def read_only_client(emulator: ExchangeEmulator) -> AsyncIterator[Any]:
    """A ccxt client of the emulator's exchange signing with a read-only demo key. ccxt's own throttle is taken
    out of the way: what a test meets is the emulator's limits (the exchange's documented ones), or none."""
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({emulator.exchange_id: emulator.base_url})
    try:
        credentials = {"apiKey": key.api_key, "secret": key.secret}
        async with pool.client(emulator.exchange_id, "fetch", credentials) as client:
            client.throttler.config["refillRate"] = 1e6
            yield client
    finally:
        await pool.close()


async def walk(
    fetcher: Fetcher,
    endpoint: Endpoint,
    cursors: dict[str, Cursor],
    *,
    since: datetime | None = None,
    pages: int | None = None,
    report: FetchReport | None = None,
) -> list[NormalizedRecord]:
    """One fetch of one endpoint up to now, keeping each page's cursor in `cursors` as the sync engine commits it
    (`pages`: stop after that many pages, as a sync stopped by a crash does)."""
    records: list[NormalizedRecord] = []
    fetched = fetcher.fetch(
        endpoint,
        since=since,
        until=datetime.now(UTC),
        cursors=dict(cursors),
        report=report if report is not None else FetchReport(),
    )
    count = 0
    async for page in fetched:
        records += page.records
        cursors[page.market] = page.cursor
        count += 1
        if pages is not None and count == pages:
            break
    return records


def ms(record: NormalizedRecord) -> int:
    return int(record.occurred_at.timestamp() * 1000)


def trades(records: list[NormalizedRecord]) -> set[tuple[object, ...]]:
    """A trade's fields as a test writes them from the scripted fills."""
    return {
        (r.market, r.side, r.amount, r.price, r.quote_amount, r.fee_asset, r.fee_amount, ms(r), r.exchange_tx_id)
        for r in records
    }


def moves(records: list[NormalizedRecord]) -> set[tuple[object, ...]]:
    """A deposit's or withdrawal's fields as a test writes them from the scripted moves."""
    return {(r.kind, r.asset, r.amount, r.fee_asset, r.fee_amount, ms(r)) for r in records}
