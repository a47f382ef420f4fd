"""Bitget's main-sub transfer list of a unified account and the sub-accounts' assets list: the documented examples,
the emulator's answers in their shape, and the v3 example read as a person reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.bitget.unified_transfers import BitgetUnifiedMainSub
from connectors.records import RecordKind
from sandbox.exchanges import BitgetEmulator
from sandbox.exchanges.bitget_wallets import add_more_kinds, add_unified_main_sub
from tests.conformance.corpus import shape_differences
from tests.connectors.test_bitget_unified_derivatives import FAST, SMALL, unified_client
from tests.connectors.test_fetch_bitget import bitget_client

D = Decimal

# sebastianganser/Bitget_API @ c21262e1, uta/account/transfer/SubAccount-Transfer-Get.md, response example.
SUB_TRANSFER_RECORDS = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1751453670468,
    "data": {
        "list": [
            {
                "transferId": "1320888751047921664",
                "fromType": "spot",
                "toType": "uta",
                "amount": "20.00000000",
                "coin": "USDT",
                "fromUserId": "6841950428",
                "toUserId": "6841950428",
                "status": "Successful",
                "clientOid": "1320888751047921664",
                "createdTime": "1750650339853",
                "updatedTime": "1750650339853",
                "oldTransferId": "182797214",
            },
            {
                "transferId": "1314821589514407936",
                "fromType": "spot",
                "toType": "isolated_margin",
                "amount": "1.00000000",
                "coin": "USDT",
                "fromUserId": "6841950428",
                "toUserId": "6841950428",
                "status": "Successful",
                "clientOid": "1314821589514407936",
                "createdTime": "1749203815821",
                "updatedTime": "1749203815821",
                "oldTransferId": "175609331",
            },
        ],
        "cursor": "2",
    },
}
# Same copy, spot/account/Get-Subaccount-Assets.md, response example ("message", where every other page and ccxt's
# recorded answers say "msg"; `id` and `userId` numbers, where the table says String).
SUB_ACCOUNT_ASSETS = {
    "code": "00000",
    "message": "success",
    "requestTime": 1695808949356,
    "data": [
        {
            "id": 1111,
            "userId": 1234567890,
            "assetsList": [
                {
                    "coin": "BTC",
                    "available": "1.1",
                    "limitAvailable": "12.1",
                    "frozen": "0",
                    "locked": "1.1",
                    "uTime": "1337654897651",
                },
            ],
        },
        {
            "id": 2222,
            "userId": 1234567890,
            "assetsList": [
                {
                    "coin": "ETH",
                    "available": "12.1",
                    "limitAvailable": "12.1",
                    "frozen": "0",
                    "locked": "1.1",
                    "uTime": "1337654897651",
                },
            ],
        },
    ],
}


async def test_the_emulator_answers_the_v3_transfer_records_in_the_documented_shape() -> None:
    async with BitgetEmulator(seed=16, profile=SMALL, listed_symbols=20, limits=FAST) as bitget:
        add_unified_main_sub(bitget.book.wallets, bitget.book.account.now_ms)
        async with unified_client(bitget) as client:
            answer = await client.privateUtaGetV3AccountSubTransferRecord({"role": "receiver"})
    assert answer["data"]["list"], "no rows compared"
    assert shape_differences(SUB_TRANSFER_RECORDS, answer) == []


async def test_the_emulator_answers_the_sub_account_assets_in_the_documented_shape() -> None:
    async with BitgetEmulator(seed=16, profile=SMALL, listed_symbols=20, limits=FAST) as bitget:
        add_more_kinds(bitget.book.wallets, bitget.book.account.now_ms)
        async with bitget_client(bitget) as client:
            answer = await client.privateSpotGetV2SpotAccountSubaccountAssets({})
    assert answer["data"], "no rows compared"
    # The envelope as every other v2 answer ("msg"); the rows as the example.
    assert shape_differences({"data": SUB_ACCOUNT_ASSETS["data"]}, {"data": answer["data"]}) == []


class _Replay:
    """A client that answers the documented example (the key's uid: the example's own user id)."""

    def safe_currency_code(self, coin: str) -> str:
        return coin

    async def privateUtaGetV3AccountInfo(self, params: dict[str, Any]) -> Any:
        return {"code": "00000", "data": {"uid": "6841950428"}}

    async def privateUtaGetV3AccountSubTransferRecord(self, params: dict[str, Any]) -> Any:
        return SUB_TRANSFER_RECORDS


def test_the_documented_own_moves_are_transfers_read_once() -> None:
    walk = BitgetUnifiedMainSub(_Replay())
    walk.uid = "6841950428"
    rows = SUB_TRANSFER_RECORDS["data"]["list"]  # type: ignore[index]
    sent = [walk.read_row(row, "initiator")[0] for row in rows]
    received = [walk.read_row(row, "receiver")[0] for row in rows]
    # 20 USDT spot -> uta and 1 USDT spot -> isolated_margin, both between the account's own wallets: TRANSFER
    # records (count zero), read with the sender's list and not again with the receiver's.
    assert [(r.kind, r.asset, r.amount, r.occurred_at) for r in sent if r] == [
        (RecordKind.TRANSFER, "USDT", D("20"), datetime.fromtimestamp(1750650339.853, UTC)),
        (RecordKind.TRANSFER, "USDT", D("1"), datetime.fromtimestamp(1749203815.821, UTC)),
    ]
    assert received == [None, None]
