"""A unified Bitget account's moves with its sub-accounts and between its own wallets, read from
`GET /api/v3/account/sub-transfer-record` (uta/account/transfer/SubAccount-Transfer-Get) against the emulator's
script (sandbox/exchanges/bitget_wallets.add_unified_main_sub). Expected values are the script's, by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from connectors.balances import read_balances
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.bitget import BitgetFetcher
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import BitgetEmulator
from sandbox.exchanges.bitget_wallets import SUB_UIDS, add_unified_main_sub
from tests.connectors.test_bitget_unified_derivatives import FAST, SMALL, drain, unified_client

D = Decimal
PATH = "/api/v3/account/sub-transfer-record"


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=16, profile=SMALL, listed_symbols=20, limits=FAST) as emulator:
        yield emulator


async def test_sub_account_moves_are_deposits_and_withdrawals_and_own_moves_transfers(bitget: BitgetEmulator) -> None:
    async with unified_client(bitget) as client:
        before = await read_balances(client, get_profile("bitget"))
        rows = add_unified_main_sub(bitget.book.wallets, bitget.book.account.now_ms)
        after = await read_balances(client, get_profile("bitget"))
        cursors: dict[str, Cursor] = {}
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        got = await drain(fetcher, Endpoint.TRANSFERS, cursors, FetchReport())
        asked = bitget.requests.count(PATH)
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        again = await drain(fetcher, Endpoint.TRANSFERS, cursors, FetchReport())

    ids = {row["transferId"] for row in rows}
    mine = sorted((r.kind.value, r.asset, r.amount) for r in got if r.exchange_tx_id in ids)
    # 300 USDT in from the first sub-account; 120 USDT from funding to unified (its own move, counts zero); 40 USDT
    # out to the second. The 5 USDT between the two sub-accounts is neither's money here.
    assert mine == [("deposit", "USDT", D("300")), ("transfer", "USDT", D("120")), ("withdrawal", "USDT", D("40"))]
    assert [r for r in got if r.exchange_tx_id not in ids] == []
    # Both roles of the main account (no subUid), each in nine 90-day windows over two years; no gap reported.
    assert asked == 18
    assert set(cursors) == {"main_sub:uta:initiator", "main_sub:uta:receiver"}
    assert again == []
    # The account holds 260 USDT more across its unified and funding accounts: 300 in, 40 out.
    assert after.totals["USDT"] - before.totals["USDT"] == D(260)
    assert SUB_UIDS[0] in {row["fromUserId"] for row in rows}


async def test_without_sub_uid_the_list_is_the_main_accounts_and_with_it_the_sub_accounts(
    bitget: BitgetEmulator,
) -> None:
    add_unified_main_sub(bitget.book.wallets, bitget.book.account.now_ms)
    first, second = SUB_UIDS
    async with unified_client(bitget) as client:
        sent = await client.privateUtaGetV3AccountSubTransferRecord({})
        received = await client.privateUtaGetV3AccountSubTransferRecord({"role": "receiver"})
        by_first = await client.privateUtaGetV3AccountSubTransferRecord({"subUid": first})

    def amounts(answer: dict[str, object]) -> list[str]:
        data = answer["data"]
        assert isinstance(data, dict)
        return [row["amount"] for row in data["list"]]

    # "If not provided, transfer records of the main account": what it sent (40 to the second, 120 to itself, newest
    # first), what it received (120 from itself, 300 from the first); the first sub-account sent 5 and 300.
    assert amounts(sent) == ["40", "120"]
    assert amounts(received) == ["120", "300"]
    assert amounts(by_first) == ["5", "300"]
    assert second not in {row["fromUserId"] for row in by_first["data"]["list"]}


async def test_more_moves_than_a_page_are_read_by_the_answers_cursor(bitget: BitgetEmulator) -> None:
    # 150 moves of 1 USDT from the first sub-account into this account, an hour apart: a page of 100 and one of 50,
    # the second asked with the first answer's `cursor` ("use the cursor returned from the previous query").
    now, uid = bitget.book.account.now_ms, bitget.book.uid
    for n in range(150):
        ident, ts = str(1_140_000_000_000_000_000 + n), str(now - (n + 1) * 3_600_000)
        bitget.book.wallets.kinds.unified_sub_main.append(
            {"transferId": ident, "fromType": "unified", "toType": "spot", "amount": "1", "coin": "USDT",
             "fromUserId": SUB_UIDS[0], "toUserId": uid, "status": "Successful", "clientOid": ident,
             "createdTime": ts, "updatedTime": ts, "oldTransferId": str(n)}
        )  # fmt: skip
    async with unified_client(bitget) as client:
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        got = await drain(fetcher, Endpoint.TRANSFERS, {}, FetchReport())

    assert len(got) == 150 and len({r.exchange_tx_id for r in got}) == 150
    assert {(r.kind.value, r.asset, r.amount) for r in got} == {("deposit", "USDT", D(1))}
    # Nine windows of the initiator list (nothing sent) and of the receiver list, one of them two pages.
    assert bitget.requests.count(PATH) == 9 + 10
