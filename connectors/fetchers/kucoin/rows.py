"""KuCoin's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/kucoin.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from connectors.fetchers.discovery import SpotMarket
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

# Get Deposit History: PROCESSING, SUCCESS, FAILURE. Get Withdrawal History: REVIEW, PROCESSING, WALLET_PROCESSING,
# SUCCESS, FAILURE. Only SUCCESS is final and stored; FAILURE never is; the rest are on their way.
DONE = "SUCCESS"
FAILED = "FAILURE"
# Get Convert Order History: OPEN, SUCCESS, FAIL.
CONVERT_FAILED = "FAIL"
BOUGHT = ("buy",)  # a convert is read as a buy of what it got
# Get Convert Limit Orders: OPEN, SUCCESS, FAIL, CANCELLED; the last two never moved anything.
LIMIT_NEVER = frozenset({CONVERT_FAILED, "CANCELLED"})

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, its time if pending)


class RowReader:
    """Turns KuCoin's raw rows into records, with the client's currency codes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def fill(self, market: SpotMarket, row: Mapping[str, Any]) -> NormalizedRecord:
        """One HF fill: `size` of the base at `price` for `funds` of the quote; `fee` in `feeCurrency`."""
        trade_id = str(row["tradeId"])
        fee = row.get("fee")
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(row["createdAt"]),
            # KuCoin numbers trades per market (tradeId); `id` is the fill's own id in the account.
            natural_key=natural_key(RecordKind.TRADE, f"{market.id}:{trade_id}"),
            asset=market.base,
            amount=exact(row["size"]),
            exchange_tx_id=trade_id,
            market=market.symbol,
            side=str(row["side"]).lower(),
            quote_asset=market.quote,
            quote_amount=exact(row["funds"]),
            price=exact(row["price"]),
            fee_asset=self.code(str(row["feeCurrency"])) if row.get("feeCurrency") else None,
            fee_amount=exact(fee) if fee not in (None, "") else None,
            raw=dict(row),
        )

    def deposit(self, row: Mapping[str, Any]) -> Parsed:
        when, status = int(row["createdAt"]), str(row.get("status", ""))
        if status == FAILED:
            return None, None
        if status != DONE:
            return None, when  # the walk holds the cursor here, or notes it let go (windows.WindowWalk)
        currency = str(row["currency"])
        # A deposit row has no id of its own: its key is what identifies it (wallet tx, currency, amount, time).
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(
                RecordKind.DEPOSIT, None, currency, row.get("walletTxId"), row.get("chain"), row["amount"], when
            ),
            asset=self.code(currency),
            amount=exact(row["amount"]),
            exchange_tx_id=row.get("walletTxId") or None,
            fee_asset=self.code(currency) if _charged(row.get("fee")) else None,
            fee_amount=exact(row["fee"]) if _charged(row.get("fee")) else None,
            raw=dict(row),
        )
        return record, None

    def withdrawal(self, row: Mapping[str, Any]) -> Parsed:
        when, status = int(row["createdAt"]), str(row.get("status", ""))
        if status == FAILED:
            return None, None
        if status != DONE:
            return None, when  # the walk holds the cursor here, or notes it let go (windows.WindowWalk)
        currency, ident = str(row["currency"]), str(row["id"])
        fee = row.get("fee")
        record = NormalizedRecord(
            kind=RecordKind.WITHDRAWAL,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.WITHDRAWAL, ident),
            asset=self.code(currency),
            amount=exact(row["amount"]),  # sent; the fee is charged on top
            exchange_tx_id=ident,
            fee_asset=self.code(currency) if fee not in (None, "") else None,
            fee_amount=exact(fee) if fee not in (None, "") else None,
            raw=dict(row),
        )
        return record, None

    def transfer(self, row: Mapping[str, Any]) -> Parsed:
        """A ledger row asked for with bizType TRANSFER: one leg of a move between the user's own accounts (a move
        from MAIN to TRADE is two rows, out of one and into the other), `accountType` saying which account."""
        return self._ledger(RecordKind.TRANSFER, row, side=str(row.get("direction", "")).lower() or None), None

    def reward(self, row: Mapping[str, Any]) -> Parsed:
        """A ledger row asked for with bizType KUCOIN_BONUS: a bonus credited to the user."""
        return self._ledger(RecordKind.REWARD, row, side=None), None

    def convert(self, row: Mapping[str, Any]) -> Parsed:
        """A convert order: `toCurrencySize` of `toCurrency` bought with `fromCurrencySize` of `fromCurrency` at
        `orderTime`; SUCCESS stored, FAIL never (nothing moved), OPEN held (the walk waits at its time)."""
        when, status = int(row["orderTime"]), str(row.get("status", ""))
        if status == CONVERT_FAILED:
            return None, None
        if status != DONE:
            return None, when
        ident = str(row["orderId"])
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.CONVERT, ident),
            asset=self.code(str(row["toCurrency"])),
            amount=exact(row["toCurrencySize"]),
            exchange_tx_id=ident,
            side=BOUGHT[0],
            quote_asset=self.code(str(row["fromCurrency"])),
            quote_amount=exact(row["fromCurrencySize"]),
            raw=dict(row),
        )
        return record, None

    def limit_convert(self, row: Mapping[str, Any]) -> Parsed:
        """A limit convert order: stored once SUCCESS, at `filledTime`, keyed apart from the market orders' ids;
        FAIL and CANCELLED moved nothing; OPEN holds the walk at `orderTime` (its list is ranged on that)."""
        status = str(row.get("status", ""))
        if status in LIMIT_NEVER:
            return None, None
        if status != DONE:
            return None, int(row["orderTime"])
        record, _ = self.convert({**row, "orderTime": row.get("filledTime") or row["orderTime"]})
        if record is None:
            return None, None
        # Limit and market orders are numbered apart: the key names the list.
        key = natural_key(RecordKind.CONVERT, ":".join(("limit", str(row["orderId"]))))
        return replace(record, natural_key=key, raw=dict(row)), None

    def _ledger(self, kind: RecordKind, row: Mapping[str, Any], *, side: str | None) -> NormalizedRecord:
        ident, currency = str(row["id"]), str(row["currency"])
        fee = row.get("fee")
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(row["createdAt"]),
            natural_key=natural_key(kind, ident),
            asset=self.code(currency),
            # "The total amount of assets (fees included) involved": the amount as the ledger states it.
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            side=side,
            fee_asset=self.code(currency) if _charged(fee) else None,
            fee_amount=exact(fee) if _charged(fee) else None,
            raw=dict(row),
        )


def _charged(fee: object) -> bool:
    return fee not in (None, "") and exact(fee) != 0
