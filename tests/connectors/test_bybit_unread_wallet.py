"""A Bybit account whose coins went through a wallet Tallybot cannot read: Bybit's INVESTMENT account type (the ByFi
account, "The service has been offline" in the older accountType enum; the current enum lists only UNIFIED and FUND,
docs/v5/enum.mdx). The transfer list still names it; the transfers are stored (moves between the user's own
wallets), and every sync, not only the one that saw them, reports the gap: what the coins earned there is in no
history Tallybot reads (here 0.5 USDT more came back than went in)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.bybit import BybitFetcher
from connectors.fetchers.windows import to_ms
from connectors.profiles import Endpoint, get_profile
from i18n import render
from sandbox.exchanges import AccountProfile, BybitEmulator
from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.records import TransferRecord
from tests.connectors.test_fetch_bybit import FAST, UNPACED, bybit_client

SMALL = AccountProfile(years=0.2, traded_markets=2, trades=10, deposits=2, withdrawals=1, converts=0, transfers=2)


async def sync_transfers(fetcher: BybitFetcher, stored: dict[str, Cursor]) -> tuple[list[str], FetchReport]:
    report, ids = FetchReport(), []
    async for page in fetcher.fetch(
        Endpoint.TRANSFERS, since=None, until=datetime.now(UTC), cursors=dict(stored), report=report
    ):
        stored[page.market] = json.loads(json.dumps(page.cursor))
        ids += [str(record.exchange_tx_id) for record in page.records]
    return ids, report


async def test_a_transfer_through_the_investment_wallet_is_a_gap_on_every_sync() -> None:
    async with BybitEmulator(seed=7, profile=SMALL, listed_symbols=30, limits=FAST) as bybit:
        now = bybit.account.now_ms
        went, came_back = now - 20 * DAY_MS, now - 12 * DAY_MS
        bybit.assets.all_transfers = (
            *bybit.assets.all_transfers,
            TransferRecord("byfi-in", "USDT", Decimal("100"), "SPOT", "INVESTMENT", went),
            TransferRecord("byfi-out", "USDT", Decimal("100.5"), "INVESTMENT", "SPOT", came_back),
        )
        stored: dict[str, Cursor] = {}
        async with bybit_client(bybit) as client:
            first_ids, first = await sync_transfers(BybitFetcher(get_profile("bybit"), client, pacer=UNPACED), stored)
            again_ids, again = await sync_transfers(BybitFetcher(get_profile("bybit"), client, pacer=UNPACED), stored)

    assert {"byfi-in", "byfi-out"} <= set(first_ids)
    assert "byfi-in" not in again_ids and "byfi-out" not in again_ids  # stored once
    for report in (first, again):
        gaps = [gap for gap in report.gaps if gap.reason.id == "sync.gap.bybit.unread_wallet"]
        assert [(gap.endpoint, gap.reason.args, to_ms(gap.start)) for gap in gaps] == [
            (Endpoint.TRANSFERS, {"wallet": "INVESTMENT"}, went)
        ]
    text = render(gaps[0].reason, "en")
    assert text.startswith("Coins went through your Bybit INVESTMENT wallet, which Bybit's current API"), text
