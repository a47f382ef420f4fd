"""HTX's contract rows read as records (docs/exchange-apis/htx.md, "USDT-margined futures" and "Isolated margin and
coin-margined futures"). A coin-margined row reads the same way: its turnover is in USD, so turnover ÷ price is the
coin quantity, and its fee, profit and money lines are in the coin.

- A fill (`swap_cross_matchresults_exact`): `trade_turnover` USDT for `trade_price` each, so the base quantity is
  turnover ÷ price (HTX gives the volume in contracts, whose size is in the contract list Tallybot does not load);
  `direction` buy/sell; `trade_fee` is negative when charged and is stored as a positive fee in `fee_asset`;
  `offset_profitloss` ("profit or loss when close position") is a REALIZED_PNL record of its own.
- A financial record (`swap_financial_record_exact`): `amount` signed, in `asset`, by `type`. The lines that repeat
  a fill (closing profit 3, 4, 9, 10, 12, 13, 46, 47; fees 5–8) and the transfers with the spot account (14, 15: the
  spot ledger's TRANSFERS) are not stored again; funding (30, 31) is FUNDING; prizes and rebates (28, 29) are
  rewards; moves to and from sub- and master accounts (34–37) cross the account's edge: deposits and withdrawals;
  moves between its own margin accounts (38, 39) are ledger lines; anything else that changes the wallet (11 delivery
  fee, 16/17 settled profit, 19 clawback, 26 system, 66/67 advances, types HTX adds later) is REALIZED_PNL.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

FILL_LINES = frozenset({3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 46, 47})
SPOT_TRANSFERS = frozenset({14, 15})
FUNDING_LINES = frozenset({30, 31})
REWARD_LINES = frozenset({28, 29})
CROSSING_LINES = frozenset({34, 35, 36, 37})
OWN_MARGIN_MOVES = frozenset({38, 39})


def plain_raw(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as stored: numbers parsed as Decimal are kept as their text."""
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in row.items()}


class ContractRows:
    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(str(currency).upper()))

    def market(self, contract: str) -> tuple[str, str, str, str]:
        """(ccxt symbol, base, quote, settle) of a contract code: "BTC-USDT" → "BTC/USDT:USDT"; a coin-margined one
        settles in its coin: "BTC-USD" → "BTC/USD:BTC"."""
        base, _, rest = contract.partition("-")
        quote, _, expiry = rest.partition("-")
        base, quote = self.code(base), self.code(quote)
        settle = base if quote == "USD" else quote
        return f"{base}/{quote}:{settle}" + (f"-{expiry}" if expiry else ""), base, quote, settle

    def fill(self, row: Mapping[str, Any]) -> list[NormalizedRecord]:
        symbol, base, quote, settle = self.market(str(row["contract_code"]))
        ident = str(row["id"])  # "unique id of the trade" (match_id repeats)
        when = ms_to_utc(row["create_date"])
        price, turnover = exact(row["trade_price"]), exact(row["trade_turnover"])
        fee = -exact(row.get("trade_fee") or 0)
        records = [
            NormalizedRecord(
                kind=RecordKind.FUTURES_TRADE,
                occurred_at=when,
                natural_key=natural_key(RecordKind.FUTURES_TRADE, ident),
                asset=base,
                amount=turnover / price,
                exchange_tx_id=ident,
                market=symbol,
                side=Side.BUY if row["direction"] == Side.BUY else Side.SELL,
                quote_asset=quote,
                quote_amount=turnover,
                price=price,
                fee_asset=self.code(str(row.get("fee_asset") or settle)) if fee else None,
                fee_amount=fee if fee else None,
                raw=plain_raw(row),
            )
        ]
        profit = exact(row.get("offset_profitloss") or 0)
        if profit:
            records.append(
                NormalizedRecord(
                    kind=RecordKind.REALIZED_PNL,
                    occurred_at=when,
                    natural_key=natural_key(RecordKind.REALIZED_PNL, ident),
                    asset=settle,
                    amount=profit,
                    exchange_tx_id=ident,
                    market=symbol,
                    raw={"id": ident, "contract_code": row["contract_code"], "offset_profitloss": format(profit, "f")},
                )
            )
        return records

    def line(self, row: Mapping[str, Any]) -> NormalizedRecord | None:
        kind_code = int(row["type"])
        if kind_code in FILL_LINES or kind_code in SPOT_TRANSFERS:
            return None
        amount = exact(row["amount"])
        if kind_code in FUNDING_LINES:
            kind = RecordKind.FUNDING
        elif kind_code in REWARD_LINES and amount > 0:
            kind = RecordKind.REWARD
        elif kind_code in CROSSING_LINES:
            kind, amount = (RecordKind.DEPOSIT if amount > 0 else RecordKind.WITHDRAWAL), abs(amount)
        elif kind_code in OWN_MARGIN_MOVES:
            kind = RecordKind.LEDGER
        else:
            kind = RecordKind.REALIZED_PNL
        contract = str(row.get("contract_code") or "")
        ident = str(row["id"])
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(kind, f"htx-line:{ident}"),
            asset=self.code(str(row.get("asset") or row["symbol"])),  # coin-margined lines name it `symbol`
            amount=amount,
            exchange_tx_id=ident,
            market=self.market(contract)[0] if contract else None,
            raw=plain_raw(row),
        )
