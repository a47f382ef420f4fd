"""Binance dust, P2P, Pay and fiat lists against the emulator's scripted extension, through real ccxt clients.

A user who swept dust to BNB, traded P2P, paid with Binance Pay, moved euros in and out and bought coins with a card
must find each of them after the first sync, exactly once, with the amounts Binance shows; a later sync asks only
for what is new, and a P2P order still in progress at one sync is stored by the sync after it completes.

The expected records are written out by hand from the table in sandbox/exchanges/binance_wallet_kinds_script.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.reconcile.ledger import explained_balances
from connectors.balances import read_balances
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from db.repositories.reconcile import Movement
from sandbox.exchanges import AccountProfile, BinanceEmulator
from tests.connectors.test_fetch_binance import UNLIMITED, Sync, binance_client, new_fetcher, run_sync

KINDS = (Endpoint.DUST, Endpoint.P2P, Endpoint.PAY, Endpoint.FIAT, Endpoint.EARN_REWARDS)
# No reward distributions of its own: the reward records are the Simple Earn ones of the extension.
QUIET = AccountProfile(years=0.3, traded_markets=2, trades=20, deposits=2, withdrawals=1, converts=1, rewards=0)
D = Decimal
# (kind, side, asset, amount, quote asset, quote amount, price, fee asset, fee amount)
Row = tuple[str, str | None, str, Decimal, str | None, Decimal | None, Decimal | None, str | None, Decimal | None]

EXPECTED: dict[Endpoint, list[Row]] = {
    # 0.0006 ETH -> 0.00245 BNB after a 0.00005 charge; 0.00003 BTC -> 0.00294 BNB after 0.00006.
    Endpoint.DUST: [
        ("convert", "buy", "BNB", D("0.00250"), "ETH", D("0.0006"), None, "BNB", D("0.00005")),
        ("convert", "buy", "BNB", D("0.00300"), "BTC", D("0.00003"), None, "BNB", D("0.00006")),
    ],
    # Two completed orders with the euros paid or received outside Binance; the cancelled and the pending one: none.
    Endpoint.P2P: [
        ("trade", "buy", "USDT", D("100"), "EUR", D("92"), D("0.92"), "USDT", D("0")),
        ("deposit", None, "EUR", D("92"), None, None, None, None, None),
        ("trade", "sell", "USDT", D("30"), "EUR", D("27.90"), D("0.93"), "USDT", D("0.03")),
        ("withdrawal", None, "EUR", D("27.90"), None, None, None, None, None),
    ],
    Endpoint.PAY: [
        ("deposit", None, "USDT", D("15.00"), None, None, None, None, None),
        ("withdrawal", None, "USDT", D("20.00"), None, None, None, None, None),
    ],
    # 500.00 EUR asked, 1.50 fee; 99.00 EUR sent plus 1.00 fee; 200.00 EUR from the balance for 0.0033 BTC (2.00
    # fee); 50.00 EUR by credit card for 0.0196 ETH (1.00 fee), the card's euros a deposit beside it. The failed
    # deposit: none.
    Endpoint.FIAT: [
        ("deposit", None, "EUR", D("500.00"), None, None, None, "EUR", D("1.50")),
        ("withdrawal", None, "EUR", D("99.00"), None, None, None, "EUR", D("1.00")),
        ("trade", "buy", "BTC", D("0.0033"), "EUR", D("198.00"), D("60000.00"), "EUR", D("2.00")),
        ("trade", "buy", "ETH", D("0.0196"), "EUR", D("49.00"), D("2500.00"), "EUR", D("1.00")),
        ("deposit", None, "EUR", D("50.00"), None, None, None, None, None),
    ],
    # Three real-time flexible rewards from the Simple Earn list, and the bonus one once: from the asset dividend
    # list, which also has it (the Simple Earn list is asked for REALTIME only). The locked list: three BTC rewards
    # and a BNB boost of the position held, two BNB rewards of the one redeemed early, whose 0.0004 BNB of rewards
    # Binance took back at the redemption.
    Endpoint.EARN_REWARDS: [
        *[("reward", None, "ETH", D("0.00000137"), None, None, None, None, None)] * 3,
        ("reward", None, "ETH", D("0.00000021"), None, None, None, None, None),
        *[("reward", None, "BTC", D("0.00000003"), None, None, None, None, None)] * 3,
        ("reward", None, "BNB", D("0.00001"), None, None, None, None, None),
        *[("reward", None, "BNB", D("0.0002"), None, None, None, None, None)] * 2,
        ("interest", None, "BNB", D("-0.0004"), None, None, None, None, None),
        # The asset dividend list's debit ("direction": -1, "Asset debited (outflow)"): 0.000005 BNB taken.
        ("reward", "out", "BNB", D("-0.000005"), None, None, None, None, None),
    ],
}


def row(r: NormalizedRecord) -> Row:
    return (
        str(r.kind),
        r.side,
        r.asset,
        r.amount,
        r.quote_asset,
        r.quote_amount,
        r.price,
        r.fee_asset,
        r.fee_amount,
    )


def movements(records: list[NormalizedRecord]) -> list[Movement]:
    return [
        Movement(str(r.kind), r.side, r.asset, r.amount, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in records
    ]


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(
        seed=515, profile=QUIET, listed_symbols=20, limits=UNLIMITED, wallet_kinds=True
    ) as emulator:
        yield emulator


class Spy:
    """The parameters of each call to the ccxt methods of these lists."""

    METHODS = (
        "sapiGetAssetDribblet",
        "sapiGetC2cOrderMatchListUserOrderHistory",
        "sapiGetPayTransactions",
        "sapiGetFiatOrders",
        "sapiGetFiatPayments",
        "sapiGetSimpleEarnFlexibleHistoryRewardsRecord",
        "sapiGetSimpleEarnLockedHistoryRewardsRecord",
        "sapiGetSimpleEarnLockedHistoryRedemptionRecord",
    )

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        for name in self.METHODS:
            setattr(client, name, self._wrap(name, getattr(client, name)))

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        async def spy(params: dict[str, Any]) -> Any:
            self.calls.append((name, dict(params)))
            return await method(params)

        return spy


async def sync_kinds(client: Any, since: datetime, cursors: dict[Endpoint, Any] | None = None) -> Sync:
    return await run_sync(new_fetcher(client), KINDS, cursors, since=since)


async def test_first_sync_stores_every_kind_exactly(binance: BinanceEmulator) -> None:
    since = datetime.now(UTC) - timedelta(days=60)
    async with binance_client(binance) as client:
        sync = await sync_kinds(client, since)
        for endpoint in KINDS:
            assert sorted(map(row, sync.of(endpoint)), key=repr) == sorted(EXPECTED[endpoint], key=repr), endpoint
            keys = [r.natural_key for r in sync.of(endpoint)]
            assert len(keys) == len(set(keys)), endpoint
        assert not any(sync.reports[e].gaps for e in KINDS)
        # The counterparty of a payment stays in its raw answer.
        names = {r.kind: r.raw for r in sync.of(Endpoint.PAY)}
        assert names[RecordKind.DEPOSIT]["payerInfo"]["name"] == "Alice"
        assert names[RecordKind.WITHDRAWAL]["receiverInfo"]["name"] == "Coffee Shop"
        assert {r.market for r in sync.of(Endpoint.P2P) if r.kind is RecordKind.TRADE} == {"USDT/EUR"}

        # What the history explains is what the account's wallets gained: spot and funding beyond the scripted spot
        # account, and the Simple Earn positions the balance reads now include.
        snapshot = await read_balances(client, get_profile("binance"))
        assert snapshot.complete and {"earn_flexible", "earn_locked"} <= set(snapshot.wallets_read)
        base = {b.asset: b.total for b in binance.account.balances}
        gained = {a: v - base.get(a, D(0)) for a, v in snapshot.totals.items() if v != base.get(a, D(0))}
        records = [r for e in KINDS for r in sync.of(e)]
        explained = {a: v for a, v in explained_balances(movements(records)).items() if v}
        # EUR: 498.50 in, 100 out, 200 for BTC; BTC and ETH bought less their dust (and in earn), ETH with its
        # 0.00000432 of rewards, BTC with its 0.00000009 of locked ones; BNB from dust and the 0.00001 boost (the
        # early-redeemed position's 0.0004 of rewards taken back from its principal: nothing left of them), less
        # the 0.000005 the asset dividend debit took (0.00540 - 0.000005).
        expected = {
            "EUR": D("198.50"),
            "BTC": D("0.00327009"),
            "ETH": D("0.01900432"),
            "BNB": D("0.005395"),
            "USDT": D("64.97"),
        }
        assert gained == expected
        assert explained == expected


async def test_resync_asks_only_for_new_and_a_pending_p2p_order_is_stored_once_completed(
    binance: BinanceEmulator,
) -> None:
    since = datetime.now(UTC) - timedelta(days=60)
    async with binance_client(binance) as client:
        first = await sync_kinds(client, since)
        spy = Spy(client)
        binance.wallet_kinds.complete_p2p()
        second = await sync_kinds(client, since, first.cursors)

    # Only the order that completed since, with the euros its buyer paid outside Binance.
    assert sorted(map(row, (r for e in KINDS for r in second.of(e))), key=repr) == sorted(
        [
            ("trade", "buy", "USDT", D("50"), "EUR", D("46"), D("0.92"), "USDT", D("0")),
            ("deposit", None, "EUR", D("46"), None, None, None, None, None),
        ],
        key=repr,
    )
    first_keys = {r.natural_key for e in KINDS for r in first.of(e)}
    assert first_keys.isdisjoint(r.natural_key for e in KINDS for r in second.of(e))
    # Each list asked once, from where the first sync stopped: the P2P lists from the pending order two days back
    # (the order held their cursors), every other list from the first sync's end, not from the sync-from date.
    asked = {(name, params.get("tradeType") or params.get("transactionType") or "") for name, params in spy.calls}
    assert all(params["type"] == "REALTIME" for name, params in spy.calls if "SimpleEarnFlexible" in name)
    # Fiat's order lists were read less than a minute before: skipped (their weight, wallet_kinds.py).
    assert not any(name == "sapiGetFiatOrders" for name, _ in spy.calls)
    assert len(asked) == len(spy.calls) == 9
    two_days_ago = datetime.now(UTC) - timedelta(days=2, hours=1, minutes=5)
    for name, params in spy.calls:
        start = params.get("startTime", params.get("startTimestamp", params.get("beginTime")))
        assert start is not None, name
        begin = datetime.fromtimestamp(int(start) / 1000, UTC)
        assert begin > (two_days_ago if "C2c" in name else datetime.now(UTC) - timedelta(minutes=5)), name


@pytest.mark.parametrize("used", [True, False])
async def test_the_p2p_and_pay_reach_is_a_gap_only_for_an_account_that_uses_them(used: bool) -> None:
    """Binance returns P2P orders of 6 months and Pay payments of 18: a sync of the whole history names that limit
    for an account with such records, and leaves the rest alone (its reconciliation checks them)."""
    emulator = BinanceEmulator(seed=516, profile=QUIET, listed_symbols=20, limits=UNLIMITED, wallet_kinds=used)
    async with emulator, binance_client(emulator) as client:
        sync = await run_sync(new_fetcher(client), (Endpoint.P2P, Endpoint.PAY), since=None)
    reasons = {e: [g.reason.id for g in sync.reports[e].gaps] for e in (Endpoint.P2P, Endpoint.PAY)}
    expected = ["sync.gap.lookback"] if used else []
    assert reasons == {Endpoint.P2P: expected, Endpoint.PAY: expected}
