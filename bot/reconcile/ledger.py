"""The balances the stored history explains: every record's effect on each asset, exactly.

Trades and converts move the base one way and the quote the other; deposits and rewards add (a reward marked `out` is a
distribution that took the asset, and takes it); withdrawals take their amount and their fee; funding payments, realized
profit and loss, interest and a fee on its own (a fill's fee in a further coin, FEE) carry their sign. Transfers move
an asset between the account's own wallets and add nothing to its total (the exchange's balances are summed over every
wallet). Ledger lines repeat what trades and wallet records already say, so they are not counted again. Fees are taken
in their own asset, on every kind; a negative fee is a rebate and is paid in.

A ledger line the exchange does not say enough to place (whose wallet its other side is) is not counted either; the
reconciliation names such lines of an asset it cannot explain (`unplaced_lines`).

A derivatives fill moves no balance (only its fee, and its profit or loss through its own record). A margin loan is
both an asset and a debt: borrowing and repaying change no net holding, so they count zero here, and every wallet
is read net of what it owes (connectors/balances: margin net assets, Bybit's walletBalance less spotBorrow).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from connectors.records import Flow, RecordKind, direction_of
from db.repositories.reconcile import Movement

# Kinds whose amount carries its own sign and counts as it is.
SIGNED_KINDS = frozenset({RecordKind.FUNDING, RecordKind.REALIZED_PNL, RecordKind.INTEREST, RecordKind.FEE})
# Kinds whose fee field is not a charge to count again: transfers carry none of the account's money out, and ledger
# lines only repeat what other records already charge.
UNCHARGED_KINDS = frozenset({RecordKind.TRANSFER, RecordKind.LEDGER, RecordKind.BORROW, RecordKind.REPAY})
# Ledger lines stored uncounted because the exchange does not say whose wallet their other side is, by exchange and
# the line's type (Movement.entry_type). Bitget's unified financial records: the enum names "Liquidation transfer
# in/out" and "Reserve transfer in/out" and no more (connectors/fetchers/bitget/unified_derivatives.py,
# docs/exchange-apis/bitget.md "type (financial records)"): the account's own funding wallet, which the balance check
# reads too, or Bitget's.
UNPLACED_TYPES: Mapping[str, frozenset[str]] = {
    "bitget": frozenset({"LIQ_TRANSFER_IN", "LIQ_TRANSFER_OUT", "RESERVE_TRANSFER_IN", "RESERVE_TRANSFER_OUT"}),
}
# The kinds whose own type (Movement.entry_type) the reconciliation reads from the stored raw row: ledger lines only,
# every other record's raw stays in the database.
TYPED_KINDS = frozenset({str(RecordKind.LEDGER)})


@dataclass(frozen=True, slots=True)
class Unplaced:
    """An asset's ledger lines Tallybot cannot place: their types, in the order first stored, and their amounts'
    sum as the exchange signed them (a line out is negative)."""

    types: tuple[str, ...]
    total: Decimal


def unplaced_lines(exchange_id: str, movements: Iterable[Movement]) -> dict[str, Unplaced]:
    """Per asset, the ledger lines of UNPLACED_TYPES for this exchange."""
    wanted = UNPLACED_TYPES.get(exchange_id, frozenset())
    types: dict[str, dict[str, None]] = {}
    totals: dict[str, Decimal] = {}
    for move in movements:
        if move.kind == RecordKind.LEDGER and move.entry_type in wanted:
            types.setdefault(move.asset, {})[move.entry_type] = None
            totals[move.asset] = totals.get(move.asset, Decimal(0)) + move.amount
    return {asset: Unplaced(tuple(found), totals[asset]) for asset, found in types.items()}


def explained_balances(movements: Iterable[Movement]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}

    def add(asset: str | None, amount: Decimal | None) -> None:
        if asset and amount is not None:
            sums[asset] = sums.get(asset, Decimal(0)) + amount

    for move in movements:
        kind = move.kind
        if kind in (RecordKind.TRADE, RecordKind.CONVERT):
            # Signed as the exports sign (sell, or a convert leg going out, leaves); a record without a side is
            # counted arriving, as stored purchases are.
            sign = direction_of(move.side) or 1
            add(move.asset, sign * abs(move.amount))
            if move.quote_amount is not None:
                add(move.quote_asset, -sign * abs(move.quote_amount))
        elif kind == RecordKind.DEPOSIT:
            add(move.asset, abs(move.amount))
        elif kind == RecordKind.REWARD:
            # A distribution that took the asset (Binance's asset dividend `direction` -1) is stored going out.
            add(move.asset, -abs(move.amount) if (move.side or "").lower() == Flow.OUT else abs(move.amount))
        elif kind == RecordKind.WITHDRAWAL:
            add(move.asset, -abs(move.amount))
        elif kind in SIGNED_KINDS:
            add(move.asset, move.amount)
        if kind not in UNCHARGED_KINDS and move.fee_amount:
            # Readers store a charge as a positive fee and a maker rebate as a negative one (OKX, Bybit, Bitget):
            # the sign is kept, so a rebate adds to the balance.
            add(move.fee_asset, -move.fee_amount)
    return sums
