"""Bitget's other wallets and lists against the emulator (sandbox/exchanges/bitget_wallets.py): BGB dust conversions,
transfers between this main account and its sub-accounts, and the funding, earn and bot wallets the balance check
reads.
Expected values are the script's amounts (the BGB conversion is the docs page's own example), worked by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.balances import read_balances
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.bitget import BitgetFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import BitgetEmulator
from sandbox.exchanges.bitget_wallets import SUB_UIDS, add_more_kinds, add_unified_dust
from tests.connectors.test_bitget_unified_derivatives import SMALL as UTA_SMALL
from tests.connectors.test_bitget_unified_derivatives import drain as unified_drain
from tests.connectors.test_bitget_unified_derivatives import unified_client
from tests.connectors.test_fetch_bitget import FAST, SMALL, bitget_client, drain

D = Decimal
SUB_MAIN = "/api/v2/spot/account/sub-main-trans-record"
SUB_ASSETS = "/api/v2/spot/account/subaccount-assets"
DUST = "/api/v2/convert/bgb-convert-records"
UTA_RECORDS = "/api/v3/account/financial-records"
SAVINGS = "/api/v2/earn/savings/records"


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=31, profile=SMALL, listed_symbols=20, limits=FAST) as emulator:
        yield emulator


def added(records: list[NormalizedRecord]) -> list[tuple[object, ...]]:
    """The scripted records (ids from 1130…): kind, asset, amount, side, quote, quote amount, fee coin, fee."""
    return sorted(
        (r.kind.value, r.asset, r.amount, r.side, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in records
        if str(r.exchange_tx_id).startswith("1130")
    )


async def test_dust_and_main_sub_transfers_are_stored_once(bitget: BitgetEmulator) -> None:
    add_more_kinds(bitget.book.wallets, bitget.book.account.now_ms)
    until = datetime.now(UTC)
    cursors: dict[Endpoint, dict[str, Cursor]] = {Endpoint.DUST: {}, Endpoint.TRANSFERS: {}}
    async with bitget_client(bitget) as client:
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        dust = await drain(fetcher, Endpoint.DUST, cursors[Endpoint.DUST], until=until)
        moves = await drain(fetcher, Endpoint.TRANSFERS, cursors[Endpoint.TRANSFERS], until=until)
        first_asks = bitget.requests.count(SUB_MAIN), bitget.requests.count(SUB_ASSETS), bitget.requests.count(DUST)
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        again = [
            *await drain(fetcher, Endpoint.DUST, cursors[Endpoint.DUST], until=until),
            *await drain(fetcher, Endpoint.TRANSFERS, cursors[Endpoint.TRANSFERS], until=until),
        ]

    # 64.99837 ROOT for 3.55072001 BGB, the fee 0.07101441 BGB taken from it.
    assert added(dust) == [("convert", "BGB", D("3.55072001"), "buy", "ROOT", D("64.99837"), "BGB", D("0.07101441"))]
    # From the sub-accounts: 400 USDT and the ROOT; to the first: 25 USDT (the 10 USDT between the two sub-accounts
    # is not this account's). The 150 USDT moved to the funding account is a transfer within the account.
    assert added(moves) == [
        ("deposit", "ROOT", D("64.99837"), None, None, None, None, None),
        ("deposit", "USDT", D("400"), None, None, None, None, None),
        ("transfer", "USDT", D("150"), None, None, None, None, None),
        ("withdrawal", "USDT", D("25"), None, None, None, None, None),
    ]
    assert {r.kind for r in dust} == {RecordKind.CONVERT}
    # What the main account sent (no subUid), then what each sub-account sent it (subUid: the first named by the 25
    # USDT it received, the second only by the sub-account assets list, asked once): 3 walks of nine 90-day windows
    # over two years; dust the same: 9.
    assert first_asks == (27, 1, 9)
    assert added(again) == []


async def test_money_in_the_funding_earn_and_bot_wallets_is_read(bitget: BitgetEmulator) -> None:
    async with bitget_client(bitget) as client:
        before = await read_balances(client, get_profile("bitget"))
        add_more_kinds(bitget.book.wallets, bitget.book.account.now_ms)
        after = await read_balances(client, get_profile("bitget"))
    assert before.complete and after.complete
    assert {"funding", "earn", "spot_bots", "futures_bots"} <= set(after.wallets_read)
    moved = {coin: after.totals.get(coin, D(0)) - before.totals.get(coin, D(0)) for coin in ("USDT", "ROOT", "BGB")}
    # USDT: +400 from the main account, -25 back; the 150 in funding, 200 in earn and 50 in the bot are still the
    # account's; +0.35 savings interest, -0.02 a fixed term's penalty. ROOT came and went; BGB: 3.55072001 - 0.07101441.
    assert moved == {"USDT": D("375.33"), "ROOT": D(0), "BGB": D("3.4797056")}


async def test_a_unified_accounts_small_asset_conversion_is_read_from_its_spot_records() -> None:
    emulator = BitgetEmulator(seed=15, profile=UTA_SMALL, listed_symbols=20, limits=FAST, derivatives=True)
    async with emulator as bitget, unified_client(bitget) as client:
        before = await read_balances(client, get_profile("bitget"))
        coin = next(c for c in sorted(before.totals) if c not in ("BGB", "USDT") and before.totals[c] > 0)
        held = before.totals[coin]
        add_unified_dust(bitget.book.wallets, coin, held, bitget.book.account.now_ms)
        after = await read_balances(client, get_profile("bitget"))
        cursors: dict[str, Cursor] = {}
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        got = await unified_drain(fetcher, Endpoint.DUST, cursors, FetchReport())
        records_asked = bitget.requests.count(UTA_RECORDS)
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        again = await unified_drain(fetcher, Endpoint.DUST, cursors, FetchReport())

    # The whole coin's balance out, 3.55072001 BGB in less its 0.07101441 BGB fee; the spot fills' legs in the same
    # category are the fills' and stored by them, not here.
    assert added(got) == sorted(
        [
            ("convert", coin, held, "sell", None, None, None, None),
            ("convert", "BGB", D("3.55072001"), "buy", None, None, "BGB", D("0.07101441")),
        ]
    )
    assert not [r for r in got if r.kind is not RecordKind.CONVERT], got
    # SPOT and OTHER, 30-day ranges over 90 days: 3 each.
    assert records_asked == 6
    assert again == []
    moved = {c: after.totals.get(c, D(0)) - before.totals.get(c, D(0)) for c in (coin, "BGB")}
    assert moved == {coin: -held, "BGB": D("3.4797056")}


async def test_savings_interest_and_penalties_are_rewards_and_moves_to_earn_are_not(bitget: BitgetEmulator) -> None:
    add_more_kinds(bitget.book.wallets, bitget.book.account.now_ms)
    until = datetime.now(UTC)
    cursors: dict[str, Cursor] = {}
    async with bitget_client(bitget) as client:
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        got = await drain(fetcher, Endpoint.EARN_REWARDS, cursors, until=until)
        asked = bitget.requests.count(SAVINGS)
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        again = await drain(fetcher, Endpoint.EARN_REWARDS, cursors, until=until)

    # 0.35 USDT flexible interest in; 0.02 USDT penalty interest out. The subscriptions and the redemption move money
    # between spot and earn, both read by the balance check: not records.
    assert added(got) == [
        ("reward", "USDT", D("0.02"), "out", None, None, None, None),
        ("reward", "USDT", D("0.35"), None, None, None, None, None),
    ]
    # The generated account's rewards are its flexible savings interest: every one within two years, once.
    reach = bitget.reachable_since()
    expected = sorted((r.id, r.asset, r.amount) for r in bitget.account.rewards if r.timestamp >= reach)
    assert (
        expected
        and sorted((r.exchange_tx_id, r.asset, r.amount) for r in got if not str(r.exchange_tx_id).startswith("1130"))
        == expected
    )
    assert set(cursors) == {"savings:flexible", "savings:fixed"}
    assert asked == 18  # two lists, nine 90-day windows each
    assert again == []


async def test_without_sub_uid_the_list_holds_only_what_left_the_main_account(bitget: BitgetEmulator) -> None:
    # spot/account/Get-SubAccount-TransferRecords: subUid "If empty, it only query the records that transfer from main
    # account". The sub-accounts' moves to this main account are listed only when each is asked about.
    add_more_kinds(bitget.book.wallets, bitget.book.account.now_ms)
    first, second = SUB_UIDS
    path, api = "v2/spot/account/sub-main-trans-record", ["private", "spot"]
    async with bitget_client(bitget) as client:
        sent = await client.request(path, api, "GET", {"role": "initiator"})
        received = await client.request(path, api, "GET", {"role": "receiver"})
        by_first = await client.request(path, api, "GET", {"role": "initiator", "subUid": first})
        by_second = await client.request(path, api, "GET", {"role": "initiator", "subUid": second})

    assert [(r["coin"], r["size"], r["toUserId"]) for r in sent["data"]] == [("USDT", "25", first)]
    assert received["data"] == []
    assert [(r["coin"], r["size"], r["toUserId"]) for r in by_first["data"]] == [
        ("USDT", "10", second),
        ("USDT", "400", bitget.book.uid),
    ]
    assert [(r["coin"], r["size"]) for r in by_second["data"]] == [("ROOT", "64.99837")]
