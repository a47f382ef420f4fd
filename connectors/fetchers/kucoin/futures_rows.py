"""KuCoin's futures rows read as records (docs/exchange-apis/kucoin.md, "Futures").

A futures ledger line (`GET /api/v1/transaction-history`, futures host) is read by its `type`: a Completed
`RealisedPNL` is a REALIZED_PNL of `amount` in `currency` for the contract in `remark` (one per contract and funding
period; the ledger's types are exhaustive, so the period's fees and funding are inside it); `Deposit` and
`Withdrawal` money into or out of the futures account from outside; `TransferIn`/`TransferOut` moves from and to
the user's other KuCoin accounts, which the spot ledger lists (TRANSFERS): not stored again.

A fill (`GET /api/v1/fills`, futures host) is a FUTURES_TRADE: `size` lots at `price`, `value` its notional in the
settle currency; the base quantity is `value` ÷ `price` on a USDT-margined contract (lots × multiplier, exactly),
`value` itself on an inverse one (settled in the base). Its `fee` is kept in the row only: the period's RealisedPNL
line has already taken it from the wallet, and counting it again would explain a balance the account never had.

Amounts in the ledger are JSON numbers, which ccxt decodes as floats: each is read back as the shortest text that
gives the same float (Python's `repr`), the number KuCoin wrote for any amount of up to 15 significant digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

SETTLED_WORDS = frozenset({"Completed"})  # a line's `status`: Completed, or Pending (the current period)
MOVES_ELSEWHERE_LISTED = frozenset({"TransferIn", "TransferOut"})  # the spot ledger's TRANSFER lines
CROSSING = {"Deposit": RecordKind.DEPOSIT, "Withdrawal": RecordKind.WITHDRAWAL}


def number(value: Any) -> Decimal:
    """A JSON number as ccxt hands it (a float or an int) or a string, as the decimal KuCoin wrote."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return exact(str(value))


class FuturesRows:
    """Turns KuCoin futures rows into records, with the client's currency codes (XBT is BTC)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def line(self, row: Mapping[str, Any]) -> NormalizedRecord | None:
        kind_name = str(row.get("type") or "")
        if kind_name in MOVES_ELSEWHERE_LISTED:
            return None
        amount, ident = number(row["amount"]), f"{row['currency']}:{row['offset']}"
        if kind_name == "RealisedPNL":
            kind = RecordKind.REALIZED_PNL
            market = str(row.get("remark") or "") or None
        else:
            kind = CROSSING.get(kind_name, RecordKind.LEDGER)
            amount = abs(amount) if kind is not RecordKind.LEDGER else amount
            market = None
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(int(row["time"])),
            natural_key=natural_key(kind, ident),
            asset=self.code(str(row["currency"])),
            amount=amount,
            exchange_tx_id=str(row["offset"]),
            market=self.symbol(market) if market else None,
            raw=dict(row),
        )

    def fill(self, row: Mapping[str, Any]) -> NormalizedRecord:
        symbol, ident = str(row["symbol"]), str(row["tradeId"])
        settle = str(row["settleCurrency"])
        price, value = exact(row["price"]), exact(row["value"])
        inverse = not symbol.endswith(settle + "M")
        quantity = value if inverse else value / price
        return NormalizedRecord(
            kind=RecordKind.FUTURES_TRADE,
            occurred_at=ms_to_utc(int(row["createdAt"])),
            natural_key=natural_key(RecordKind.FUTURES_TRADE, ident),
            asset=self.code(settle if inverse else symbol.removesuffix(settle + "M")),
            amount=quantity,
            exchange_tx_id=ident,
            market=self.symbol(symbol),
            side=Side.BUY if row["side"] == Side.BUY else Side.SELL,
            quote_asset=self.code(settle),
            quote_amount=value,
            price=price,
            raw=dict(row),
        )

    def symbol(self, contract: str) -> str:
        """ccxt's symbol of a perpetual: XBTUSDTM is BTC/USDT:USDT, XBTUSDM (inverse) BTC/USD:BTC."""
        body = contract.removesuffix("M")
        for quote in ("USDT", "USDC", "USD"):
            if body.endswith(quote):
                base = self.code(body.removesuffix(quote))
                settle = base if quote == "USD" else quote
                return f"{base}/{quote}:{settle}"
        return contract
