"""Gate's perpetual futures rows read as records (docs/exchange-apis/gate.md, "Futures").

A fill (`GET /futures/{settle}/my_trades_timerange`) is a FUTURES_TRADE: `size` contracts (negative when selling) at
`price`, its fee `fee` in the settle currency. A contract is `quanto_multiplier` of the base on a USDT-settled
("direct") contract, so the base quantity is |size| × multiplier and the notional that times the price; on the
BTC-settled BTC_USD a contract is 1 USD (its multiplier is "0": ccxt's `parse_contract_market`), so the notional in
BTC is |size| ÷ price, which is also the base quantity (the row gives neither, so Tallybot divides).

An account book line (`GET /futures/{settle}/account_book`) is read by its `type`: `pnl` ("Profit & Loss by reducing
position") a REALIZED_PNL, `fund` a FUNDING payment, both signed as `change` is; `refr`/`point_refr` (referrer
rebates) a reward when positive. `fee` lines repeat each fill's fee and `dnw` lines the moves the spot account book
lists (TRANSFERS): neither is stored again. Every other type (the point card's own lines, bonus deductions) is kept
as a ledger line, which counts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

REPEATED = frozenset({"fee", "dnw"})  # a fill's fee (FUTURES_TRADES); a move between spot and futures (TRANSFERS)
KINDS = {"pnl": RecordKind.REALIZED_PNL, "fund": RecordKind.FUNDING}
REBATES = frozenset({"refr", "point_refr"})


def seconds_to_ms(value: Any) -> int:
    """Gate's futures times are Unix seconds with a fraction (`1682294400.123456`): whole milliseconds."""
    return int(Decimal(str(value)) * 1000)


def market_of(contract: str, settle: str) -> tuple[str, str, str]:
    """(base, settle code, ccxt symbol): `BTC_USDT` settled in usdt is BTC/USDT:USDT, `BTC_USD` in btc BTC/USD:BTC;
    the delivery contract `BTC_USDT_20261225` is BTC/USDT:USDT-261225 (ccxt's expiry suffix, yymmdd)."""
    base, quote, *expiry = contract.split("_")
    code = settle.upper()
    suffix = f"-{expiry[0][2:]}" if expiry else ""
    return base, code, f"{base}/{quote}:{code}{suffix}"


class FuturesRows:
    """Turns one settle currency's rows into records, with its contracts' multipliers. `account` prefixes the
    natural keys of a product other than the perpetual one ("delivery"), whose ids are numbered apart."""

    def __init__(self, settle: str, multipliers: Mapping[str, Decimal], account: str = "") -> None:
        self.settle = settle
        self.multipliers = dict(multipliers)
        self.prefix = f"{account}:{settle}" if account else settle

    def fill(self, row: Mapping[str, Any]) -> NormalizedRecord:
        # The perpetual fill is numbered `trade_id`, the delivery one `id` (each list's example).
        contract, ident = str(row["contract"]), str(row.get("trade_id") or row["id"])
        base, code, symbol = market_of(contract, self.settle)
        size, price = exact(str(row["size"])), exact(row["price"])
        multiplier = self.multipliers.get(contract, Decimal(0))
        if multiplier:
            quantity = abs(size) * multiplier
            notional = quantity * price
        else:
            quantity = notional = abs(size) / price
        fee = exact(row["fee"]) if row.get("fee") not in (None, "") else None
        return NormalizedRecord(
            kind=RecordKind.FUTURES_TRADE,
            occurred_at=ms_to_utc(seconds_to_ms(row["create_time"])),
            natural_key=natural_key(RecordKind.FUTURES_TRADE, f"{self.prefix}:{ident}"),
            asset=base,
            amount=quantity,
            exchange_tx_id=ident,
            market=symbol,
            side=Side.BUY if size > 0 else Side.SELL,
            quote_asset=code,
            quote_amount=notional,
            price=price,
            fee_asset=code if fee else None,
            fee_amount=fee or None,
            raw={**row, "settle": self.settle},
        )

    def line(self, row: Mapping[str, Any]) -> NormalizedRecord | None:
        kind_name = str(row.get("type") or "")
        if kind_name in REPEATED:
            return None
        change = exact(row["change"])
        kind = KINDS.get(kind_name)
        if kind is None:
            kind = RecordKind.REWARD if kind_name in REBATES and change > 0 else RecordKind.LEDGER
        contract = str(row.get("contract") or "")
        ident = f"{self.prefix}:{row['id']}"  # "Account change record ID", numbered per settle account
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(seconds_to_ms(row["time"])),
            natural_key=natural_key(kind, ident),
            asset=self.settle.upper(),
            amount=abs(change) if kind is RecordKind.REWARD else change,
            exchange_tx_id=str(row["id"]),
            market=market_of(contract, self.settle)[2] if contract else None,
            raw={**row, "settle": self.settle},
        )
