"""MEXC contract API rows read as records (docs/exchange-apis/mexc.md, "Futures (contract API v1)").

- A fill (`order_deals`): `vol` contracts of `contractSize` base each (the contract list's), at `price`; `side` 1 open
  long and 2 close short buy, 3 open short and 4 close long sell; `fee` in `feeCurrency` is charged; `profit` is the
  closing profit or loss, a REALIZED_PNL record of its own in the settle coin.
- A funding row (`funding_records`): `funding` in the contract's settle coin, positive when received (the docs'
  example: a long at a negative rate received it).

Amounts are JSON numbers on this API; the client parses them as Decimal (connectors/clients.py), so they keep
every digit MEXC sent. A coin-margined contract (settle coin = base coin) is a quantity of `contractSize` USD each:
its fill's amount is that face value, with no notional in the settle coin (the row gives none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

BUYING_SIDES = frozenset({1, 2})  # 1 open long, 2 close short


@dataclass(frozen=True, slots=True)
class Contract:
    symbol: str  # ccxt's: "BTC/USDT:USDT"
    base: str
    settle: str
    size: Decimal
    inverse: bool


class ContractRows:
    """Reads contract rows with the client's markets (loaded with the contract list) and currency codes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def contract(self, symbol_id: str) -> Contract:
        for market in (getattr(self.client, "markets_by_id", None) or {}).get(symbol_id, []):
            if market.get("contract"):
                info = market["info"]
                base, settle = self.code(str(info["baseCoin"])), self.code(str(info["settleCoin"]))
                return Contract(str(market["symbol"]), base, settle, exact(info["contractSize"]), base == settle)
        # A contract the list no longer shows (delisted): named after its id, one contract per unit.
        base, _, quote = symbol_id.partition("_")
        return Contract(f"{base}/{quote}:{quote}", self.code(base), self.code(quote), Decimal(1), False)

    def fill(self, row: Mapping[str, Any]) -> list[NormalizedRecord]:
        contract = self.contract(str(row["symbol"]))
        ident = str(row["id"])
        key = f"{row['symbol']}:{ident}"
        when = ms_to_utc(row["timestamp"])
        price, quantity = exact(row["price"]), exact(row["vol"]) * contract.size
        fee = exact(row.get("fee") or 0)
        records = [
            NormalizedRecord(
                kind=RecordKind.FUTURES_TRADE,
                occurred_at=when,
                natural_key=natural_key(RecordKind.FUTURES_TRADE, key),
                asset=contract.base,
                amount=quantity,
                exchange_tx_id=ident,
                market=contract.symbol,
                side=Side.BUY if int(row["side"]) in BUYING_SIDES else Side.SELL,
                quote_asset=contract.settle,
                quote_amount=None if contract.inverse else quantity * price,
                price=price,
                fee_asset=self.code(str(row["feeCurrency"])) if fee else None,
                fee_amount=fee if fee else None,
                raw=_plain(row),
            )
        ]
        profit = exact(row.get("profit") or 0)
        if profit:
            records.append(
                NormalizedRecord(
                    kind=RecordKind.REALIZED_PNL,
                    occurred_at=when,
                    natural_key=natural_key(RecordKind.REALIZED_PNL, key),
                    asset=contract.settle,
                    amount=profit,
                    exchange_tx_id=ident,
                    market=contract.symbol,
                    raw={"symbol": row["symbol"], "id": ident, "profit": format(profit, "f")},
                )
            )
        return records

    def funding(self, row: Mapping[str, Any]) -> NormalizedRecord:
        contract = self.contract(str(row["symbol"]))
        ident = str(row["id"])
        return NormalizedRecord(
            kind=RecordKind.FUNDING,
            occurred_at=ms_to_utc(row["settleTime"]),
            natural_key=natural_key(RecordKind.FUNDING, f"mexc-funding:{ident}"),
            asset=contract.settle,
            amount=exact(row["funding"]),
            exchange_tx_id=ident,
            market=contract.symbol,
            raw=_plain(row),
        )


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """The raw row as stored: its numbers written as the exchange's digits (JSON-serialisable)."""
    return {k: format(v, "f") if isinstance(v, Decimal) else v for k, v in row.items()}
