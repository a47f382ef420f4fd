"""Binance transfers between spot and an isolated-margin pair (Get Cross Margin Transfer History with
`isolatedSymbol`), fetched as own-wallet TRANSFER records.

The scripted margin account (sandbox/exchanges/binance_margin.py) moved 600 USDT from spot into isolated ETHUSDT an
hour before borrowing there; the universal transfer history does not list that move (its isolated directions are
between cross and isolated margin only), so without this list the 600 USDT would have no record at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.binance import BinanceFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits

QUIET = AccountProfile(years=0.2, traded_markets=2, trades=10, deposits=1, withdrawals=1, converts=1, rewards=1)
UNLIMITED = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
PATH = "/sapi/v1/margin/transfer"


async def transfers(
    emulator: BinanceEmulator, since: datetime, cursors: dict[str, Cursor] | None = None
) -> tuple[list[NormalizedRecord], dict[str, Cursor], list[dict[str, Any]]]:
    """One sync of TRANSFERS: its records, its last cursor and the parameters of each isolated-transfer call."""
    key = emulator.add_key(label="read-only")
    pool = ClientPool({"binance": emulator.base_url})
    asked: list[dict[str, Any]] = []
    try:
        async with pool.client("binance", "isolated", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e9
            inner = client.sapiGetMarginTransfer

            async def spy(params: dict[str, Any]) -> Any:
                asked.append(dict(params))
                return await inner(params)

            client.sapiGetMarginTransfer = spy
            fetcher = BinanceFetcher(get_profile("binance"), client, uid_weight_per_minute=10**9)
            records: list[NormalizedRecord] = []
            cursor = dict(cursors or {})
            pages = fetcher.fetch(
                Endpoint.TRANSFERS, since=since, until=datetime.now(UTC), cursors=cursor, report=FetchReport()
            )
            async for page in pages:
                records.extend(page.records)
                cursor = {"": page.cursor}
    finally:
        await pool.close()
    return records, cursor, asked


def traded_margin(derivatives: bool = True) -> BinanceEmulator:
    """The scripted account, with its futures and margin history or without a margin account."""
    return BinanceEmulator(seed=62, profile=QUIET, listed_symbols=20, limits=UNLIMITED, derivatives=derivatives)


async def test_a_move_into_an_isolated_pair_is_a_transfer_and_a_resync_asks_one_window() -> None:
    since = datetime.now(UTC) - timedelta(days=45)
    async with traded_margin() as emulator:
        first, cursor, asked = await transfers(emulator, since)
        again, _, asked_again = await transfers(emulator, since, cursor)

    isolated = [r for r in first if r.raw.get("transTo") == "ISOLATED_MARGIN"]
    assert [(r.kind, r.asset, r.amount, r.raw["type"], r.raw["transFrom"]) for r in isolated] == [
        (RecordKind.TRANSFER, "USDT", Decimal(600), "ROLL_IN", "SPOT")
    ]
    assert isolated[0].natural_key == f"transfer:ROLL_IN:ETHUSDT:{isolated[0].raw['txId']}"
    # 45 days in the documented 30-day windows: two, each for the pair the isolated account lists.
    assert [p["isolatedSymbol"] for p in asked] == ["ETHUSDT", "ETHUSDT"]
    assert all(p["endTime"] - p["startTime"] < 30 * 86_400_000 for p in asked)
    # The re-sync: nothing new, one window since the last sync's end.
    assert [r for r in again if r.raw.get("transTo") == "ISOLATED_MARGIN"] == []
    assert len(asked_again) == 1


async def test_without_a_margin_account_the_transfers_ask_no_isolated_list() -> None:
    async with traded_margin(derivatives=False) as emulator:
        found, _, asked = await transfers(emulator, datetime.now(UTC) - timedelta(days=45))
    assert asked == [] and all(r.raw.get("transTo") != "ISOLATED_MARGIN" for r in found)
