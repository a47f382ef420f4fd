"""Bitget's unified-account (UTA) API v3 against its documentation: the documented response examples, as facts taken
from the pages named, go through the same two checks as the shared corpus (../shared/api-examples has no v3
payloads): (a) the emulator answers the same query in the same shape, (b) the fetcher and the key check read them
as a person does (expected values written by hand)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.fetchers.bitget import BitgetFetcher
from connectors.keycheck import KeyFacts, parse_bitget
from connectors.profiles import Endpoint, get_profile
from i18n import Text, render
from sandbox.exchanges import BitgetEmulator
from tests.conformance.corpus import shape_differences
from tests.conformance.test_bitget import EMPTY, FAST, Replay, _answer, client_for, read_all
from tests.emulators.conftest import PROFILE

D = Decimal
DOCS = "sebastianganser/Bitget_API @ c21262e1 (copy of bitget.com/api-doc, Dec 2025)"

# uta/trade/Get-Order-Fills.md, response example.
FILLS = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1750142995229,
    "data": {
        "list": [
            {
                "execId": "131111111111111111",
                "execLinkId": "131111111111111111",
                "orderId": "131111111111111111",
                "clientOid": "131111111111111111",
                "category": "USDT-FUTURES",
                "symbol": "BTCUSDT",
                "orderType": "market",
                "side": "sell",
                "execPrice": "106950.1",
                "execQty": "0.01",
                "execValue": "1069.501",
                "tradeScope": "taker",
                "tradeSide": "open",
                "feeDetail": [{"feeCoin": "USDT", "fee": "0.6417006"}],
                "createdTime": "1750141421721",
                "updatedTime": "1750141421728",
                "execPnl": "-0.002",
            }
        ],
        "cursor": "131111111111111111",
    },
}
# uta/account/Get-Financial-Records.md, response example (its `category` spelled "Margin" as the page writes it).
FINANCIAL_RECORDS = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1750135478641,
    "data": {
        "list": [
            {
                "category": "Margin",
                "id": "13111111111111111",
                "symbol": "BTCUSDT",
                "coin": "BTC",
                "type": "ORDER_DEALT_IN",
                "amount": "0.00531168",
                "fee": "-0.00000531",
                "balance": "55.10017801",
                "ts": "1745853486185",
            }
        ],
        "cursor": "122222222222222222",
    },
}
# uta/account/deposit/Get-Deposit-Records.md, response example.
DEPOSITS = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1740481864545,
    "data": [
        {
            "orderId": "1278112570963742720",
            "recordId": "1278112570963742720",
            "coin": "usdt",
            "type": "deposit",
            "dest": "internal_transfer",
            "size": "1",
            "status": "success",
            "fromAddress": "0x51xxx",
            "toAddress": "0x51xxx",
            "chain": "erc20",
            "createdTime": "1740451703778",
            "updatedTime": "1740451703778",
        }
    ],
}
# uta/account/withdrawal/Get-Withdrawal-Records.md, response example (its "type" is "deposit" there, verbatim).
WITHDRAWALS = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1740481864545,
    "data": [
        {
            "orderId": "1278112570963742720",
            "clientOid": "12121212112",
            "recordId": "1278112570963742720",
            "coin": "usdt",
            "type": "deposit",
            "dest": "internal_transfer",
            "size": "100",
            "status": "success",
            "fromAddress": "0x51xxx",
            "toAddress": "0x51xxx",
            "chain": "erc20",
            "fee": "10",
            "confirm": "5",
            "tag": "",
            "createdTime": "1740451703778",
            "updatedTime": "1740451703778",
        }
    ],
}
# https://www.krbitget.com/api-doc/uta/account/Get-Account-Info (mirror of bitget.com/api-doc), response example.
ACCOUNT_INFO = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1744617600000,
    "data": {
        "uid": "123456789",
        "inviterId": "987654321",
        "parentId": "",
        "channelCode": "6258",
        "channel": "official",
        "ips": "192.168.1.1,192.168.1.2",
        "permType": "read-and-write",
        "permissions": ["uta_mgt", "uta_trade", "withdraw", "copy_futures_position", "copy_futures_order"],
        "regisTime": "1704067200000",
    },
}


# uta/tax/Get-Tax-Records.md, response example.
TAX_RECORDS = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1763688181556,
    "data": [
        {"id": "1375573238088888369", "coin": "USDT", "type": "ORDER_DEALT_FROZEN_OUT", "amount": "-1.9998656",
         "fee": "0", "balance": "42.41856383400698", "ts": "1763688137552"},
        {"id": "1375573238088888368", "coin": "BGB", "type": "ORDER_PLF_FEE_OUT", "amount": "-0.0004556178732628",
         "fee": "0", "balance": "2.1598531923916739", "ts": "1763688137552"},
        {"id": "1375573238088888367", "coin": "BGB", "type": "ORDER_DEALT_IN", "amount": "0.5696", "fee": "0",
         "balance": "2.1603088102649367", "ts": "1763688137552"},
    ],
}  # fmt: skip


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


async def unified_records(
    method: str, response: Any, endpoint: Endpoint, key_type: str | None = None
) -> list[tuple[Any, ...]]:
    replay = Replay(method, response)
    try:
        for name in (
            "privateUtaGetV3TradeFills",
            "privateUtaGetV3AccountDepositRecords",
            "privateUtaGetV3AccountFinancialRecords",
        ):
            if name != method:
                setattr(replay.client, name, _answer({**EMPTY, "data": {"list": [], "cursor": ""}}))
        fetcher = BitgetFetcher(get_profile("bitget"), replay.client, key_type=key_type)
        fetcher.unified = True  # as learnt from a 40085
        return await read_all(fetcher, endpoint)
    finally:
        await replay.close()


async def test_a_documented_v3_fill_is_read_as_a_person_reads_it() -> None:
    # Sold 0.01 BTC at 106950.1 for 1069.501 USDT, fee 0.6417006 USDT (the category stays in raw).
    found = await unified_records("privateUtaGetV3TradeFills", FILLS, Endpoint.SPOT_TRADES)
    assert found == [
        (
            "trade",
            utc(1750141421721),
            "131111111111111111",
            "BTC",
            D("0.01"),
            "sell",
            "BTC/USDT",
            "USDT",
            D("1069.501"),
            D("106950.1"),
            "USDT",
            D("0.6417006"),
        ),
    ]


async def test_the_documented_v3_futures_fill_is_read_as_a_futures_trade() -> None:
    # The example is a USDT-FUTURES fill: sold 0.01 BTC of BTCUSDT at 106950.1, notional 1069.501 USDT (its settle
    # coin), fee 0.6417006 USDT; its execPnl stays in raw (the position's record carries the profit).
    found = await unified_records("privateUtaGetV3TradeFills", FILLS, Endpoint.FUTURES_TRADES)
    assert found == [
        ("futures_trade", utc(1750141421721), "131111111111111111", "BTC", D("0.01"), "sell", "BTC/USDT:USDT",
         "USDT", D("1069.501"), D("106950.1"), "USDT", D("0.6417006")),
    ]  # fmt: skip


async def test_the_documented_financial_record_is_a_fills_leg_and_stored_by_no_loan_or_funding_stream() -> None:
    # ORDER_DEALT_IN ("Order dealt fund in", uta/enum): 0.00531168 BTC bought on margin, whose fill the fills list
    # stores; the margin-loan and funding streams keep none of it.
    for endpoint in (Endpoint.MARGIN_LOANS, Endpoint.FUNDING):
        assert await unified_records("privateUtaGetV3AccountFinancialRecords", FINANCIAL_RECORDS, endpoint) == []


def _with_fee_in_bgb() -> Any:
    """The documented fill, its fee split as `feeDetail` (a list) allows: the USDT part and a BGB deduction (the tax
    page's example deducts a fill's fee in BGB, ORDER_PLF_FEE_OUT)."""
    data: Any = FILLS["data"]
    row = {**data["list"][0]}
    row["feeDetail"] = [{"feeCoin": "USDT", "fee": "0.6417006"}, {"feeCoin": "BGB", "fee": "0.0004556178732628"}]
    return {**FILLS, "data": {"list": [row], "cursor": ""}}


async def test_a_fill_that_paid_its_fee_in_two_coins_keeps_both() -> None:
    # The futures fill holds the first coin's fee; the BGB part is a FEE of its own, taken out of BGB.
    found = await unified_records("privateUtaGetV3TradeFills", _with_fee_in_bgb(), Endpoint.FUTURES_TRADES)
    fill = ("futures_trade", utc(1750141421721), "131111111111111111", "BTC", D("0.01"), "sell", "BTC/USDT:USDT",
            "USDT", D("1069.501"), D("106950.1"), "USDT", D("0.6417006"))  # fmt: skip
    fee = ("fee", utc(1750141421721), "131111111111111111", "BGB", D("-0.0004556178732628"), None,
           "BTC/USDT:USDT", None, None, None, None, None)  # fmt: skip
    assert found == [fill, fee]
    # A spot fill the same way: the trade, and the BGB part apart.
    spot = await unified_records("privateUtaGetV3TradeFills", _with_fee_in_bgb(), Endpoint.SPOT_TRADES)
    assert [(r[0], r[3], r[4], r[5], r[10], r[11]) for r in spot] == [
        ("trade", "BTC", D("0.01"), "sell", "USDT", D("0.6417006")),
        ("fee", "BGB", D("-0.0004556178732628"), None, None, None),
    ]


def _records_of(*rows: tuple[str, str, str]) -> Any:
    """A financial-records page in the documented shape, one row per (type, coin, amount)."""
    data: Any = FINANCIAL_RECORDS["data"]
    example = data["list"][0]
    listed = [
        {**example, "id": str(13111111111111111 + n), "type": kind, "coin": coin, "amount": amount, "fee": "0"}
        for n, (kind, coin, amount) in enumerate(rows)
    ]
    return {**FINANCIAL_RECORDS, "data": {"list": listed, "cursor": ""}}


async def test_every_liquidation_record_the_enum_names_is_counted_as_its_name_says() -> None:
    # uta/enum, "type (financial records)". A liquidation fee and money out are paid, money in received, whichever
    # sign the row writes; a liquidation's exchange is one leg per coin; its repayment pays principal back.
    page = _records_of(
        ("LIQ_FEE", "USDT", "-1.5"),
        ("LIQ_FUND_IN", "USDT", "2"),
        ("LIQ_FUND_OUT", "USDT", "-0.3"),
        ("RISK_LIQ_USER_IN", "USDT", "5"),
        ("RISK_LIQ_USER_OUT", "BTC", "-0.0001"),
        ("LIQ_CONVERT_OUT", "BTC", "-0.002"),
        ("LIQ_CONVERT_IN", "USDT", "210.5"),
        ("LIQ_REPAYMENT", "USDT", "-200"),
    )
    found = await unified_records("privateUtaGetV3AccountFinancialRecords", page, Endpoint.MARGIN_LOANS)
    assert [(kind, asset, amount, side) for kind, _, _, asset, amount, side, *_ in found] == [
        ("realized_pnl", "USDT", D("-1.5"), None),
        ("realized_pnl", "USDT", D("2"), None),
        ("realized_pnl", "USDT", D("-0.3"), None),
        ("realized_pnl", "USDT", D("5"), None),
        ("realized_pnl", "BTC", D("-0.0001"), None),
        ("convert", "BTC", D("0.002"), "sell"),
        ("convert", "USDT", D("210.5"), "buy"),
        ("repay", "USDT", D("200"), None),
    ]


async def test_transfers_whose_other_side_the_enum_does_not_name_stay_uncounted_ledger_lines() -> None:
    # "Liquidation transfer" and "Reserve transfer": to the account's own funding wallet or to Bitget, the enum does
    # not say; kept as written, so the reconciliation shows what they leave unexplained.
    page = _records_of(
        ("LIQ_TRANSFER_IN", "USDT", "3"),
        ("LIQ_TRANSFER_OUT", "USDT", "-3"),
        ("RESERVE_TRANSFER_IN", "USDT", "7"),
        ("RESERVE_TRANSFER_OUT", "USDT", "-7"),
    )
    found = await unified_records("privateUtaGetV3AccountFinancialRecords", page, Endpoint.FUTURES_TRADES)
    assert [(kind, amount) for kind, _, _, _, amount, *_ in found] == [
        ("ledger", D("3")),
        ("ledger", D("-3")),
        ("ledger", D("7")),
        ("ledger", D("-7")),
    ]


async def test_documented_v3_deposits_and_withdrawals_are_read_as_a_person_reads_them() -> None:
    deposits = await unified_records("privateUtaGetV3AccountDepositRecords", DEPOSITS, Endpoint.DEPOSITS)
    withdrawals = await unified_records("privateUtaGetV3AccountWithdrawalRecords", WITHDRAWALS, Endpoint.WITHDRAWALS)
    assert deposits == [("deposit", utc(1740451703778), "1278112570963742720", "USDT", D("1")) + (None,) * 7]
    # "size: Withdrawal quantity", "fee: … in the withdrawal currency": 100 USDT withdrawn, 10 USDT fee.
    sent = ("withdrawal", utc(1740451703778), "1278112570963742720", "USDT", D("100"))
    assert withdrawals == [(*sent, None, None, None, None, None, "USDT", D("10"))]


async def test_documented_v3_tax_records_are_read_as_a_person_reads_them() -> None:
    # Each stream (SPOT, MARGIN crossed/isolated, OTHER) is asked; the replay answers the first request only.
    found = await unified_records("privateUtaGetV3TaxRecords", TAX_RECORDS, Endpoint.LEDGER, key_type="tax")
    nothing = (None,) * 7
    assert found == [
        ("ledger", utc(1763688137552), "1375573238088888369", "USDT", D("-1.9998656"), *nothing),
        ("ledger", utc(1763688137552), "1375573238088888368", "BGB", D("-0.0004556178732628"), *nothing),
        ("ledger", utc(1763688137552), "1375573238088888367", "BGB", D("0.5696"), *nothing),
    ]


def test_the_documented_v3_key_info_is_read_as_a_key_that_can_trade_and_withdraw() -> None:
    facts = parse_bitget(ACCOUNT_INFO)
    assert (facts.can_read, facts.can_trade, facts.can_withdraw, facts.ip_restricted) == (True, True, True, True)
    assert facts.unknown_permissions == () and facts.note_text is not None
    shown = render(Text(facts.note_text.id, {**facts.note_text.args, "name": "Bitget"}))
    assert "This Bitget account is a unified trading account (UTA)." in shown
    assert isinstance(facts, KeyFacts)


Query = Callable[[Any, BitgetEmulator], Awaitable[Any]]


async def _fills(client: Any, emulator: BitgetEmulator) -> Any:
    return await client.privateUtaGetV3TradeFills({"category": "SPOT", "limit": 5})


async def _deposits(client: Any, emulator: BitgetEmulator) -> Any:
    ts = emulator.account.deposits[-1].timestamp
    return await client.privateUtaGetV3AccountDepositRecords({"startTime": ts - 1, "endTime": ts + 1})


async def _withdrawals(client: Any, emulator: BitgetEmulator) -> Any:
    ts = emulator.account.withdrawals[-1].timestamp
    return await client.privateUtaGetV3AccountWithdrawalRecords({"startTime": ts - 1, "endTime": ts + 1})


async def _info(client: Any, emulator: BitgetEmulator) -> Any:
    return await client.privateUtaGetV3AccountInfo()


async def _tax(client: Any, emulator: BitgetEmulator) -> Any:
    ts = next(r.ts for r in reversed(emulator.book.tax.spot) if r.tax_type in ("Buy", "Sell"))
    return await client.privateUtaGetV3TaxRecords({"bizType": "SPOT", "startTime": ts - 1, "endTime": ts + 1})


async def test_the_emulator_answers_futures_fills_and_financial_records_in_the_documented_shape() -> None:
    async with BitgetEmulator(seed=3, profile=PROFILE, listed_symbols=40, limits=FAST, derivatives=True) as emulator:
        script = emulator.derivatives
        assert script is not None
        fill, loan = script.fills[0], script.loans[0]
        async with client_for(emulator, emulator.create_demo_keys().unified, tax=False) as client:
            fills = await client.privateUtaGetV3TradeFills(
                {"category": fill.product, "startTime": fill.timestamp - 1, "endTime": fill.timestamp + 1}
            )
            records = await client.privateUtaGetV3AccountFinancialRecords(
                {"category": "MARGIN", "startTime": loan.timestamp - 1, "endTime": loan.timestamp + 1}
            )
    assert fills["data"]["list"] and records["data"]["list"], "no rows compared"
    assert shape_differences(FILLS, fills) == []
    assert shape_differences(FINANCIAL_RECORDS, records) == []


@pytest.mark.parametrize(
    ("documented", "query"),
    [(FILLS, _fills), (DEPOSITS, _deposits), (WITHDRAWALS, _withdrawals), (ACCOUNT_INFO, _info), (TAX_RECORDS, _tax)],
    ids=["fills", "deposit-records", "withdrawal-records", "account-info", "tax-records"],
)
async def test_the_emulator_answers_v3_in_the_documented_shape(documented: Any, query: Query) -> None:
    tax = query is _tax
    async with BitgetEmulator(seed=3, profile=PROFILE, listed_symbols=40, limits=FAST) as emulator:
        key = emulator.add_tax_key(unified=True) if tax else emulator.create_demo_keys().unified
        async with client_for(emulator, key, tax=tax) as client:
            emulated = await query(client, emulator)
    data = emulated["data"]
    assert data["list"] if isinstance(data, dict) and "list" in data else data, "no rows compared"
    assert shape_differences(documented, emulated) == []
