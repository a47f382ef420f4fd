"""HTX's rows read as records: what a person reads off each row of the lists in docs/exchange-apis/htx.md."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connectors.fetchers.discovery import SpotMarket
from connectors.records import NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

# Deposit states: unknown, confirming, confirmed ("user is able to transfer and trade"), safe ("user is able to
# withdraw"), orphan. Credited: confirmed and safe. An orphan is not credited (yet): it holds the cursor.
DEPOSIT_DONE = frozenset({"confirmed", "safe"})
DEPOSIT_NEVER: frozenset[str] = frozenset()
# Withdraw states: verifying, failed, submitted, reexamine, canceled, pass, reject, pre-transfer, wallet-transfer,
# wallet-reject, confirmed, confirm-error, repealed, risk-action-fail, risk-action-timeout. Sent: confirmed.
WITHDRAWAL_DONE = frozenset({"confirmed"})
WITHDRAWAL_NEVER = frozenset(
    {"failed", "canceled", "reject", "wallet-reject", "repealed", "risk-action-fail", "risk-action-timeout"}
)

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, its time if pending: the fetcher holds or


# lets go of the cursor there, windows.hold_if_recent)
# Search Match Results: `fee-deduct-state` "ongoing" (in deduction) or "done"; `filled-fees` "When fee-deduct-state =
# done, it represents the final state". Any other value (or none: the field is documented as always present) is
# read as not final yet, so no fee is stored before HTX has settled it.
class FeeDeduction(StrEnum):
    """`fee-deduct-state` of a match result, as HTX writes it."""

    ONGOING = "ongoing"
    DONE = "done"


def amount(raw: object) -> Decimal:
    """The deposit list's `amount` and `fee` are JSON numbers: HTX clients parse them as Decimal (clients.py), so
    the digits are those HTX sent; a string (as every other HTX amount is) is read as usual."""
    return exact(raw)


def plain_raw(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as stored: numbers parsed as Decimal are kept as their text."""
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in row.items()}


def fee_final(row: Mapping[str, Any]) -> bool:
    """Whether a match result's fee is final (`fee-deduct-state` done), so the trade can be stored once."""
    return row.get("fee-deduct-state") == FeeDeduction.DONE


class RowReader:
    """Turns HTX's raw rows into records, with the client's currency codes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, currency: str) -> str:
        return str(self.client.safe_currency_code(currency))

    def trade(self, market: SpotMarket, row: Mapping[str, Any]) -> NormalizedRecord:
        """One match result: `filled-amount` of the base at `price`; `filled-fees` in `fee-currency`, or, where HTX
        deducted the fee in HTX or points, `filled-points` in `fee-deduct-currency`."""
        ident = str(row["id"])
        price, filled = exact(row["price"]), exact(row["filled-amount"])
        fee_raw, points = row.get("filled-fees"), row.get("filled-points")
        fee_asset: str | None = None
        fee: Decimal | None = None
        if fee_raw not in (None, "") and exact(fee_raw) != 0:
            fee_asset, fee = self.code(str(row["fee-currency"])), exact(fee_raw)
        elif points not in (None, "") and exact(points) != 0 and row.get("fee-deduct-currency"):
            fee_asset, fee = self.code(str(row["fee-deduct-currency"])), exact(points)
        return NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=ms_to_utc(int(row["created-at"])),
            natural_key=natural_key(RecordKind.TRADE, f"{market.id}:{ident}"),
            asset=market.base,
            amount=filled,
            exchange_tx_id=str(row.get("trade-id") or ident),
            market=market.symbol,
            side=Side.BUY if str(row["type"]).startswith(Side.BUY) else Side.SELL,
            quote_asset=market.quote,
            # A match result has no quote amount: it is price × amount (docs/exchange-apis/htx.md).
            quote_amount=price * filled,
            price=price,
            fee_asset=fee_asset,
            fee_amount=fee,
            raw=dict(row),
        )

    def transfer(self, row: Mapping[str, Any]) -> Parsed:
        """A row of the deposit-withdraw list (its `type` says which)."""
        when, state = int(row["created-at"]), str(row.get("state") or "")
        withdrawal = row.get("type") == "withdraw"
        done, never = (WITHDRAWAL_DONE, WITHDRAWAL_NEVER) if withdrawal else (DEPOSIT_DONE, DEPOSIT_NEVER)
        if state in never:
            return None, None
        if state not in done:
            return None, when
        ident, currency = str(row["id"]), str(row["currency"])
        fee = row.get("fee")
        charged = withdrawal and fee not in (None, "") and amount(fee) != 0
        kind = RecordKind.WITHDRAWAL if withdrawal else RecordKind.DEPOSIT
        record = NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, ident),
            asset=self.code(currency),
            amount=amount(row["amount"]),  # a withdrawal's amount is what was sent; the fee is on top (htx.md)
            exchange_tx_id=row.get("tx-hash") or ident,
            fee_asset=self.code(currency) if charged else None,
            fee_amount=amount(fee) if charged else None,
            raw=plain_raw(row),
        )
        return record, None

    def own_transfer(self, row: Mapping[str, Any]) -> NormalizedRecord:
        """A ledger row of transactType "transfer": a move between the user's own HTX accounts. `transactAmt` is
        signed from the queried account's side ("income positive, expenditure negative"); the record holds the
        amount moved, and `transferType` (spot-to-futures, futures-to-spot, …) says which way."""
        when, moved = int(row["transactTime"]), amount(row["transactAmt"])
        # transactId is 0 in HTX's own example, so it cannot tell two rows apart: the row's contents do.
        key = natural_key(
            RecordKind.TRANSFER,
            None,
            row.get("accountId"),
            row["currency"],
            format(moved, "f"),
            row.get("transferType"),
            row.get("transferer"),
            row.get("transferee"),
            when,
        )
        ident = row.get("transactId")
        return NormalizedRecord(
            kind=RecordKind.TRANSFER,
            occurred_at=ms_to_utc(when),
            natural_key=key,
            asset=self.code(str(row["currency"])),
            amount=abs(moved),
            exchange_tx_id=str(ident) if ident else None,
            raw=plain_raw(row),
        )
