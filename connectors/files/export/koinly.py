"""Koinly's universal CSV: one row per record, each with the label (tag) that says what it was.

Koinly treats an untagged deposit as a purchase and an untagged withdrawal as a sale ("What are tags",
support.koinly.io/en/articles/9490023). Labels used, from that page and "What are labels" (help.koinly.io/en/
articles/3663453): reward (staking rewards, referral bonuses), airdrop, lending interest, income, realized gain
(futures profit and loss), margin fee, cost. A trade has both sides and no label; a deposit or withdrawal to or from
outside the exchange stays untagged so Koinly can match it with the other wallet's side. "A deposit in Koinly can
not have any fee … add a separate withdrawal transaction for the … fee and tag it as a Cost" ("What are
transactions in Koinly", support.koinly.io/en/articles/9490022): a received row's fee is a cost row of its own.

Derivatives: "Koinly will not import executions of such contracts - opening and closing of the trade. Instead, you
will only see your closing PnL" ("Futures and perpetuals PNL", support.koinly.io/en/articles/9490027; in a CSV "use
the 'realized gain' tag on all deposit/withdrawal rows that are related to pnl"). So a derivatives fill is no
purchase or sale of its coin: only its fee is a row (cost), and the note after the file says why. Margin loans:
"a receipt of a loan in crypto is considered an acquisition", its repayment "a disposal"; the tags Margin loan and
Margin repayment do not change that ("Crypto loans, repayments and collateral", support.koinly.io/en/articles/
9490026; "What are tags"). Borrowed coins are spent in margin trades, so both are rows: Koinly's balance of a coin
is then what the margin wallet holds before its debt.
"""

from __future__ import annotations

from decimal import Decimal

from connectors.files.export.common import (
    Exportable,
    Written,
    amount_text,
    description,
    quote_of,
    signed_amount,
    tx_hash,
    utc_text,
)
from connectors.files.export.meaning import Meaning, meaning_of
from connectors.files.export.pairing import PairedTrade
from connectors.files.tallybot import formula_safe as text
from i18n import msgid, t

KOINLY_COLUMNS: tuple[str, ...] = (
    "Date",
    "Sent Amount",
    "Sent Currency",
    "Received Amount",
    "Received Currency",
    "Fee Amount",
    "Fee Currency",
    "Net Worth Amount",
    "Net Worth Currency",
    "Label",
    "Description",
    "TxHash",
)
# Koinly's tags for a margin loan and its repayment ("What are tags"): words of its file format, which Tallybot's
# reader of Koinly files matches too (connectors/files/koinly_reader.py).
LOAN_WORDS: dict[Meaning, str] = {Meaning.LOAN: "margin loan", Meaning.LOAN_REPAYMENT: "margin repayment"}
# Koinly's label (its tag) for each meaning that has one: words of its file format, written as Koinly spells them.
LABEL_WORDS: dict[Meaning, str] = {
    Meaning.REWARD: "reward",
    Meaning.STAKING: "reward",  # Koinly: "Reward (used for staking rewards / referral bonuses etc)"
    Meaning.AIRDROP: "airdrop",
    Meaning.INTEREST: "lending interest",
    Meaning.REBATE: "income",
    Meaning.REALIZED: "realized gain",
    Meaning.FUNDING: "realized gain",  # funding is part of a perpetual position's profit and loss
    Meaning.MARGIN_INTEREST: "margin fee",
    Meaning.FEE: "cost",
    **LOAN_WORDS,
}
# Why a record has no row, as catalogue ids (the export's note renders them). Koinly's CSV has no way to mark a move
# between the user's own accounts: "It is not possible to create a Transfer transaction directly"; Koinly merges a
# withdrawal from one wallet with a deposit into another (help.koinly.io/en/articles/3661312, support.koinly.io/en/
# articles/9490024), and an untagged one would count as a sale and a purchase. So they are left out, and said why.
TRANSFER_SKIP = msgid("export.skip.koinly_transfer")
UNKNOWN_SKIP = msgid("export.skip.unknown_ledger")
NOTHING_SKIP = msgid("export.skip.no_change")
NO_QUOTE_SKIP = msgid("export.skip.trade_without_quote")
FILL_SKIP = msgid("export.skip.koinly_derivatives_fill")
LOANS = (Meaning.LOAN, Meaning.LOAN_REPAYMENT)
Side = tuple[Decimal, str]


def koinly_rows(tx: Exportable, exchange: str, account: str) -> Written:
    meaning = meaning_of(tx)
    if meaning is Meaning.INTERNAL:
        return Written(skipped=TRANSFER_SKIP)
    if meaning is Meaning.UNKNOWN:
        return Written(skipped=UNKNOWN_SKIP)
    rows: list[list[str]] = []
    fee: Side | None = None
    if tx.fee_asset and tx.fee_amount and meaning not in LOANS:  # a loan's fee field charges nothing
        fee = (tx.fee_amount, tx.fee_asset)
    rebate: Side | None = None
    if fee is not None and fee[0] < 0:  # a maker rebate: paid to the user, so income of its own
        rebate, fee = (-fee[0], fee[1]), None
    if meaning is Meaning.TRADE:
        quote = quote_of(tx)
        side = (tx.side or "").lower()
        if quote is None or not tx.quote_asset or side not in ("buy", "sell"):
            return Written(skipped=NO_QUOTE_SKIP)
        ours, theirs = (tx.amount, tx.asset), (quote, tx.quote_asset)
        sent, received = (theirs, ours) if side == "buy" else (ours, theirs)
        rows.append(_row(tx, exchange, account, sent, received, fee, ""))
    elif meaning is Meaning.DERIVATIVE_FILL:  # no coin changed hands: its fee alone is a row
        if fee is not None:
            rows.append(_row(tx, exchange, account, fee, None, None, LABEL_WORDS[Meaning.FEE], t("export.note.fee")))
        if rebate is not None:
            rows.append(
                _row(
                    tx,
                    exchange,
                    account,
                    None,
                    rebate,
                    None,
                    LABEL_WORDS[Meaning.REBATE],
                    t("export.note.maker_rebate"),
                )
            )
        return Written(tuple(rows), skipped=FILL_SKIP)
    elif tx.amount == 0 and meaning in (Meaning.REALIZED, Meaning.FEE, Meaning.FUNDING):
        if fee is not None:  # a futures line with nothing but its fee (opening a position)
            rows.append(_row(tx, exchange, account, fee, None, None, LABEL_WORDS[Meaning.FEE]))
    else:
        label = LABEL_WORDS.get(meaning, "")
        outgoing = str(tx.kind) == "withdrawal" or meaning is Meaning.LOAN_REPAYMENT  # stored positive, paid out
        signed = -tx.amount if outgoing else signed_amount(tx)
        moved: Side = (abs(signed), tx.asset)
        if signed >= 0:
            rows.append(_row(tx, exchange, account, None, moved, None, label))
            if fee is not None:  # "A deposit in Koinly can not have any fee" (…/9490022): a cost row of its own
                rows.append(
                    _row(tx, exchange, account, fee, None, None, LABEL_WORDS[Meaning.FEE], t("export.note.fee"))
                )
        else:
            rows.append(_row(tx, exchange, account, moved, None, fee, label))
    if isinstance(tx, PairedTrade) and tx.extra_fee is not None:
        rows.append(_row(tx, exchange, account, tx.extra_fee, None, None, LABEL_WORDS[Meaning.FEE]))
    if rebate is not None:
        rows.append(
            _row(tx, exchange, account, None, rebate, None, LABEL_WORDS[Meaning.REBATE], t("export.note.maker_rebate"))
        )
    if not rows:
        return Written(skipped=NOTHING_SKIP)
    return Written(tuple(rows))


def _row(
    tx: Exportable, exchange: str, account: str, sent: Side | None, received: Side | None, fee: Side | None,
    label: str, note: str = "",
) -> list[str]:  # fmt: skip
    words = description(tx, exchange, account) + (f" ({note})" if note else "")
    return [  # text cells through `text` (formula_safe); amounts are numbers and stay as they are
        utc_text(tx, "%Y-%m-%d %H:%M:%S UTC"),
        amount_text(sent[0]) if sent else "",
        text(sent[1]) if sent else "",
        amount_text(received[0]) if received else "",
        text(received[1]) if received else "",
        amount_text(fee[0]) if fee else "",
        text(fee[1]) if fee else "",
        "",
        "",
        label,
        text(words),
        text(tx_hash(tx)) if str(tx.kind) in ("deposit", "withdrawal") else "",
    ]
