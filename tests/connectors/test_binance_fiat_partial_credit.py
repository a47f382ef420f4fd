"""A Binance fiat deposit "Order Partial credit Stopped" is never lost silently (issue 15; reviewer's finding 5).

Get Fiat Deposit/Withdraw History lists the status ("Processing, Failed, Successful, Finished, Refunding, Refunded,
Refund Failed, Order Partial credit Stopped", as Binance's connectors copy the page) but no page says which amount
such an order credited: `indicatedAmount` is what was asked, `amount` that less `totalFee`. So Tallybot stores no
amount for it: the order holds the deposit list's cursor at its time, as one still Processing does, so the sync
after Binance settles it stores it once; one still so after two weeks is let go and named as a gap at its time.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from sandbox.exchanges.base import DAY_MS
from tests.connectors.test_fetch_binance import binance_client, run_sync

QUIET = AccountProfile(years=0.3, traded_markets=2, trades=20, deposits=2, withdrawals=1, converts=1, rewards=0)
UNLIMITED = BinanceLimits(sapi_uid_weight_per_minute=10**9)


def order(number: str, at: int, asked: str, credited: str, fee: str, status: str) -> dict[str, Any]:
    """A row as Get Fiat Deposit/Withdraw History's example writes one."""
    return {
        "orderNo": number, "fiatCurrency": "EUR", "indicatedAmount": asked, "amount": credited, "totalFee": fee,
        "method": "BankAccount", "status": status, "createTime": at, "updateTime": at + 3_600_000,
    }  # fmt: skip


def deposits(records: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((r.kind.value, r.asset, r.amount, r.fee_amount, r.exchange_tx_id) for r in records)


async def test_a_partly_credited_fiat_deposit_holds_the_list_and_is_stored_once_settled() -> None:
    async with (
        BinanceEmulator(seed=33, profile=QUIET, listed_symbols=20, limits=UNLIMITED, wallet_kinds=True) as bn,
        binance_client(bn) as client,
    ):
        at = bn.clock.now_ms() - 3 * DAY_MS
        done = order("F-1", at - 5 * DAY_MS, "500.00", "498.50", "1.50", "Successful")
        stopped = order("F-2", at, "200.00", "199.00", "1.00", "Order Partial credit Stopped")
        script = bn.wallet_kinds.script
        bn.wallet_kinds.script = dataclasses.replace(script, fiat_orders={"0": (done, stopped), "1": ()})
        first = await run_sync(
            fetcher_for(get_profile("binance"), client, uid_weight_per_minute=10**9), (Endpoint.FIAT,)
        )
        held = first.cursors[Endpoint.FIAT][""]["lists"]["deposit"]
        settled = {**stopped, "status": "Successful"}
        bn.wallet_kinds.script = dataclasses.replace(script, fiat_orders={"0": (done, settled), "1": ()})
        second = await run_sync(
            fetcher_for(get_profile("binance"), client, uid_weight_per_minute=10**9), (Endpoint.FIAT,), first.cursors
        )
        third = await run_sync(
            fetcher_for(get_profile("binance"), client, uid_weight_per_minute=10**9), (Endpoint.FIAT,), second.cursors
        )

    fiat = [r for r in first.records.get(Endpoint.FIAT, []) if r.exchange_tx_id in ("F-1", "F-2")]
    # The first sync: the 500.00 EUR deposit (1.50 fee) only; the partial one holds the deposit list at its time.
    assert deposits(fiat) == [("deposit", "EUR", Decimal("500.00"), Decimal("1.50"), "F-1")]
    assert held == {"window_start_ms": at}
    assert not first.reports[Endpoint.FIAT].gaps
    # Settled as Successful: the next sync stores 200.00 EUR asked, 1.00 fee; the one after stores nothing again.
    again = [r for r in second.records.get(Endpoint.FIAT, []) if r.exchange_tx_id in ("F-1", "F-2")]
    assert [(r.exchange_tx_id, r.amount, r.fee_amount) for r in again if r.exchange_tx_id == "F-2"] == [
        ("F-2", Decimal("200.00"), Decimal("1.00"))
    ]
    assert [r for r in third.records.get(Endpoint.FIAT, []) if r.exchange_tx_id == "F-2"] == []


async def test_a_fiat_deposit_partly_credited_weeks_ago_is_named_not_dropped() -> None:
    async with (
        BinanceEmulator(seed=34, profile=QUIET, listed_symbols=20, limits=UNLIMITED, wallet_kinds=True) as bn,
        binance_client(bn) as client,
    ):
        at = bn.clock.now_ms() - 20 * DAY_MS
        stopped = order("F-3", at, "80.00", "79.20", "0.80", "Order Partial credit Stopped")
        bn.wallet_kinds.script = dataclasses.replace(bn.wallet_kinds.script, fiat_orders={"0": (stopped,), "1": ()})
        synced = await run_sync(
            fetcher_for(get_profile("binance"), client, uid_weight_per_minute=10**9), (Endpoint.FIAT,)
        )

    assert [r for r in synced.records.get(Endpoint.FIAT, []) if r.exchange_tx_id == "F-3"] == []
    gaps = synced.reports[Endpoint.FIAT].gaps
    assert [(g.endpoint, g.start, g.reason.id) for g in gaps] == [
        (Endpoint.FIAT, datetime.fromtimestamp(at / 1000, UTC), "sync.gap.pending_released")
    ]
    # Let go: the list goes on past it, so later syncs do not walk again from three weeks ago.
    lists = synced.cursors[Endpoint.FIAT][""]["lists"]
    assert int(lists["deposit"]["window_start_ms"]) > at + 19 * DAY_MS
