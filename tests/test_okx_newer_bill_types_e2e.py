"""OKX's bill-type list updated 2026-07-05 ("Asset bills details", copy of okx.com/docs-v5, find_string id
54517574947) names four funding bill types the earlier edition did not: 400 "Auto lend interest", 408 "Auto earn
USDG interest", 476 "Transferred out to Cloud Exchange", 477 "Transferred in from Cloud Exchange" (review finding 2).
A type missing from the reader's table is kept as a ledger line and not counted, so a user paid interest or moving
money to Cloud Exchange could not reconcile. Now 400 and 408 are rewards and 476/477 a withdrawal and a deposit, by
the sign of `balChg`.

Expected values by hand from NEWER_KIND_MOVES (sandbox/exchanges/okx_funding_kinds.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.context import SERVICES_KEY
from connectors.profiles import Endpoint
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import OkxEmulator
from sandbox.exchanges.okx_funding_kinds import NEWER_KIND_MOVES, OkxFundingKindsBook
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.connectors.test_fetch_okx import okx_client
from tests.test_okx_derivatives_e2e import FAST, _walk
from tests.test_reconcile_e2e import RECENT, connect

D = Decimal
NEWER_TYPES = {"400", "408", "476", "477"}


async def test_the_newer_bill_types_are_stored_as_what_they_are() -> None:
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, funding_kinds=True, limits=FAST) as okx:
        _add_newer_bills(okx)
        async with okx_client(okx) as client:
            transfers = await _walk(client, Endpoint.TRANSFERS, {})
            rewards = await _walk(client, Endpoint.EARN_REWARDS, {})
            balances: Any = await client.privateGetAssetBalances({"ccy": "USDT,USDG"})

    def newer(records: list[Any]) -> list[tuple[str, str, str, Decimal, str | None]]:
        rows = sorted((r for r in records if r.raw.get("type") in NEWER_TYPES), key=lambda r: int(r.raw["billId"]))
        return [(r.raw["type"], str(r.kind), r.asset, r.amount, r.side) for r in rows]

    assert newer(rewards) == [
        ("400", "reward", "USDT", D("0.0412"), None),  # Auto lend interest
        ("408", "reward", "USDG", D("0.0058"), None),  # Auto earn USDG interest
    ]
    assert newer(transfers) == [
        ("476", "withdrawal", "USDT", D("25"), None),  # Transferred out to Cloud Exchange
        ("477", "deposit", "USDT", D("5"), None),  # Transferred in from Cloud Exchange
    ]
    # 337.73 USDT the earlier script leaves, + 0.0412 - 25 + 5; 0.0058 USDG.
    assert {row["ccy"]: row["bal"] for row in balances["data"]} == {"USDG": "0.0058", "USDT": "317.7712"}


async def test_a_user_paid_auto_lend_interest_who_moved_money_to_cloud_exchange_reconciles(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    emulator = OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True, funding_kinds=True)
    async with emulator as okx:
        _add_newer_bills(okx)
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=70))
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""

    # Kept as ledger lines, the two interest payments and the 20 USDT net sent out would be unexplained.
    assert "✅ OKX-1: the history explains every balance." in summary, summary
    assert okx.requests.unexpected == []


def _add_newer_bills(okx: OkxEmulator) -> None:
    book = okx.book
    assert isinstance(book, OkxFundingKindsBook)
    book.add_moves(NEWER_KIND_MOVES)
