"""Files made the way each exchange writes them (docs/FILE-FORMATS.md lists the layouts and their sources)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from connectors.records import NormalizedRecord, RecordKind, natural_key
from sandbox.exchanges.records import DepositRecord, TradeRecord, WithdrawalRecord

Rows = Sequence[Sequence[object]]


def csv_bytes(rows: Rows, *, encoding: str = "utf-8", delimiter: str = ",", quote_all: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    writer.writerows([[str(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Rows, *, sheet: str = "Sheet1") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def utc_text(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def plain(value: Decimal) -> str:
    return format(value, "f")


# -------------------------------------------------------------------------------------------- Binance


BINANCE_TRADE_HEADER = ["Date(UTC)", "Pair", "Side", "Price", "Executed", "Amount", "Fee"]


def binance_trade_export(trades: Iterable[TradeRecord]) -> bytes:
    """Binance's spot "Trade History" export: newest first, quoted, units glued to the numbers."""
    rows: list[list[object]] = [list[object](BINANCE_TRADE_HEADER)]
    for t in sorted(trades, key=lambda t: t.timestamp, reverse=True):
        rows.append(
            [
                utc_text(t.timestamp),
                t.symbol,
                t.side.upper(),
                plain(t.price),
                f"{plain(t.amount)}{t.base}",
                f"{plain(t.cost)}{t.quote}",
                f"{plain(t.fee)}{t.fee_asset}",
            ]
        )
    return csv_bytes(rows, quote_all=True)


def binance_deposit_export(deposits: Iterable[DepositRecord]) -> bytes:
    rows: list[list[object]] = [["Date(UTC+0)", "Coin", "Network", "Amount", "Address", "TXID", "Status"]]
    for d in deposits:
        rows.append([utc_text(d.timestamp), d.asset, d.network, plain(d.amount), d.address, d.tx_id, "Completed"])
    return csv_bytes(rows)


def binance_withdrawal_export(withdrawals: Iterable[WithdrawalRecord]) -> bytes:
    rows: list[list[object]] = [["Date(UTC+0)", "Coin", "Network", "Amount", "Fee", "Address", "TXID", "Status"]]
    for w in withdrawals:
        rows.append(
            [utc_text(w.timestamp), w.asset, w.network, plain(w.amount), plain(w.fee), w.address, w.tx_id, "Completed"]
        )
    return csv_bytes(rows)


# -------------------------------------------------------------------------------------------- Bybit

BYBIT_TRADES = [
    ["UID: 281915315", "Company Name: ", "Country:"],
    [
        "Uid",
        "Spot Pairs",
        "Order Type",
        "Direction",
        "Filled Value",
        "Filled Price",
        "Filled Quantity",
        "Fees",
        "Transaction ID",
        "Order No.",
        "Timestamp (UTC+0)",
    ],
    [
        "281915315",
        "BTCUSDT",
        "LIMIT",
        "BUY",
        "4478.05780000000000000000",
        "97100.00000000000000000000",
        "0.04611800000000000000",
        "0.00004611800000000000",
        "2290000000522832993",
        "1836393090823494400",
        "2024-12-09 19:48:23",
    ],
    [
        "281915315",
        "LTCUSDT",
        "MARKET",
        "SELL",
        "20.64617910000000000000",
        "104.49000000000000000000",
        "0.19759000000000000000",
        "0.02064617910000000000",
        "2200000000570297153",
        "1849440883666328320",
        "2024-12-26 09:48:53",
    ],
]


def bybit_execution(exec_id: str, when: datetime, symbol: str, side: str, qty: str, price: str, value: str,
                    fee: str, fee_asset: str) -> NormalizedRecord:  # fmt: skip
    """A spot execution exactly as BybitFetcher._execution stores it."""
    base, quote = symbol[:-4], symbol[-4:]
    return NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=when,
        natural_key=natural_key(RecordKind.TRADE, exec_id),
        asset=base,
        amount=Decimal(qty),
        exchange_tx_id=exec_id,
        market=f"{base}/{quote}",
        side=side,
        quote_asset=quote,
        quote_amount=Decimal(value),
        price=Decimal(price),
        fee_asset=fee_asset,
        fee_amount=Decimal(fee),
        raw={"execId": exec_id, "symbol": symbol},
    )


BYBIT_WALLET = [
    ["Date & Time(UTC)", "Coin", "QTY", "Type", "Account Balance", "Description"],
    ["2024-05-01 08:00:00", "USDT", "1500", "TRANSFER_IN", "1500", "Deposit"],
    ["2024-05-02 09:30:15", "USDT", "-200.5", "TRANSFER_OUT", "1299.5", "Withdrawal"],
    ["2024-05-03 10:00:00", "USDT", "-100", "TRANSFER_OUT", "1199.5", "Transfer to Derivatives Account"],
]

# -------------------------------------------------------------------------------------------- OKX

OKX_TRADING = [
    ["UID:000", "Account Type:Main", "Time Zone:UTC+8"],
    [
        "id",
        "Order id",
        "Time",
        "Trade Type",
        "Symbol",
        "Action",
        "Amount",
        "Trading Unit",
        "Filled Price",
        "PnL",
        "Fee",
        "Fee Unit",
        "Position Change",
        "Position Balance",
        "Balance Change",
        "Balance",
        "Balance Unit",
    ],
    ["11", "100", "2025-11-29 08:25:29", "Spot", "BTC-USDT", "Buy", "0.01", "BTC", "90000", "0", "-0.00001", "BTC",
     "0", "0", "0.00999", "0.00999", "BTC"],
    ["12", "100", "2025-11-29 08:25:29", "Spot", "BTC-USDT", "Sell", "900", "BTC", "90000", "0", "0", "USDT",
     "0", "0", "-900", "100", "USDT"],
    ["13", "200", "2025-11-29 08:27:50", "Transfer", "", "Transfer out", "0", "cont", "0", "0", "0", "BTC",
     "0", "0", "-0.01", "0", "BTC"],
    ["14", "300", "2025-11-30 10:00:00", "Spot", "ETH-USDT", "Sell", "0.5", "ETH", "3000", "0", "0", "ETH",
     "0", "0", "-0.5", "0", "ETH"],
    ["15", "300", "2025-11-30 10:00:00", "Spot", "ETH-USDT", "Buy", "1500", "ETH", "3000", "0", "-1.5", "USDT",
     "0", "0", "1498.5", "1598.5", "USDT"],
]  # fmt: skip

OKX_FUNDING = [
    ["UID:000", "Account Type:Funding", "Time Zone:UTC+8"],
    ["id", "Time", "Type", "Amount", "Before Balance", "After Balance", "Fee", "Symbol"],
    ["901", "2025-10-01 20:00:00", "Deposit", "1000", "0", "1000", "0", "USDT"],
    ["902", "2025-10-05 12:00:00", "Withdrawal", "-250", "1000", "749", "1", "USDT"],
    ["903", "2025-10-06 12:00:00", "To unified trading account", "-100", "749", "649", "0", "USDT"],
]

# -------------------------------------------------------------------------------------------- Bitget

BITGET_TRADES = [
    ["Date", "Trading pair", "Direction", "Price", "Amount", "Total", "Fee"],
    ["2024-06-01 09:00:00", "BTCUSDT_SPBL", "Buy", "67000", "0.002", "134", "0.000002"],
    ["2024-06-02 18:30:10", "ETHUSDT_SPBL", "Sell", "3800.5", "0.1", "380.05", "0.38005"],
]

BITGET_FINANCIAL = [
    ["Creation timestamp (+8 UTC)", "Coin", "Type", "Action", "Quantity", "Fees", "Balance"],
    ["2024-06-01 08:00:00", "USDT", "Deposit", "Deposit", "500", "0", "500"],
    ["2024-06-03 08:00:00", "USDT", "Withdrawal", "Withdrawal(Freeze)", "-100", "0", "400"],
    ["2024-06-03 08:05:00", "USDT", "Withdrawal", "Withdrawal", "-99", "1", "401"],
    ["2024-06-04 08:00:00", "BTC", "Trading", "Buy", "0.002", "0", "0.002"],
]
