"""Bitget's exchange legs in the tax exports: an exchange inside a futures account ("Exchange buy/sell (multi-assets
mode)", contract/account/Get-Account-Bill) or a unified account ("Redeem", uta/enum) is one record per coin, a
CONVERT with no quote. The two legs of one exchange (same time) become one trade row, as Koinly's universal CSV
writes a trade (Sent and Received on one row) and Cryptact's custom file a BUY with its Counter; a leg whose partner
is not stored is a sale (or purchase) at the market price: Koinly's untagged Sent row, Cryptact's SELL with no
price (※1: Cryptact looks the price up). Expected rows are written by hand from the bills below."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.fetchers.bitget.derivatives import BitgetFutures
from connectors.fetchers.bitget.unified_derivatives import UnifiedDerivatives
from connectors.files.export.cryptact import cryptact_rows
from connectors.files.export.koinly import koinly_rows
from connectors.files.export.stream import RowsOf
from connectors.records import NormalizedRecord

T_MS = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp() * 1000)
HOUR_MS = 3_600_000


class Codes:
    def safe_currency_code(self, code: str) -> str:
        return code


def legs() -> list[NormalizedRecord]:
    futures, unified = BitgetFutures(Codes()), UnifiedDerivatives(Codes())
    sold = {"billId": "1001", "symbol": "", "coin": "USDT", "businessType": "user_exchange_sell", "amount": "-30",
            "fee": "0", "cTime": str(T_MS)}  # fmt: skip
    bought = {**sold, "billId": "1002", "coin": "USDC", "businessType": "user_exchange_buy", "amount": "29.997"}
    redeemed = {"category": "USDT-FUTURES", "id": "9001", "symbol": "", "coin": "BTC",
                "type": "EXCHANGE_SOURCE_TOKEN_USER_OUT", "amount": "-0.001", "fee": "0", "balance": "0",
                "ts": str(T_MS + 5 * HOUR_MS)}  # fmt: skip
    records = [futures.position_bill(sold), futures.position_bill(bought), unified.position_record(redeemed)[0]]
    return [record for record in records if record is not None]


def export(row_of: object) -> tuple[list[list[str]], RowsOf]:
    rows = RowsOf(row_of, pair_legs=True)  # type: ignore[arg-type]
    stored = [(record, "Bitget", "Main") for record in legs()]
    return rows.lines(stored) + rows.finish(), rows


def test_koinly_writes_an_exchange_as_one_trade_and_a_lone_leg_as_a_sale() -> None:
    lines, rows = export(koinly_rows)
    assert lines == [
        # Sent 30 USDT, received 29.997 USDC; USDT prices the other (the quote preference), so the pair is USDC/USDT.
        ["2024-03-01 00:00:00 UTC", "30", "USDT", "29.997", "USDC", "", "", "", "", "",
         "Bitget Main: trade USDC/USDT #1001", ""],
        ["2024-03-01 05:00:00 UTC", "0.001", "BTC", "", "", "", "", "", "", "",
         "Bitget Main: convert EXCHANGE_SOURCE_TOKEN_USER_OUT #9001", ""],
    ]  # fmt: skip
    assert (rows.paired, dict(rows.skipped)) == (2, {})


def test_cryptact_writes_an_exchange_as_one_buy_and_a_lone_leg_as_a_sale_at_the_market_price() -> None:
    lines, rows = export(cryptact_rows)
    assert lines == [
        # 29.997 USDC bought for 30 USDT: Price 30 / 29.997 = 1.0001 0001 … (20 places), no fee.
        ["2024/03/01 00:00:00", "BUY", "Bitget", "USDC", "29.997", "1.00010001000100010001", "USDT", "0", "USDT",
         "Bitget Main: trade USDC/USDT #1001"],
        ["2024/03/01 05:00:00", "SELL", "Bitget", "BTC", "0.001", "", "JPY", "0", "JPY",
         "Bitget Main: convert EXCHANGE_SOURCE_TOKEN_USER_OUT #9001"],
    ]  # fmt: skip
    assert (rows.paired, dict(rows.skipped)) == (2, {})
