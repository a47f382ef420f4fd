"""A quote scan that waited for an account removed since (deleted, or its key removed after the summary offered the
scan, or while a worker's scan job waited behind another sync) ends without a word: it never says "scanning USDT for
<name>" about an account the user no longer has, and raises nothing (a worker's job would fail)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.integrations import IntegrationService
from bot.jobs.quote_scan import scan_and_tell, scan_quietly
from bot.reconcile import ReconcileService
from bot.reconcile.scan import QuoteScan
from bot.sync import SyncService
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from db.engine import Database


@pytest.fixture
async def scan(database: Database) -> AsyncIterator[QuoteScan]:
    integrations = IntegrationService(database, Vault(KeyRing([generate_key()])))
    pool = ClientPool()
    try:
        yield QuoteScan(SyncService(database, integrations, pool), ReconcileService(database, integrations, pool))
    finally:
        await pool.close()


async def both_ways(scan: QuoteScan, integration_id: int) -> list[str]:
    """What a scan after /sync and one after an automatic sync say about the account."""
    said: list[str] = []

    async def say(text: str) -> None:
        said.append(text)

    usdt = frozenset({"USDT"})
    await scan_and_tell(scan, say, 1001, integration_id, "Binance-1", usdt, "en")
    await scan_quietly(scan, say, 1001, integration_id, "Binance-1", usdt, "en")
    return said


async def test_a_scan_of_an_account_deleted_since_says_nothing(scan: QuoteScan) -> None:
    integrations = scan.sync.integrations
    account = await integrations.add_file_only(1001, exchange_id="binance", account_name="Binance-1")
    await integrations.delete(1001, account.id, keep_history=False)

    assert await both_ways(scan, account.id) == []


async def test_a_scan_of_an_account_without_a_key_says_nothing(scan: QuoteScan) -> None:
    """The key removed (the history kept): the account is listed, with nothing to scan with."""
    account = await scan.sync.integrations.add_file_only(1001, exchange_id="binance", account_name="Binance-1")
    assert account.fingerprint is None

    assert await both_ways(scan, account.id) == []


async def test_a_scan_of_another_users_account_says_nothing(scan: QuoteScan) -> None:
    account = await scan.sync.integrations.add_file_only(2002, exchange_id="binance", account_name="Binance-1")

    assert await both_ways(scan, account.id) == []
