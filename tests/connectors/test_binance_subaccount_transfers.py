"""Money moved between a Binance account and its sub-accounts or master, as a deposit or a withdrawal of the account
whose key is synced (connectors/fetchers/binance/subaccounts.py).

The scripted roles are in sandbox/exchanges/binance_subaccounts.py; the expected records are written from its table.
A sub-account's key: 250 USDT in from the master, 40 USDT out to a sibling, 15 USDT in still in progress (stored by
the sync after it completes). A master's key: 300 USDT to sub-account alice, 120 USDT back from her; her 50 USDT to bob
is not the master's money; 70 USDT from bob that only the spot transfer list shows. The universal moves between spot
wallets are in both master lists: the store keeps one row a natural key, so each must be keyed alike. An account that
is neither asks two lists, is refused both, and stores nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.reconcile.ledger import explained_balances
from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.binance import BinanceFetcher
from connectors.fetchers.binance.subaccounts import BinanceSubAccountMoves
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from db.repositories.reconcile import Movement
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits

QUIET = AccountProfile(years=0.2, traded_markets=2, trades=10, deposits=1, withdrawals=1, converts=1, rewards=1)
UNLIMITED = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
D = Decimal
SUB_PATHS = ("/sapi/v1/sub-account/transfer/subUserHistory", "/sapi/v1/sub-account/list")
UNIVERSAL, SPOT = "/sapi/v1/sub-account/universalTransfer", "/sapi/v1/sub-account/sub/transfer/history"
MASTER_MOVES = [("deposit", "USDT", D("70")), ("deposit", "USDT", D("120")), ("withdrawal", "USDT", D("300"))]


class Synced:
    def __init__(self) -> None:
        self.records: list[NormalizedRecord] = []
        self.cursor: dict[str, Cursor] = {}


async def sync(emulator: BinanceEmulator, cursors: dict[str, Cursor] | None = None, days: int | None = 30) -> Synced:
    """TRANSFERS over the last `days` (None: as far back as the lists reach): its records and its last cursor."""
    key = emulator.add_key(label="read-only")
    pool = ClientPool({"binance": emulator.base_url})
    done = Synced()
    try:
        async with pool.client("binance", "subs", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e9
            fetcher = BinanceFetcher(get_profile("binance"), client, uid_weight_per_minute=10**9)
            since = None if days is None else datetime.now(UTC) - timedelta(days=days)
            pages = fetcher.fetch(
                Endpoint.TRANSFERS, since=since, until=datetime.now(UTC), cursors=cursors or {}, report=FetchReport()
            )
            async for page in pages:
                done.records.extend(page.records)
                done.cursor = {"": page.cursor}
    finally:
        await pool.close()
    return done


def moves(records: list[NormalizedRecord]) -> list[tuple[Any, ...]]:
    """The moves as stored: one row a natural key (db/repositories/transactions.py ignores a repeated key)."""
    stored = {r.natural_key: r for r in records if r.natural_key.split(":")[1] == "subaccount"}
    return sorted((str(r.kind), r.asset, r.amount) for r in stored.values())


def told_twice(records: list[NormalizedRecord]) -> list[Decimal]:
    keys = [r.natural_key for r in records if r.natural_key.split(":")[1] == "subaccount"]
    return sorted(r.amount for r in records if keys.count(r.natural_key) > 1)


def explained(records: list[NormalizedRecord]) -> dict[str, Decimal]:
    made = [Movement(str(r.kind), r.side, r.asset, r.amount, None, None, r.fee_asset, r.fee_amount) for r in records]
    return explained_balances(made)


async def test_a_sub_accounts_key_stores_its_moves_and_the_one_in_progress_once_complete() -> None:
    async with BinanceEmulator(seed=71, profile=QUIET, listed_symbols=20, limits=UNLIMITED, sub_account="sub") as bn:
        first = await sync(bn)
        moved = bn.sub_accounts.script.spot_change()
        bn.sub_accounts.complete()
        second = await sync(bn, first.cursor)

    assert moves(first.records) == [("deposit", "USDT", D("250")), ("withdrawal", "USDT", D("40"))]
    # What the history explains is what the emulator moved the spot wallet by (its balance read includes them).
    assert explained(first.records) == {"USDT": D("210")}
    assert moved == {"USDT": D("210")}
    assert {r.raw["counterParty"] for r in first.records if "counterParty" in r.raw} == {"master", "subAccount"}
    # The 15 USDT in progress held the cursor: the next sync stores it, and only it.
    assert moves(second.records) == [("deposit", "USDT", D("15"))]


async def test_a_masters_key_stores_what_went_to_and_came_from_its_sub_accounts_only() -> None:
    async with BinanceEmulator(seed=72, profile=QUIET, listed_symbols=20, limits=UNLIMITED, sub_account="master") as bn:
        found = await sync(bn)
        moved = bn.sub_accounts.script.spot_change()
        asked, spot = bn.requests.count(UNIVERSAL), bn.requests.count(SPOT)

    assert moves(found.records) == MASTER_MOVES
    # The 300 and the 120 are told by both lists under one key (stored once); the 70 by the spot list alone.
    assert told_twice(found.records) == [D("120"), D("120"), D("300"), D("300")]
    # As stored, they explain what the emulator moved the spot wallet by, less the scripted 1,000 USDT deposit.
    stored = list({r.natural_key: r for r in found.records}.values())
    assert explained(stored) == {"USDT": D("-110")} == {"USDT": moved["USDT"] - D("1000")}
    # 30 days (from the first day's start) in windows under 7 days: five, for the master's own list and for each of
    # its two sub-accounts; the spot list in 30-day windows: two, from and to each sub-account.
    assert (asked, spot) == (3 * 5, 4 * 2)


async def test_a_masters_whole_history_starts_when_its_sub_accounts_were_created() -> None:
    async with BinanceEmulator(seed=74, profile=QUIET, listed_symbols=20, limits=UNLIMITED, sub_account="master") as bn:
        found = await sync(bn, days=None)
        asked, spot = bn.requests.count(UNIVERSAL), bn.requests.count(SPOT)

    assert moves(found.records) == MASTER_MOVES
    # Created 45 days back (the list's createTime, from that day's start): seven windows under 7 days per list,
    # not the 490 since Binance opened; two 30-day windows per spot list.
    assert (asked, spot) == (3 * 7, 4 * 2)


@pytest.mark.parametrize("role", ["", "sub", "master"])
async def test_each_key_asks_only_the_lists_its_account_has(role: str) -> None:
    async with BinanceEmulator(seed=73, profile=QUIET, listed_symbols=20, limits=UNLIMITED, sub_account=role) as bn:
        found = await sync(bn)
        asked = {path: bn.requests.count(path) for path in (*SUB_PATHS, UNIVERSAL, SPOT)}
    history, listing, universal, spot = asked.values()
    # A sub-account: its list answers (a one-row look, then both walks: 2 windows of 30 days); nobody else's
    # lists are asked. Not a sub-account: refused (-12022), so the master's list is asked; listed: walks follow.
    expected = {"": (1, 1, 0, 0), "sub": (1 + 2 * 2, 0, 0, 0), "master": (1, 1, 15, 8)}[role]
    assert (history, listing, universal, spot) == expected
    if not role:
        assert moves(found.records) == []


# The response example of "Query Sub-account Spot Asset Transfer History (For Master Account)", written out by hand
# from the page (docs/exchange-apis/binance.md names it).
SPOT_EXAMPLE = [
    {"from": "aaa@test.com", "to": "bbb@test.com", "asset": "BTC", "qty": "10", "status": "SUCCESS"}
    | {"tranId": 6489943656, "time": 1544433328000},
    {"from": "bbb@test.com", "to": "ccc@test.com", "asset": "ETH", "qty": "2", "status": "SUCCESS"}
    | {"tranId": 6489938713, "time": 1544433328000},
]


class ExampleClient:
    """Answers the spot transfer list with the documented example, recording what was asked."""

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    async def sapiGetSubAccountSubTransferHistory(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.asked.append(params)
        return SPOT_EXAMPLE

    def safe_currency_code(self, code: str) -> str:
        return code


async def test_the_documented_spot_transfer_example_is_read_as_the_master_sees_it() -> None:
    client = ExampleClient()
    lister = BinanceSubAccountMoves(client, lambda asset, endpoint: None)
    spec = get_profile("binance").endpoint(Endpoint.TRANSFERS)
    assert spec is not None
    # Read as a master whose sub-accounts are aaa and ccc (bbb, the one email not among them, is the master): asked
    # with aaa's fromEmail, aaa -> bbb is a deposit and bbb -> ccc not aaa's; asked with ccc's toEmail, bbb -> ccc is
    # a withdrawal and aaa -> bbb not the master's to ccc. (The emulator would answer only the matching rows.)
    subs = frozenset({"aaa@test.com", "ccc@test.com"})
    sent = await lister._spot_page(spec, FetchReport(), {"fromEmail": "aaa@test.com"}, subs)(0, 1, None)
    got = await lister._spot_page(spec, FetchReport(), {"toEmail": "ccc@test.com"}, subs)(0, 1, None)

    assert [(str(r.kind), r.asset, r.amount, r.natural_key) for r in sent.records] == [
        ("deposit", "BTC", D("10"), "deposit:subaccount:6489943656")
    ]
    assert [(str(r.kind), r.asset, r.amount, r.exchange_tx_id) for r in got.records] == [
        ("withdrawal", "ETH", D("2"), "6489938713")
    ]
    assert sent.records[0].occurred_at == datetime(2018, 12, 10, 9, 15, 28, tzinfo=UTC)
    assert client.asked[0] == {"fromEmail": "aaa@test.com", "startTime": 0, "endTime": 1, "page": 1, "limit": 500}
    assert sent.token is None  # two rows, not a full page of 500


async def test_the_emulated_spot_transfer_list_answers_in_the_documented_shape() -> None:
    async with BinanceEmulator(seed=75, profile=QUIET, listed_symbols=20, limits=UNLIMITED, sub_account="master") as bn:
        found = await sync(bn)
        assert bn.requests.count(SPOT) > 0
    rows = [r.raw for r in found.records if "qty" in r.raw and "from" in r.raw]
    assert rows and all(set(row) == set(SPOT_EXAMPLE[0]) for row in rows)
