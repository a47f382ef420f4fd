"""Bybit against its own documentation and against answers recorded from the live API.

For every payload of `../shared/api-examples/bybit/` and `recorded/bybit/` (and the documented examples written
below for the endpoints the shared folder lacks):
(a) the emulator answers the same query with the same envelope, field names and JSON types (the schema is the
    documented example, never the emulator), and
(b) the fetcher (or the key check) turns the payload into exactly the records a person reads off it: the expected
    records below are written by hand from the payload (exact decimals, UTC times, ids, fee and fee asset).
A file whose topic no check knows, or for which nothing was written by hand, fails: a payload added later is never
skipped. The emulator's rules are checked against docs/exchange-apis/bybit.md.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from connectors.clients import ClientPool
from connectors.fetchers import windows
from connectors.fetchers.base import FetchReport
from connectors.fetchers.bybit import BybitFetcher
from connectors.fetchers.bybit.derivatives import read_mode
from connectors.keycheck import KeyFacts, parse_bybit
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, BybitEmulator, BybitLimits
from sandbox.exchanges.base import DAY_MS, MINUTE_MS, SECOND_MS
from sandbox.exchanges.bybit import DOCUMENTED_BUDGETS
from sandbox.exchanges.protocol import NotEmulated
from tests.conformance.corpus import Example, examples, field_paths, move, readable, shape_differences

PROFILE = AccountProfile(
    years=1.5, traded_markets=6, trades=400, deposits=30, withdrawals=10, converts=20, transfers=20
)
FAST = BybitLimits(per_second={}, default_per_second=100_000, ip_requests_per_5s=100_000)
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)  # when the key check below is "made" (for `adjust`'s "+90d")


@dataclass(frozen=True)
class Topic:
    """How to ask Bybit for the payload of one topic, and which history it is."""

    path: str
    method: str  # ccxt's implicit method
    params: Mapping[str, Any]
    rows: str  # where the rows are in `result`
    time_field: str | None  # the row's time, to place the emulator's query on its records
    endpoint: Endpoint | None  # the fetcher's endpoint; None: read by the key check
    account: str = ""  # the kind of account that answers it ("unified", "classic"); "": both


EXECUTIONS = Topic(
    "/v5/execution/list", "privateGetV5ExecutionList", {"category": "spot"}, "list", "execTime", Endpoint.SPOT_TRADES
)
TOPICS: Mapping[str, Topic] = {
    "execution_list_linear": Topic(
        "/v5/execution/list",
        "privateGetV5ExecutionList",
        {"category": "linear"},
        "list",
        "execTime",
        Endpoint.FUTURES_TRADES,
        "unified",
    ),
    "execution_list_spot": EXECUTIONS,
    "transaction_log": Topic(
        "/v5/account/transaction-log",
        "privateGetV5AccountTransactionLog",
        {},
        "list",
        "transactionTime",
        Endpoint.FUNDING,
        "unified",
    ),
    "contract_transaction_log": Topic(
        "/v5/account/contract-transaction-log",
        "privateGetV5AccountContractTransactionLog",
        {},
        "list",
        "transactionTime",
        Endpoint.FUNDING,
        "classic",
    ),
    "borrow_history": Topic(
        "/v5/account/borrow-history",
        "privateGetV5AccountBorrowHistory",
        {},
        "list",
        "createdTime",
        Endpoint.MARGIN_LOANS,
        "unified",
    ),
    "account_info": Topic("/v5/account/info", "privateGetV5AccountInfo", {}, "", None, None),
    "deposit_query_record": Topic(
        "/v5/asset/deposit/query-record",
        "privateGetV5AssetDepositQueryRecord",
        {},
        "rows",
        "successAt",
        Endpoint.DEPOSITS,
    ),
    "deposit_query_internal_record": Topic(
        "/v5/asset/deposit/query-internal-record",
        "privateGetV5AssetDepositQueryInternalRecord",
        {},
        "rows",
        "createdTime",
        Endpoint.DEPOSITS,
    ),
    "withdraw_query_record": Topic(
        "/v5/asset/withdraw/query-record",
        "privateGetV5AssetWithdrawQueryRecord",
        {"withdrawType": 2},
        "rows",
        "createTime",
        Endpoint.WITHDRAWALS,
    ),
    "inter_transfer_list": Topic(
        "/v5/asset/transfer/query-inter-transfer-list",
        "privateGetV5AssetTransferQueryInterTransferList",
        {},
        "list",
        "timestamp",
        Endpoint.TRANSFERS,
    ),
    "query_convert_history": Topic(
        "/v5/asset/exchange/query-convert-history",
        "privateGetV5AssetExchangeQueryConvertHistory",
        {},
        "list",
        None,
        Endpoint.CONVERT,
    ),
    "query_api": Topic("/v5/user/query-api", "privateGetV5UserQueryApi", {}, "", None, None),
    # ccxt's load_markets (Tallybot's options: spot only) and its clock sync
    "market_instruments_info": Topic(
        "/v5/market/instruments-info", "publicGetV5MarketInstrumentsInfo", {"category": "spot"}, "list", None, None
    ),
    "market_time": Topic("/v5/market/time", "publicGetV5MarketTime", {}, "", None, None),
}


# The documented example of the internal (off-chain) deposit list, which the shared folder does not hold:
# bybit-exchange/docs, docs/v5/asset/deposit/internal-deposit-record.mdx (stored commit 1880f74), "Response Example",
# with its two typos fixed (a full-width comma after txID and a trailing comma after taxStatus).
INTERNAL_DEPOSIT_DOCS = {
    "retCode": 0,
    "retMsg": "success",
    "result": {
        "rows": [
            {
                "id": "1103",
                "amount": "0.1",
                "type": 1,
                "coin": "ETH",
                "address": "xxxx***@gmail.com",
                "status": 2,
                "createdTime": "1705393280",
                "fromMemberId": "118027304",
                "txID": "77c37e5c-d9fa-41e5-bd13-c9b59d95",
                "taxDepositRecordsId": "0",
                "taxStatus": 0,
            }
        ],
        "nextPageCursor": "eyJtaW5JRCI6MTEwMywibWF4SUQiOjExMDN9",
    },
    "retExtInfo": {},
    "time": 1705395632689,
}


# bybit-exchange/docs, docs/v5/market/instrument.mdx (stored commit 006fe5e), the Spot "Response Example".
INSTRUMENTS_SPOT_DOCS = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "spot",
        "list": [
            {
                "symbolId": 9,
                "symbol": "BTCUSDT",
                "baseCoin": "BTC",
                "quoteCoin": "USDT",
                "innovation": "0",
                "status": "Trading",
                "marginTrading": "utaOnly",
                "stTag": "0",
                "lotSizeFilter": {
                    "basePrecision": "0.000001",
                    "quotePrecision": "0.0000001",
                    "minOrderQty": "0.000011",
                    "maxOrderQty": "83",
                    "minOrderAmt": "5",
                    "maxOrderAmt": "8000000",
                    "maxLimitOrderQty": "83",
                    "maxMarketOrderQty": "41.5",
                    "postOnlyMaxLimitOrderSize": "60000",
                },
                "priceFilter": {"tickSize": "0.1"},
                "riskParameters": {"priceLimitRatioX": "0.005", "priceLimitRatioY": "0.01"},
                "symbolType": "",
            }
        ],
    },
    "retExtInfo": {},
    "time": 1760027412300,
}
# bybit-exchange/docs, docs/v5/market/time.mdx (stored commit 04b29c1), "Response Example".
TIME_DOCS = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {"timeSecond": "1688639403", "timeNano": "1688639403423213947"},
    "retExtInfo": {},
    "time": 1688639403423,
}


# bybit-exchange/docs, docs/v5/account/transaction-log.mdx (stored commit 4ffd7c1), "Response Example": a funding
# settlement and two fills of one XRPUSDT order (the page gives two lines the same `id`).
TRANSACTION_LOG_DOCS = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "nextPageCursor": "21963%3A1%2C14954%3A1",
        "list": [
            {
                "id": "592324_XRPUSDT_161440249321",
                "symbol": "XRPUSDT",
                "side": "Buy",
                "funding": "-0.003676",
                "orderLinkId": "",
                "orderId": "1672128000-8-592324-1-2",
                "fee": "0.00000000",
                "change": "-0.003676",
                "cashFlow": "0",
                "transactionTime": "1672128000000",
                "type": "SETTLEMENT",
                "feeRate": "0.0001",
                "bonusChange": "",
                "size": "100",
                "qty": "100",
                "cashBalance": "5086.55825002",
                "currency": "USDT",
                "category": "linear",
                "tradePrice": "0.3676",
                "tradeId": "534c0003-4bf7-486f-aa02-78cee36825e4",
            },
            {
                "id": "592324_XRPUSDT_161440249321",
                "symbol": "XRPUSDT",
                "side": "Buy",
                "funding": "",
                "orderLinkId": "linear-order",
                "orderId": "592b7e41-78fd-42e2-9aa3-91e1835ef3e1",
                "fee": "0.01908720",
                "change": "-0.0190872",
                "cashFlow": "0",
                "transactionTime": "1672121182224",
                "type": "TRADE",
                "feeRate": "0.0006",
                "bonusChange": "-0.1430544",
                "size": "100",
                "qty": "88",
                "cashBalance": "5086.56192602",
                "currency": "USDT",
                "category": "linear",
                "tradePrice": "0.3615",
                "tradeId": "5184f079-88ec-54c7-8774-5173cafd2b4e",
            },
            {
                "id": "592324_XRPUSDT_161407743011",
                "symbol": "XRPUSDT",
                "side": "Buy",
                "funding": "",
                "orderLinkId": "linear-order",
                "orderId": "592b7e41-78fd-42e2-9aa3-91e1835ef3e1",
                "fee": "0.00260280",
                "change": "-0.0026028",
                "cashFlow": "0",
                "transactionTime": "1672121182224",
                "type": "TRADE",
                "feeRate": "0.0006",
                "bonusChange": "",
                "size": "12",
                "qty": "12",
                "cashBalance": "5086.58101322",
                "currency": "USDT",
                "category": "linear",
                "tradePrice": "0.3615",
                "tradeId": "8569c10f-5061-5891-81c4-a54929847eb3",
            },
        ],
    },
    "retExtInfo": {},
    "time": 1672132481405,
}
# bybit-exchange/docs, docs/v5/account/contract-transaction-log.mdx (stored commit 059d556), "Response Example".
CONTRACT_LOG_DOCS = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "list": [
            {
                "id": "467153",
                "symbol": "BTCUSD",
                "category": "inverse",
                "side": "Sell",
                "transactionTime": "1714032000000",
                "type": "SETTLEMENT",
                "qty": "1000",
                "size": "-1000",
                "currency": "BTC",
                "tradePrice": "63974.88",
                "funding": "-0.00000156",
                "fee": "",
                "cashFlow": "0.00000000",
                "change": "0.00000156",
                "cashBalance": "1.1311",
                "feeRate": "-0.00010000",
                "bonusChange": "",
                "tradeId": "423a565c-f1b6-4c81-bc62-760cd7dd89e7",
                "orderId": "",
                "orderLinkId": "",
            }
        ],
        "nextPageCursor": "cursor_id%3D467153%26",
    },
    "retExtInfo": {},
    "time": 1714035117258,
}
# The published Get Borrow History page (docs/v5/account/borrow-history; search tool find_string id 54488820321),
# "Response Example": the stored repository copy (223f51a) is an older edition without borrowAmount,
# unrealisedLoss and freeBorrowedAmount.
BORROW_HISTORY_DOCS = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "nextPageCursor": "2671153%3A1%2C2671153%3A1",
        "list": [
            {
                "borrowAmount": "1.06333265702840778",
                "costExemption": "0",
                "freeBorrowedAmount": "0",
                "createdTime": 1697439900204,
                "InterestBearingBorrowSize": "1.06333265702840778",
                "currency": "BTC",
                "unrealisedLoss": "0",
                "hourlyBorrowRate": "0.000001216904",
                "borrowCost": "0.00000129",
            }
        ],
    },
    "retExtInfo": {},
    "time": 1697442206478,
}
# bybit-exchange/docs, docs/v5/account/account-info.mdx (stored commit 4de7e37), "Response Example" (a UTA1.0 pro
# account); the page's envelope has no retExtInfo and time, as every other answer has: added.
ACCOUNT_INFO_DOCS = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "marginMode": "REGULAR_MARGIN",
        "updatedTime": "1697078946000",
        "unifiedMarginStatus": 4,
        "dcpStatus": "OFF",
        "timeWindow": 10,
        "smpGroup": 0,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
    },
    "retExtInfo": {},
    "time": 1697078946000,
}


def local_examples() -> list[Example]:
    def example(topic: str, page: str, endpoint: str, response: dict[str, Any]) -> Example:
        return Example(
            path=Path(f"/docs-examples/bybit/{topic}.docs.json"),
            exchange="bybit",
            source={"repo": "bybit-exchange/docs", "path": page},
            endpoint=endpoint,
            adjust=None,
            response=response,
        )

    return [
        example(
            "deposit_query_internal_record",
            "docs/v5/asset/deposit/internal-deposit-record.mdx",
            "/v5/asset/deposit/query-internal-record",
            INTERNAL_DEPOSIT_DOCS,
        ),
        example(
            "market_instruments_info",
            "docs/v5/market/instrument.mdx",
            "/v5/market/instruments-info",
            INSTRUMENTS_SPOT_DOCS,
        ),
        example("market_time", "docs/v5/market/time.mdx", "/v5/market/time", TIME_DOCS),
        example(
            "transaction_log",
            "docs/v5/account/transaction-log.mdx",
            "/v5/account/transaction-log",
            TRANSACTION_LOG_DOCS,
        ),
        example(
            "contract_transaction_log",
            "docs/v5/account/contract-transaction-log.mdx",
            "/v5/account/contract-transaction-log",
            CONTRACT_LOG_DOCS,
        ),
        example(
            "borrow_history", "docs/v5/account/borrow-history.mdx", "/v5/account/borrow-history", BORROW_HISTORY_DOCS
        ),
        example("account_info", "docs/v5/account/account-info.mdx", "/v5/account/info", ACCOUNT_INFO_DOCS),
    ]


LOCAL = local_examples()
ALL = examples("bybit") + LOCAL


def label(example: Example) -> str:
    """The payload's name: its path under api-examples/, or "(test) …" for the examples written in this file."""
    return f"(test) bybit/{example.path.name}" if example in LOCAL else example.name


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def d(text: str) -> Decimal:
    return Decimal(text)


def trade(
    when: str, ident: str, side: str, amount: str, price: str, quote: str, fee: str, fee_asset: str
) -> dict[str, Any]:
    return {
        "kind": RecordKind.TRADE,
        "occurred_at": utc(when),
        "asset": "QNT",
        "amount": d(amount),
        "exchange_tx_id": ident,
        "market": "QNT/USDT",
        "side": side,
        "quote_asset": "USDT",
        "quote_amount": d(quote),
        "price": d(price),
        "fee_asset": fee_asset,
        "fee_amount": d(fee),
    }


def converted(when: str, ident: str, bought: str, amount: str, paid: str, paid_amount: str) -> dict[str, Any]:
    return {
        "kind": RecordKind.CONVERT,
        "occurred_at": utc(when),
        "asset": bought,
        "amount": d(amount),
        "exchange_tx_id": ident,
        "market": None,
        "side": "buy",
        "quote_asset": paid,
        "quote_amount": d(paid_amount),
        "price": None,
        "fee_asset": None,
        "fee_amount": None,
    }


DEPOSIT, WITHDRAWAL, TRANSFER = RecordKind.DEPOSIT, RecordKind.WITHDRAWAL, RecordKind.TRANSFER

SPOT_ROWS = [
    # Classic account row: execType "", no feeCurrency, no execValue. Sold 0.415 QNT at 98.6 = 40.919 USDT; a
    # sell with a positive fee pays in the quote coin (Bybit's spot fee rule): 0.040919 USDT (0.1 %).
    trade("2023-10-24T15:35:16.634", "2210000000097330907", "sell", "0.415", "98.6", "40.919", "0.040919", "USDT"),
    # Unified account row, before feeCurrency existed: bought 0.01 QNT at 102.8 = 1.028 USDT; a maker buy with a
    # positive fee rate (0.00025) pays in the base coin: 0.0000025 QNT (0.01 x 0.00025).
    trade("2023-11-08T12:05:51.998", "2210000000101610464", "buy", "0.01", "102.8", "1.028", "0.0000025", "QNT"),
]
DOCS_DEPOSIT = [move(DEPOSIT, "2025-03-23T11:09:23", "160237231", "USDT", "999.0496")]  # depositFee "": none
DOCS_WITHDRAWALS = [
    move(WITHDRAWAL, "2025-03-23T13:58:25", "131629076", "USDC", "41.43008", "5"),
    move(WITHDRAWAL, "2025-03-23T11:28:49", "131603458", "USDT", "951", "1"),
]
DOCS_TRANSFER = [
    move(TRANSFER, "2022-11-01T06:14:23", "selfTransfer_a1091cc7-9364-4b74-8de1-18f02c6f2d5c", "USDT", "5000")
]
DOCS_CONVERTS = [
    # newest first, as Bybit lists them: 0.1 ETH for 0.00534882723991 BTC, then 0.1 BTC for 1.773938248611074 ETH
    converted("2024-07-04T05:44:59.995", "10100108106409343501030232064", "BTC", "0.00534882723991", "ETH", "0.1"),
    converted(
        "2024-07-03T02:37:23.256", "23070eb_convert_uta408933875189391360", "ETH", "1.773938248611074", "BTC", "0.1"
    ),
]


def derivative(kind: RecordKind, when: str, ident: str | None, asset: str, amount: str, market: str) -> dict[str, Any]:
    """A hand-written realized profit, funding payment or interest charge (signed, in `asset`)."""
    return {**move(kind, when, ident, asset, amount), "market": market}


# The docs' linear fill: bought 0.1 ETHPERP (a USDC perpetual) at 1190.15 = 119.015 USDC; fee 0.071409 USDC
# (0.06 %), paid in the settle coin.
DOCS_LINEAR_FILL = {
    "kind": RecordKind.FUTURES_TRADE,
    "occurred_at": utc("2022-12-29T02:58:42.429"),
    "asset": "ETH",
    "amount": d("0.1"),
    "exchange_tx_id": "e0cbe81d-0f18-5866-9415-cf319b5dab3b",
    "market": "ETH/USDC:USDC",
    "side": "buy",
    "quote_asset": "USDC",
    "quote_amount": d("119.015"),
    "price": d("1190.15"),
    "fee_asset": "USDC",
    "fee_amount": d("0.071409"),
}
FUNDING, INTEREST = RecordKind.FUNDING, RecordKind.INTEREST

EXPECTED: Mapping[str, list[dict[str, Any]]] = {
    "bybit/execution_list_linear.docs.json": [DOCS_LINEAR_FILL],
    # The unified log's settlement line: funding "-0.003676" (negative: paid) on a long XRPUSDT. The two TRADE
    # lines carry no cash flow and their fees are the fills' (never stored twice): no record.
    "(test) bybit/transaction_log.docs.json": [
        derivative(
            FUNDING, "2022-12-27T08:00:00", "534c0003-4bf7-486f-aa02-78cee36825e4", "USDT", "-0.003676", "XRP/USDT:USDT"
        )
    ],
    # The classic log's funding "-0.00000156" on a short BTCUSD: "Negative value means receiving": +0.00000156 BTC.
    "(test) bybit/contract_transaction_log.docs.json": [
        derivative(
            FUNDING, "2024-04-25T08:00:00", "423a565c-f1b6-4c81-bc62-760cd7dd89e7", "BTC", "0.00000156", "BTC/USD:BTC"
        )
    ],
    # borrowCost "0.00000129" BTC of interest, charged 2023-10-16 07:05:00.204 UTC.
    "(test) bybit/borrow_history.docs.json": [move(INTEREST, "2023-10-16T07:05:00.204", None, "BTC", "-0.00000129")],
    "bybit/execution_list_spot.ccxt_recorded.json": SPOT_ROWS,
    "recorded/bybit/fidelity.execution_list_spot.ccxt_recorded.json": SPOT_ROWS,
    "bybit/deposit_query_record.docs.json": DOCS_DEPOSIT,
    "recorded/bybit/fidelity.deposit_query_record.docs.json": DOCS_DEPOSIT,
    # rotki's rows have no `id` (Bybit added it on 2025-06-12): the record keeps no exchange id; newest first
    "recorded/bybit/deposit_query_record.rotki.json": [
        move(DEPOSIT, "2023-11-28T19:48:31", None, "USDC", "79.993947"),
        move(DEPOSIT, "2023-11-28T19:46:20", None, "USDC", "20"),
    ],
    "recorded/bybit/deposit_query_record.hirokisan_testnet.json": [
        move(DEPOSIT, "2023-04-16T01:06:06", None, "USDT", "10000")
    ],
    # createdTime is in seconds: 1705393280 is 2024-01-16 08:21:20 UTC
    "(test) bybit/deposit_query_internal_record.docs.json": [
        move(DEPOSIT, "2024-01-16T08:21:20", "1103", "ETH", "0.1")
    ],
    "bybit/withdraw_query_record.docs.json": DOCS_WITHDRAWALS,
    "recorded/bybit/fidelity.withdraw_query_record.docs.json": DOCS_WITHDRAWALS,
    # the SecurityCheck row has not left yet: no record (it holds the cursor while recent); the off-chain one has
    "recorded/bybit/withdraw_query_record.docs_2025-04.json": [
        move(WITHDRAWAL, "2023-11-02T01:50:33", "13310", "USDT", "20.1234", "0")
    ],
    "recorded/bybit/withdraw_query_record.rotki.json": [
        move(WITHDRAWAL, "2023-12-15T08:23:40", "29848227", "ETH", "0.0024", "0.0001")
    ],
    "bybit/inter_transfer_list.docs.json": DOCS_TRANSFER,
    "recorded/bybit/fidelity.inter_transfer_list.docs.json": DOCS_TRANSFER,
    "recorded/bybit/inter_transfer_list.hirokisan_testnet.json": [
        move(TRANSFER, "2021-11-26T15:05:06", "selfTransfer_5ce5b8d9-8477-4bc6-91a4-9a98dad6dc65", "BTC", "0.1")
    ],
    "bybit/query_convert_history.docs.json": DOCS_CONVERTS,
    "recorded/bybit/fidelity.query_convert_history.docs.json": DOCS_CONVERTS,
}
NOT_ASKED: Mapping[str, str] = {}
# The wallets the account kind of the documented account information means (4: UTA1.0 pro).
EXPECTED_WALLETS: Mapping[str, tuple[str, ...]] = {"(test) bybit/account_info.docs.json": ("UNIFIED", "CONTRACT")}
# What the key check reads off the key information.
EXPECTED_KEYS: Mapping[str, KeyFacts] = {
    # readOnly 1, bound to three IPs, and so never expiring: "1970-01-01T00:00:00Z" is no expiry
    "bybit/query_api.docs.json": KeyFacts(can_read=True, can_trade=False, can_withdraw=False, ip_restricted=True),
    # `adjust`: any IP ("*"), so Bybit's 90-day expiry applies
    "recorded/bybit/fidelity.query_api.docs.json": KeyFacts(
        can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False, expires_at=NOW + timedelta(days=90)
    ),
}
# What ccxt's load_markets reads off the documented spot instrument (Tallybot's market symbols and coins).
EXPECTED_MARKETS: Mapping[str, dict[str, Any]] = {
    "(test) bybit/market_instruments_info.docs.json": {
        "BTC/USDT": {"id": "BTCUSDT", "base": "BTC", "quote": "USDT", "spot": True, "active": True}
    }
}
# What ccxt's fetch_time reads off the documented server time (ms).
EXPECTED_TIMES: Mapping[str, int] = {"(test) bybit/market_time.docs.json": 1688639403423}
MARKETS = {"QNTUSDT": {"symbol": "QNT/USDT", "base": "QNT", "quote": "USDT"}}  # instruments-info, for the replay


def replay(example: Example) -> Any:
    """The response as a replay serves it: the v5 envelope around a bare row list (ccxt's docstring keeps only the
    rows), and the file's `adjust` applied (see recorded/SOURCES.md), "+90d" read as 90 days after NOW."""
    response = copy.deepcopy(example.response)
    if isinstance(response, list):
        response = {
            "retCode": 0,
            "retMsg": "OK",
            "result": {"category": "spot", "list": response, "nextPageCursor": ""},
        }
    adjust = example.adjust or {}
    for dotted, value in (adjust.get("set_fields") or {}).items():
        *parents, last = dotted.split(".")
        target = response
        for part in parents:
            target = target[part]
        if value == "+90d":
            value = (NOW + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
        target[last] = value
    unknown = set(adjust) - {"set_fields", "why"}
    assert not unknown, f"{label(example)}: adjustments this replay does not know: {unknown}"
    return response


def rows_of(topic: Topic, response: Any) -> list[dict[str, Any]]:
    return list(response["result"][topic.rows]) if topic.rows else [response["result"]]


# ---------------------------------------------------------------------------------------------- the corpus


def test_every_bybit_payload_has_a_topic_and_hand_written_records() -> None:
    assert ALL, "no Bybit payloads found"
    for example in ALL:
        assert example.topic in TOPICS, f"{label(example)}: no conformance check knows the topic {example.topic!r}"
        known = any(
            label(example) in table
            for table in (EXPECTED, EXPECTED_KEYS, NOT_ASKED, EXPECTED_MARKETS, EXPECTED_TIMES, EXPECTED_WALLETS)
        )
        assert known, f"{label(example)}: nothing written by hand for this payload"
        if example.endpoint is not None:  # a recording names the path that answered: the topic's documented one
            assert example.endpoint == TOPICS[example.topic].path, label(example)
    # Every endpoint Tallybot calls on Bybit for history and the key check has a documented example.
    documented = {e.topic for e in ALL if e.path.name.endswith(".docs.json")}
    assert documented >= set(TOPICS) - {"execution_list_spot"}


# ---------------------------------------------------------------------------------------------- (a) the emulator


@asynccontextmanager
async def bybit_client(emulator: BybitEmulator) -> AsyncIterator[Any]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"bybit": emulator.base_url})
    try:
        async with pool.client("bybit", "conformance", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e6  # the emulator's own limits are under test here
            yield client
    finally:
        await pool.close()


def newest_time(emulator: BybitEmulator, topic: Topic) -> int:
    """The time of the emulated account's newest record of a topic, so a query lands on rows."""
    account, assets = emulator.account, emulator.assets
    from sandbox.exchanges.bybit_assets import is_internal

    script = emulator.derivatives.script
    category = topic.params.get("category", "spot")
    times = {
        "/v5/execution/list": [t.timestamp for t in account.trades]
        if category == "spot"
        else [f.time for f in script.fills if f.category == category],
        "/v5/account/transaction-log": [x.time for x in script.cash],
        "/v5/account/contract-transaction-log": [x.time for x in script.cash],
        "/v5/account/borrow-history": [c.time for c in script.interest],
        "/v5/asset/deposit/query-record": [d.timestamp for d in account.deposits if not is_internal(d)],
        "/v5/asset/deposit/query-internal-record": [d.timestamp for d in account.deposits if is_internal(d)],
        "/v5/asset/withdraw/query-record": [w.timestamp for w in account.withdrawals],
        "/v5/asset/transfer/query-inter-transfer-list": [t.timestamp for t in account.transfers],
    }[topic.path]
    del assets
    return max(times)


@pytest.fixture(scope="module")
def emulated_answers() -> dict[tuple[str, bool], Any]:
    """One answer per topic path from a unified and from a classic account, asked through ccxt with a read-only key,
    each window placed on the account's newest records (the last 7 days hold at most a few)."""

    async def ask() -> dict[tuple[str, bool], Any]:
        answers: dict[tuple[str, bool], Any] = {}
        for classic in (False, True):
            emulator = BybitEmulator(
                seed=11, profile=PROFILE, listed_symbols=20, limits=FAST, classic=classic, derivatives=True
            )
            async with emulator, bybit_client(emulator) as client:
                for topic in TOPICS.values():
                    if topic.account == ("unified" if classic else "classic"):
                        continue  # this kind of account has no such list
                    params = dict(topic.params)
                    if topic.time_field is not None:
                        end = newest_time(emulator, topic) + 1
                        params.update(startTime=end - 7 * DAY_MS, endTime=end)
                    answers[(topic.path + str(params.get("category", "")), classic)] = await getattr(
                        client, topic.method
                    )(params)
        return answers

    return asyncio.run(ask())


def documented_of(example: Example) -> Example:
    """The current documented example of the payload's topic: the schema an emulated answer must have."""
    names = {f"bybit/{example.topic}.docs.json", f"(test) bybit/{example.topic}.docs.json"}
    found = [e for e in ALL if label(e) in names]
    if not found:  # ccxt's recorded spot rows: the endpoint's documented example is the linear one
        found = [e for e in ALL if label(e) == "bybit/execution_list_linear.docs.json"]
    return found[0]


def row_differences(example_rows: list[Any], emulated: Any, allowed: frozenset[str], prefix: str) -> list[str]:
    """An emulated row must have the shape of one of the payload's rows (a payload may show rows of two shapes:
    ccxt's classic and unified spot rows, Bybit's convert with and without broker info)."""
    tries = [shape_differences(row, emulated, path=prefix, extra_allowed=allowed) for row in example_rows]
    return [] if any(not t for t in tries) else min(tries, key=len)


@pytest.mark.parametrize("example", ALL, ids=label)
def test_the_emulator_answers_in_the_documented_shape(
    example: Example, emulated_answers: dict[tuple[str, bool], Any]
) -> None:
    topic = TOPICS[example.topic]
    payload = replay(example)
    documented = documented_of(example)
    # A payload older than today's docs may lack fields the docs show now (rotki's deposits have no `id`): those
    # fields are allowed by the documented example of the same endpoint.
    allowed = field_paths(documented.response) if documented is not example else frozenset()
    rows = rows_of(topic, payload)
    classic_rows = [r for r in rows if r.get("execType") == "" or topic.account == "classic"]
    for classic, expected_rows in ((False, [r for r in rows if r not in classic_rows]), (True, classic_rows)):
        if not expected_rows:
            continue
        answer = emulated_answers[(topic.path + str(topic.params.get("category", "")), classic)]
        emulated_rows = rows_of(topic, answer)
        assert emulated_rows, f"{topic.path}: the emulated account has no rows to compare"
        prefix = f"$.result.{topic.rows}[]" if topic.rows else "$.result"
        problems = [p for row in emulated_rows for p in row_differences(expected_rows, row, allowed, prefix)]
        if label(example).endswith("execution_list_spot.ccxt_recorded.json") and not classic:
            # ccxt's 2023 recording of a unified row has `seq` as a string; Bybit's docs (and the emulator) a number.
            problems = [p for p in problems if p != f"{prefix}.seq: documented string, emulated number"]
        assert sorted(set(problems)) == [], topic.path
        envelope = {k: v for k, v in payload.items()}
        emulated_envelope = {k: v for k, v in answer.items()}
        if topic.rows:
            envelope["result"] = {k: v for k, v in payload["result"].items() if k != topic.rows}
            emulated_envelope["result"] = {k: v for k, v in answer["result"].items() if k != topic.rows}
            assert topic.rows in answer["result"]
        else:
            envelope.pop("result")
            emulated_envelope.pop("result")
        assert shape_differences(envelope, emulated_envelope, extra_allowed=allowed) == [], topic.path


# ---------------------------------------------------------------------------------------------- (b) the fetcher


DEPOSIT_LISTS = ("privateGetV5AssetDepositQueryRecord", "privateGetV5AssetDepositQueryInternalRecord")
# The lists a derivatives endpoint walks besides the one a payload is from (other categories, the log): no rows.
DERIVATIVE_LISTS = (
    "privateGetV5ExecutionList",
    "privateGetV5AccountTransactionLog",
    "privateGetV5AccountContractTransactionLog",
    "privateGetV5AccountBorrowHistory",
)
EMPTY_LIST = {"retCode": 0, "retMsg": "OK", "result": {"list": [], "nextPageCursor": ""}}
# The transfers' second walk (connectors/fetchers/bybit/subaccounts.py): this key's UID, then its moves with its
# master or sub-accounts, which no transfer payload holds.
INTER_TRANSFERS = "privateGetV5AssetTransferQueryInterTransferList"
KEY_INFO, UNIVERSAL_LIST = "privateGetV5UserQueryApi", "privateGetV5AssetTransferQueryUniversalTransferList"


class ReplayClient:
    """Answers the topic's documented method with the payload's rows that fall in the asked window; anything else
    is a wrong endpoint."""

    def __init__(self, topic: Topic, response: Any) -> None:
        self.topic, self.response = topic, response
        self.calls: list[dict[str, Any]] = []
        self.universal_calls: list[dict[str, Any]] = []
        self.exchange = ccxt.bybit()  # no network: only its currency code rules are used

    def safe_currency_code(self, code: str) -> str:
        return str(self.exchange.safe_currency_code(code))

    def safe_market(self, symbol: str, *args: Any) -> dict[str, Any]:
        return MARKETS.get(symbol, {"symbol": symbol, "base": None, "quote": None})

    def __getattr__(self, name: str) -> Any:
        if name in DEPOSIT_LISTS and self.topic.method in DEPOSIT_LISTS and name != self.topic.method:
            # Deposits are two walks, on-chain then internal: the list this payload is not from answers no rows.
            async def empty(params: dict[str, Any]) -> Any:
                return {"retCode": 0, "retMsg": "success", "result": {"rows": [], "nextPageCursor": ""}}

            return empty
        if name == "privateGetV5AccountInfo" and self.topic.endpoint is not None:
            # The account's kind, asked first by the derivatives walks: the one whose lists the payload is from.
            status = 1 if self.topic.account == "classic" else 5

            async def kind(params: dict[str, Any]) -> Any:
                return {"retCode": 0, "retMsg": "OK", "result": {"unifiedMarginStatus": status}}

            return kind
        if name != self.topic.method and name in DERIVATIVE_LISTS and self.topic.method in DERIVATIVE_LISTS:

            async def nothing(params: dict[str, Any]) -> Any:
                return copy.deepcopy(EMPTY_LIST)

            return nothing
        if self.topic.method == INTER_TRANSFERS and name == KEY_INFO:

            async def key_info(params: dict[str, Any]) -> Any:
                (documented,) = [e for e in ALL if label(e) == "bybit/query_api.docs.json"]
                return copy.deepcopy(documented.response)

            return key_info
        if self.topic.method == INTER_TRANSFERS and name == UNIVERSAL_LIST:

            async def no_moves(params: dict[str, Any]) -> Any:
                self.universal_calls.append(params)
                return copy.deepcopy(EMPTY_LIST)

            return no_moves
        if name != self.topic.method:
            raise AssertionError(f"the fetcher called {name}, not the documented {self.topic.method}")

        async def answer(params: dict[str, Any]) -> Any:
            wanted = self.topic.params.get("category")
            if wanted and params.get("category") != wanted:
                return copy.deepcopy(EMPTY_LIST)  # another category of the same list
            self.calls.append(params)
            answer = copy.deepcopy(self.response)
            field = self.topic.time_field
            if field is not None:
                start, end = int(params["startTime"]), int(params["endTime"])
                rows = answer["result"][self.topic.rows]
                kind = params.get("type")  # the log asked for one type of line
                answer["result"][self.topic.rows] = [
                    r for r in rows if start <= epoch(r[field]) <= end and (not kind or r.get("type") == kind)
                ]
            return answer

        return answer


def epoch(raw: Any) -> int:
    value = int(raw)
    return value * 1000 if value < 10**12 else value


@pytest.mark.parametrize("example", ALL, ids=label)
async def test_the_fetcher_reads_what_a_person_reads_off_the_payload(
    example: Example, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = replay(example)
    topic = TOPICS[example.topic]
    if label(example) in EXPECTED_KEYS:
        assert parse_bybit(response) == EXPECTED_KEYS[label(example)]
        return
    if label(example) in EXPECTED_MARKETS or label(example) in EXPECTED_TIMES:
        await read_by_ccxt(example, response)
        return
    if label(example) in EXPECTED_WALLETS:
        mode = await read_mode(ReplayClient(topic, response))
        assert mode.wallets == EXPECTED_WALLETS[label(example)]
        return
    assert topic.endpoint is not None
    rows = rows_of(topic, response)
    times = [epoch(r[topic.time_field or "createdAt"]) for r in rows]
    # Synced the day after the newest row, from the day before the oldest: every row within the endpoint's reach.
    monkeypatch.setattr(windows, "now_ms", lambda: max(times) + DAY_MS)
    since = datetime.fromtimestamp((min(times) - DAY_MS) / 1000, tz=UTC)
    until = datetime.fromtimestamp((max(times) + DAY_MS) / 1000, tz=UTC)
    client = ReplayClient(topic, response)
    fetcher = BybitFetcher(get_profile("bybit"), client)
    records: list[NormalizedRecord] = []
    cursors: dict[str, Any] = {}
    if topic.endpoint is Endpoint.FUTURES_TRADES:
        # Fills of a category are asked for once the transaction log has shown that category: as an earlier log
        # walk would have (the replayed log itself has no lines).
        cursors["uta_log_pnl"] = {"seen_categories": [topic.params["category"]]}
    async for page in fetcher.fetch(topic.endpoint, since=since, until=until, cursors=cursors, report=FetchReport()):
        records += page.records
    spec = get_profile("bybit").endpoint(topic.endpoint)
    assert spec is not None
    assert client.calls and all(int(call["limit"]) == spec.page_size for call in client.calls)
    if topic.method == INTER_TRANSFERS:
        # The moves with sub-accounts are walked too, over the same days (Bybit's 7-day windows, its 50 a page).
        asked = client.universal_calls
        assert asked and all(int(call["limit"]) == 50 for call in asked), asked
        assert int(asked[0]["startTime"]) <= min(times) and int(asked[-1]["endTime"]) >= max(times), asked
    if label(example) in NOT_ASKED:
        assert all(call.get("category") == "spot" for call in client.calls)  # Tallybot never asks other categories
        return
    assert [readable(r) for r in records] == EXPECTED[label(example)]
    assert len({r.natural_key for r in records}) == len(records)
    assert all(r.occurred_at.utcoffset() == timedelta(0) for r in records)


# ---------------------------------------------------------------------------------------------- the rules table


BYBIT_MD = Path(__file__).resolve().parents[2] / "docs" / "exchange-apis" / "bybit.md"


def documented_uid_budgets() -> dict[str, tuple[int, int]]:
    """The "Per-UID limits" table of docs/exchange-apis/bybit.md (read from Bybit's rate-limit.mdx): path to
    (requests, window in ms). Rows that name no per-second or per-minute figure (public paths) are left out."""
    text = BYBIT_MD.read_text(encoding="utf-8")
    table = text.split("### Per-UID limits of the paths Tallybot calls", 1)[1].split("\n## ", 1)[0]
    budgets: dict[str, tuple[int, int]] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`/v5/"):
            continue
        per_second = re.fullmatch(r"(\d+)/s", cells[1])
        per_minute = re.fullmatch(r"\**(\d+) per minute\**", cells[1])
        if per_second:
            budgets[cells[0].strip("`")] = (int(per_second.group(1)), SECOND_MS)
        elif per_minute:
            budgets[cells[0].strip("`")] = (int(per_minute.group(1)), MINUTE_MS)
    return budgets


def test_the_emulators_rate_limits_are_the_ones_bybit_md_documents() -> None:
    documented = documented_uid_budgets()
    assert len(documented) >= 9, "the table in bybit.md was not found or changed shape"
    assert dict(DOCUMENTED_BUDGETS) == documented
    limits = BybitLimits()
    assert {path: limits.budget(path) for path in documented} == documented
    assert (limits.ip_requests_per_5s, limits.ip_ban_ms) == (600, 10 * MINUTE_MS)  # "403, access too frequent"


def test_a_path_with_no_documented_budget_is_not_emulated() -> None:
    with pytest.raises(NotEmulated):
        BybitLimits().budget("/v5/position/list")


def test_the_classic_log_whose_budget_no_page_states_has_only_the_ip_limit() -> None:
    # Neither rate-limit.mdx's table nor docs/v5/abandon/contract-transaction-log.mdx gives it a per-UID budget.
    assert BybitLimits().budget("/v5/account/contract-transaction-log") is None
    assert BybitLimits(per_second={"/v5/account/contract-transaction-log": 2}).budget(
        "/v5/account/contract-transaction-log"
    ) == (2, SECOND_MS)


async def test_deposit_records_allow_100_requests_a_minute_per_account() -> None:
    async with BybitEmulator(seed=5, profile=PROFILE, listed_symbols=20) as emulator, bybit_client(emulator) as client:
        for _ in range(100):
            await client.privateGetV5AssetDepositQueryRecord({})
        with pytest.raises(ccxt.RateLimitExceeded, match="10006"):
            await client.privateGetV5AssetDepositQueryRecord({})
        await client.privateGetV5AssetWithdrawQueryRecord({})  # another endpoint, its own budget
        emulator.clock.advance(MINUTE_MS + 1)
        client.options["timeDifference"] = -emulator.clock.offset_ms
        await client.privateGetV5AssetDepositQueryRecord({})


async def test_windows_page_sizes_and_convert_paging_follow_the_docs() -> None:
    async with (
        BybitEmulator(seed=7, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator,
        bybit_client(emulator) as client,
    ):
        now = emulator.clock.now_ms()
        for method in ("privateGetV5AssetDepositQueryInternalRecord", "privateGetV5AssetDepositQueryRecord"):
            with pytest.raises(ccxt.BadRequest, match="10001"):  # more than 30 days
                await getattr(client, method)({"startTime": now - 31 * DAY_MS, "endTime": now})
            with pytest.raises(ccxt.BadRequest, match="10001"):  # limit [1, 50]
                await getattr(client, method)({"limit": 51})
        with pytest.raises(ccxt.BadRequest, match="10001"):  # withdrawals: less than 30 days
            await client.privateGetV5AssetWithdrawQueryRecord({"startTime": now - 31 * DAY_MS, "endTime": now})
        for method in ("privateGetV5AssetWithdrawQueryRecord", "privateGetV5AssetTransferQueryInterTransferList"):
            with pytest.raises(ccxt.BadRequest, match="10001"):  # limit [1, 50] on both pages
                await getattr(client, method)({"limit": 51})
        with pytest.raises(ccxt.BadRequest, match="10001"):  # internal transfers: 7 days since April 2025
            await client.privateGetV5AssetTransferQueryInterTransferList(
                {"startTime": now - 8 * DAY_MS, "endTime": now}
            )
        default = (await client.privateGetV5AssetExchangeQueryConvertHistory({}))["result"]["list"]
        everything = (await client.privateGetV5AssetExchangeQueryConvertHistory({"limit": 500}))["result"]["list"]
        second = (await client.privateGetV5AssetExchangeQueryConvertHistory({"index": 2, "limit": 5}))["result"]["list"]
        web = (await client.privateGetV5AssetExchangeQueryConvertHistory({"accountType": "funding"}))["result"]["list"]
    listed = emulator.assets.listed_converts()
    assert len(default) == min(20, len(listed))  # 20 by default
    assert len(everything) == min(100, len(listed))  # "up to 100 records, return 100 when exceeds 100"
    times = [int(r["createdAt"]) for r in everything]
    assert times == sorted(times, reverse=True)  # newest first, as the docs' example
    assert second == everything[5:10]
    # Web converts are listed only from 2025-09-10 on.
    assert all(r["accountType"] == "funding" and int(r["createdAt"]) >= 1_757_462_400_000 for r in web)


async def read_by_ccxt(example: Example, response: Any) -> None:
    """Markets and server time are read by ccxt itself, with Tallybot's options: replay the payload to it."""
    from connectors.clients import READ_ONLY_CONFIG

    exchange = ccxt_async.bybit(dict(READ_ONLY_CONFIG["bybit"]))
    calls: list[str] = []

    async def answer(path: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(path)
        return copy.deepcopy(response)

    exchange.fetch2 = answer  # every request ccxt makes gets the documented payload
    try:
        if label(example) in EXPECTED_TIMES:
            assert await exchange.fetch_time() == EXPECTED_TIMES[label(example)]
            assert calls == ["v5/market/time"]
            return
        markets = await exchange.load_markets()
        assert calls == ["v5/market/instruments-info"]  # spot only, one page, nothing private
        read = {
            symbol: {key: market[key] for key in ("id", "base", "quote", "spot", "active")}
            for symbol, market in markets.items()
        }
        assert read == EXPECTED_MARKETS[label(example)]
        assert str(markets["BTC/USDT"]["precision"]["price"]) == "0.1"  # the tick size
    finally:
        await exchange.close()


async def test_the_logs_and_the_borrow_history_keep_their_documented_windows_limits_and_budgets() -> None:
    async with (
        BybitEmulator(seed=8, profile=PROFILE, listed_symbols=20, derivatives=True) as emulator,
        bybit_client(emulator) as client,
    ):
        now = emulator.clock.now_ms()
        log, borrow = client.privateGetV5AccountTransactionLog, client.privateGetV5AccountBorrowHistory
        with pytest.raises(ccxt.BadRequest, match="10001"):  # transaction-log.mdx: endTime - startTime <= 7 days
            await log({"startTime": now - 8 * DAY_MS, "endTime": now})
        with pytest.raises(ccxt.BadRequest, match="10001"):  # limit [1, 50]
            await log({"limit": 51})
        with pytest.raises(ccxt.BadRequest, match="10001"):  # borrow-history: at most 30 days
            await borrow({"startTime": now - 31 * DAY_MS, "endTime": now})
        assert (await borrow({"startTime": now - 30 * DAY_MS, "endTime": now}))["retCode"] == 0
        assert client.last_response_headers["X-Bapi-Limit"] == "50"  # rate-limit.mdx, Account table
        await log({})
        assert client.last_response_headers["X-Bapi-Limit"] == "25"
    async with (
        BybitEmulator(seed=8, profile=PROFILE, listed_symbols=20, classic=True, derivatives=True) as classic,
        bybit_client(classic) as client,
    ):
        info = await client.privateGetV5AccountInfo({})
        spot = await client.privateGetV5AccountWalletBalance({"accountType": "SPOT"})
        contract = await client.privateGetV5AccountWalletBalance({"accountType": "CONTRACT"})
    # enum.mdx#unifiedmarginstatus: 1 classic; wallet-balance.mdx: a classic account's wallets are SPOT and CONTRACT,
    # whose totals are "" ("In non-unified mode, the field will be returned as an empty string").
    assert info["result"]["unifiedMarginStatus"] == 1
    for answer, wallet in ((spot, "SPOT"), (contract, "CONTRACT")):
        account = answer["result"]["list"][0]
        assert account["accountType"] == wallet and account["accountIMRate"] == "" and account["coin"]
