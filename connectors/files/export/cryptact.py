"""Cryptact's custom file: one or more rows per record, each with the action that says what it was.

Columns and actions from "Custom File for any other trades" (support.cryptact.com/hc/en-us/articles/360002571312)
and "PNL calculation for each transaction type" (…/articles/12814753146777; Canada: …/40609271901721): BUY, SELL,
BONUS (airdrops, campaign and referral rewards; profits of crypto-denominated margin trading), LOSS (losses of
crypto-denominated margin trading), STAKING, LENDING (lending interest), SENDFEE (a fee that reduces the quantity
without a gain or loss). Every column but Comment is required: a row without a price names JPY as the counter so
Cryptact looks the price up (※1 of the format), and a row without a fee says 0. Transfers between the user's own
accounts and plain deposits are left out ("Transfers between your own addresses and accounts do not need to be
included"); a withdrawal's fee is kept as SENDFEE.

Futures: Tallybot stores a futures account as its balance changes in the margin coin (Bitget's tax records), not
positions, so a realized result is a change of the margin coin: BONUS when it grew, LOSS when it shrank, as the
PNL page lists for "profits / losses from cryptocurrency-denominated margin trading"; funding and margin interest
alike. The optional DerivType/DerivDetails columns describe position trades, which these records are not.
A derivatives fill (FUTURES_TRADE) is not a purchase or sale of its coin either: its result is the realized P&L
record, so the fill's row is its fee alone, LOSS ("Trading fee at margin trade … records them as increases or
decreases in the fee currency", PNL calculation, Canada edition), and the note after the file says why.

Margin loans: BORROW ("Incorporate the price for the stated date and time into the book price", no PNL) and RETURN
("PNL is calculated as (price at the time of borrowing - book price) * quantity"), from the PNL page (Japan,
…/articles/12814753146777, rows 13 and 14) and "SPOT borrowed or returned cryptocurrencies" (…/articles/
360058275092). Interest charged on them is LOSS, as margin interest has always been here; interest paid to the user
is LENDING.

Binance Pay: a payment sent is PAY ("Sold at the price … Paid for goods/services in a cryptocurrency", row 12 of
the PNL page); one received is BUY at Cryptact's price (row 1, "Peer to peer trading"), the acquisition Koinly
makes of an untagged deposit. Neither is a transfer between the user's own accounts, so neither is left out.
"""

from __future__ import annotations

from decimal import Decimal

from connectors.files.export.common import (
    Exportable,
    Written,
    amount_text,
    description,
    price_of,
    signed_amount,
    utc_text,
)
from connectors.files.export.meaning import Meaning, is_derivative, meaning_of
from connectors.files.export.pairing import PairedTrade
from connectors.files.tallybot import formula_safe as text
from i18n import msgid, t

CRYPTACT_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "Action",
    "Source",
    "Base",
    "Volume",
    "Price",
    "Counter",
    "Fee",
    "FeeCcy",
    "Comment",
)
CRYPTACT_FIAT = "JPY"  # Counter and FeeCcy of rows without a counter currency, as in Cryptact's examples
INCOME_ACTIONS: dict[Meaning, str] = {
    Meaning.REWARD: "BONUS",
    Meaning.AIRDROP: "BONUS",
    Meaning.REBATE: "BONUS",
    Meaning.STAKING: "STAKING",
    Meaning.INTEREST: "LENDING",
}
MARGIN_CHANGES = (Meaning.REALIZED, Meaning.FUNDING, Meaning.MARGIN_INTEREST)
# Why a record has no row, as catalogue ids (the export's note renders them).
TRANSFER_SKIP = msgid("export.skip.cryptact_transfer")
DEPOSIT_SKIP = msgid("export.skip.deposit")
WITHDRAWAL_SKIP = msgid("export.skip.withdrawal_without_fee")
UNKNOWN_SKIP = msgid("export.skip.unknown_ledger")
NOTHING_SKIP = msgid("export.skip.no_change")
NO_PRICE_SKIP = msgid("export.skip.trade_without_price")
FILL_SKIP = msgid("export.skip.cryptact_derivatives_fill")
LOAN_ACTIONS: dict[Meaning, str] = {Meaning.LOAN: "BORROW", Meaning.LOAN_REPAYMENT: "RETURN"}


def cryptact_rows(tx: Exportable, exchange: str, account: str) -> Written:
    meaning = meaning_of(tx)
    row = _Rows(tx, text(exchange), text(description(tx, exchange, account)))
    if meaning is Meaning.TRADE:
        side = (tx.side or "").lower()
        price = price_of(tx)
        if side not in ("buy", "sell") or price is None or not tx.quote_asset:
            return Written(skipped=NO_PRICE_SKIP)
        charged = tx.fee_asset and tx.fee_amount and tx.fee_amount > 0
        fee = (tx.fee_amount, tx.fee_asset) if charged else (Decimal(0), tx.quote_asset)
        row.add(side.upper(), tx.asset, tx.amount, amount_text(price), tx.quote_asset, fee)  # type: ignore[arg-type]
    elif meaning is Meaning.PAYMENT_SENT:  # "PAY: Sold at the price … Paid for goods/services in a cryptocurrency"
        row.add("PAY", tx.asset, abs(tx.amount))
        row.fee(False)
    elif meaning is Meaning.PAYMENT_RECEIVED:  # from someone else: acquired at the market price, as P2P ("BUY")
        row.add("BUY", tx.asset, abs(tx.amount))
        row.fee(False)
    elif meaning is Meaning.TRADE_LEG:  # the other side is not stored: bought or sold at the market price
        row.add("BUY" if signed_amount(tx) > 0 else "SELL", tx.asset, abs(tx.amount))
        row.fee(is_derivative(tx))
    elif meaning in INCOME_ACTIONS:
        if tx.amount:
            row.add(INCOME_ACTIONS[meaning], tx.asset, abs(tx.amount))
        row.fee(is_derivative(tx))
    elif meaning is Meaning.DERIVATIVE_FILL:  # no coin changed hands: its fee alone is a row
        row.fee(True)
        _rebate(tx, row)
        return Written(tuple(row.rows), skipped=FILL_SKIP)
    elif meaning in LOAN_ACTIONS:  # a loan's fee field charges nothing (bot/reconcile/ledger.py)
        row.add(LOAN_ACTIONS[meaning], tx.asset, abs(tx.amount))
        return Written(tuple(row.rows))
    elif meaning in MARGIN_CHANGES:
        if tx.amount:
            row.add("BONUS" if tx.amount > 0 else "LOSS", tx.asset, abs(tx.amount))
        row.fee(True)
    elif meaning is Meaning.FEE:
        if tx.amount:
            row.add("LOSS" if is_derivative(tx) else "SENDFEE", tx.asset, abs(tx.amount))
        row.fee(is_derivative(tx))
    elif meaning is Meaning.WITHDRAWAL:
        row.fee(False)
        if not row.rows:
            return Written(skipped=WITHDRAWAL_SKIP)
    elif meaning is Meaning.DEPOSIT:
        row.fee(False)
        if not row.rows:
            return Written(skipped=DEPOSIT_SKIP)
    elif meaning is Meaning.INTERNAL:
        return Written(skipped=TRANSFER_SKIP)
    else:
        return Written(skipped=UNKNOWN_SKIP)
    if isinstance(tx, PairedTrade) and tx.extra_fee is not None:
        row.add("SENDFEE", tx.extra_fee[1], tx.extra_fee[0], note=t("export.note.trading_fee"))
    _rebate(tx, row)
    if not row.rows:
        return Written(skipped=NOTHING_SKIP)
    return Written(tuple(row.rows))


def _rebate(tx: Exportable, row: _Rows) -> None:
    if tx.fee_asset and tx.fee_amount is not None and tx.fee_amount < 0:  # a maker rebate: income
        row.add("BONUS", tx.fee_asset, -tx.fee_amount, note=t("export.note.maker_rebate"))


class _Rows:
    def __init__(self, tx: Exportable, source: str, comment: str) -> None:
        self.tx, self.source, self.comment = tx, source, comment
        self.stamp = utc_text(tx, "%Y/%m/%d %H:%M:%S")
        self.rows: list[list[str]] = []

    def add(
        self, action: str, base: str, volume: Decimal, price: str = "", counter: str = CRYPTACT_FIAT,
        fee: tuple[Decimal, str] = (Decimal(0), CRYPTACT_FIAT), note: str = "",
    ) -> None:  # fmt: skip
        comment = self.comment + (f" ({note})" if note else "")
        self.rows.append([
            self.stamp, action, self.source, text(base), amount_text(volume), price, text(counter),
            amount_text(fee[0]), text(fee[1]), text(comment),
        ])  # fmt: skip

    def fee(self, derivative: bool) -> None:
        """A fee charged on a line that is not a trade: LOSS on a margin account, else SENDFEE."""
        tx = self.tx
        if tx.fee_asset and tx.fee_amount and tx.fee_amount > 0:
            self.add("LOSS" if derivative else "SENDFEE", tx.fee_asset, tx.fee_amount, note=t("export.note.fee"))
