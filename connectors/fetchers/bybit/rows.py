"""Bybit v5 rows into records: which rows are final, which are trades, and who paid which fee.

Every rule here is Bybit's own (docs/exchange-apis/bybit.md names the page):
- execType (docs/v5/enum.mdx#exectype): `UNKNOWN` "may be returned by a classic account", and classic spot rows
  carry `""` (recorded in ccxt 4.5.90's "private trades classic spot" sample). Both are trades. Funding,
  delivery, settlement and position moves are not spot trades.
- feeCurrency was added to the execution list on 2024-01-08 (docs/changelog/v5.mdx) and older rows carry `""`
  (the docs' own example, dated 2022-12). For spot, the fee currency then follows Bybit's "Spot Fee Currency
  Instruction" (docs/v5/enum.mdx): with a positive maker fee rate a buy pays in the base coin and a sell in the
  quote coin; with a negative maker rate (a rebate) a maker buy is credited in the quote coin and a maker sell in
  the base coin, while a taker still pays as above.
- depositStatus (docs/v5/enum.mdx#depositstatus): 3 success, 10012 credited to the funding pool, 70012 "remains
  successful after rollback review"; 1, 2, 7 (rollback processing), 10011 are on their way; 4 failed, 70011
  rolled back. 0 (unknown) and 70013 ("rollback fail") are held while recent, see `DEPOSIT_PENDING`.
- internal (off-chain) deposits (docs/v5/asset/deposit/internal-deposit-record.mdx): status 1 processing,
  2 success, 3 failed; `createdTime` is in seconds in the docs' example.
- withdrawStatus (docs/v5/enum.mdx#withdrawstatus): `success` and `BlockchainConfirmed` are done; the
  cancelled, rejected and failed ones (and a refused high-value review) never left.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from connectors.fetchers.windows import hold_if_recent
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

# Bybit opened in March 2018: where a walk starts for endpoints whose reach Bybit does not document.
BYBIT_OPENED = date(2018, 3, 1)

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, time it holds the cursor at if pending)


class DepositList(StrEnum):
    """Bybit's two deposit lists: their cursor keys, and the internal one's natural-key prefix (codes)."""

    ON_CHAIN = ""
    INTERNAL = "internal"  # off-chain deposits from other Bybit users


# execType values of the execution list that are no spot trade: Bybit's words, matched.
NOT_SPOT_TRADE_WORDS = ("Funding", "Delivery", "Settle", "MovePosition")
FUNDING_EXECUTION = NOT_SPOT_TRADE_WORDS[0]  # an execution row of a funding payment
NOT_SPOT_TRADES = frozenset(NOT_SPOT_TRADE_WORDS)

DEPOSIT_DONE = frozenset({"3", "10012", "70012"})
# 0 "unknown" and 70013 "Deposit rollback fail" say neither that the coins stayed nor that they left: held while
# recent (the next sync sees them again), then left out like any record stuck pending.
DEPOSIT_PENDING = frozenset({"0", "1", "2", "7", "10011", "70013"})
INTERNAL_DEPOSIT_DONE = frozenset({"2"})
INTERNAL_DEPOSIT_PENDING = frozenset({"1"})
WITHDRAWAL_DONE = frozenset({"success", "BlockchainConfirmed"})
WITHDRAWAL_SKIPPED_WORDS = frozenset(
    {
        "CancelByUser",
        "Reject",
        "Fail",
        "HighValueReviewRejected",
        "HighValueReviewRejectedRfunding",
        "HighValueReviewRejectedRefunded",
    }
)
TRANSFER_DONE = frozenset({"SUCCESS"})
TRANSFER_PENDING = frozenset({"PENDING"})
CONVERT_DONE = frozenset({"success"})
CONVERT_PENDING = frozenset({"init", "processing"})

# Bybit's seconds and milliseconds are told apart by size: 10^12 ms is September 2001, 10^12 s is far future.
_SECONDS_BELOW = 10**12


def epoch_ms(raw: Any) -> int:
    """A Bybit timestamp in milliseconds, whether the field carries seconds or milliseconds."""
    value = int(str(raw))
    return value * 1000 if value < _SECONDS_BELOW else value


def _given(value: Any) -> bool:
    return value not in (None, "")


def spot_fee_asset(*, side: str, is_maker: bool, rebate: bool, base: str, quote: str) -> str:
    """Bybit's "Spot Fee Currency Instruction": who pays (or is credited) in which coin when the row does not say."""
    buy = side == "buy"
    if is_maker and rebate:
        return quote if buy else base
    return base if buy else quote


class RowReader:
    """Reads Bybit rows into records; `code` turns Bybit's coin names into ccxt's, `market` finds a symbol."""

    def __init__(self, code: Any, market: Any) -> None:
        self.code = code
        self.market = market

    def execution(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        if str(row.get("execType", "")) in NOT_SPOT_TRADES:
            return None, None  # money flows of derivatives, not trades of the spot account
        market = self.market(row["symbol"])
        base, quote = market.get("base"), market.get("quote")
        ident = str(row["execId"])
        side = str(row["side"]).lower()
        price, qty = exact(row["execPrice"]), exact(row["execQty"])
        # Classic spot rows leave execValue empty (ccxt's recorded sample): the value is price times quantity.
        value = exact(row["execValue"]) if _given(row.get("execValue")) else price * qty
        fee = exact(row["execFee"]) if _given(row.get("execFee")) else None
        fee_asset: str | None = None
        if _given(row.get("feeCurrency")):
            fee_asset = self.code(str(row["feeCurrency"]))
        elif fee is not None and base and quote:
            rate = exact(row["feeRate"]) if _given(row.get("feeRate")) else None
            rebate = (rate is not None and rate < 0) or fee < 0
            fee_asset = spot_fee_asset(
                side=side, is_maker=bool(row.get("isMaker")), rebate=rebate, base=str(base), quote=str(quote)
            )
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(row["execTime"]),
            natural_key=natural_key(RecordKind.TRADE, ident),
            asset=str(base or row["symbol"]),
            amount=qty,
            exchange_tx_id=ident,
            market=str(market.get("symbol") or row["symbol"]),
            side=side,
            quote_asset=quote,
            quote_amount=value,
            price=price,
            fee_asset=fee_asset,
            fee_amount=fee,
            raw=dict(row),
        )
        return record, None

    def deposit(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        when = epoch_ms(row.get("successAt") or 0) or window_start
        status = str(row.get("status", ""))
        if status in DEPOSIT_PENDING:
            return None, hold_if_recent(when)
        if status not in DEPOSIT_DONE:
            return None, None
        return self._on_chain(RecordKind.DEPOSIT, row, str(row.get("id") or ""), row.get("depositFee"), when), None

    def _on_chain(self, kind: RecordKind, row: Mapping[str, Any], ident: str, fee: Any, when: int) -> NormalizedRecord:
        """A finished deposit or withdrawal: its key names the chain transfer too, and the fee is in the moved coin."""
        coin = str(row["coin"])
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, ident, coin, row.get("txID"), row["amount"], when),
            asset=self.code(coin),
            amount=exact(row["amount"]),
            exchange_tx_id=ident or None,
            fee_asset=self.code(coin) if _given(fee) else None,
            fee_amount=exact(fee) if _given(fee) else None,
            raw=dict(row),
        )

    def internal_deposit(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        """An off-chain deposit from another Bybit user: its own id space, so its key says "internal"."""
        when = epoch_ms(row.get("createdTime") or 0) or window_start
        status = str(row.get("status", ""))
        if status in INTERNAL_DEPOSIT_PENDING:
            return None, hold_if_recent(when)
        if status not in INTERNAL_DEPOSIT_DONE:
            return None, None
        ident = str(row["id"])
        coin = str(row["coin"])
        record = NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.DEPOSIT, f"{DepositList.INTERNAL}:{ident}"),
            asset=self.code(coin),
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            raw=dict(row),  # txID names the off-chain transfer, fromMemberId the sender
        )
        return record, None

    def withdrawal(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        when = epoch_ms(row.get("createTime") or 0) or window_start
        status = str(row.get("status", ""))
        if status in WITHDRAWAL_SKIPPED_WORDS:
            return None, None
        if status not in WITHDRAWAL_DONE:
            return None, hold_if_recent(when)
        ident = str(row.get("withdrawId") or "")
        return self._on_chain(RecordKind.WITHDRAWAL, row, ident, row.get("withdrawFee"), when), None

    def transfer(self, row: Mapping[str, Any], window_start: int) -> Parsed:
        when = epoch_ms(row.get("timestamp") or 0) or window_start
        status = str(row.get("status", ""))
        if status in TRANSFER_PENDING:
            return None, hold_if_recent(when)
        if status not in TRANSFER_DONE:
            return None, None
        ident = str(row["transferId"])
        record = NormalizedRecord(
            kind=RecordKind.TRANSFER,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.TRANSFER, ident),
            asset=self.code(str(row["coin"])),
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            raw=dict(row),  # fromAccountType / toAccountType say which way
        )
        return record, None

    def convert(self, row: Mapping[str, Any], when: int, ident: str) -> NormalizedRecord:
        """A convert is a buy of `toCoin` paid with `fromCoin` (Bybit's `convertRate` is toAmount per fromAmount)."""
        to_amount = exact(row["toAmount"])
        from_amount = exact(row["fromAmount"])
        return NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.CONVERT, ident),
            asset=self.code(str(row["toCoin"])),
            amount=to_amount,
            exchange_tx_id=ident,
            side=Side.BUY,
            quote_asset=self.code(str(row["fromCoin"])),
            quote_amount=from_amount,
            raw=dict(row),
        )
