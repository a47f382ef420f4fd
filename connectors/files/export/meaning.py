"""What a stored record means for a tax tool, from its kind and the exchange's own name for it.

Ledger lines (Bitget's tax lists, Bitget UTA tax records, ccxt ledgers) and rewards carry the exchange's type in
`raw` (common.TYPE_FIELDS) or, for ccxt, in `side`. Types named in:
- Bitget `spotTaxType` (common/tax/Get-Spot-Account-Record), `futureTaxType` (common/tax/Get-Future-Account-Record),
  UTA `type` (uta/enum "type (financial records)"), P2P and margin types (common/tax/*);
- OKX funding bill types (Asset_Bills_Details: 28/229 airdrop, 83/139 staking, 89/232/307-309 interest);
- ccxt's unified ledger types (trade, transaction, fee, rebate, cashback, referral, transfer, airdrop, reward,
  funding, interest, settlement).
A type none of these rules names is UNKNOWN: the tax files leave it out and say so, rather than guess.

The kinds of connectors/records.py that say what they are need no type name: a derivatives fill (FUTURES_TRADE),
realized profit or loss, funding, margin interest (INTEREST, negative when charged), a margin loan (BORROW), its
repayment (REPAY) and a fee on its own (FEE: a fee when negative, a rebate when positive).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from connectors.files.export.common import Exportable, is_one_leg, type_text


class Meaning(StrEnum):
    """What a record is to a tax tool: a code, never written as it is (each export words it in its own terms)."""

    TRADE = "trade"  # both sides in one record (trades, converts, paired ledger legs)
    TRADE_LEG = "trade_leg"  # one side of a trade whose other side is not stored: a purchase or sale at market
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    INTERNAL = "internal_transfer"  # between the user's own accounts or products on one exchange
    REWARD = "reward"
    STAKING = "staking_reward"
    AIRDROP = "airdrop"
    INTEREST = "interest_earned"
    REBATE = "fee_rebate"  # income: a maker rebate or a fee refund
    REALIZED = "realized_pnl"  # futures: signed
    FUNDING = "funding_fee"  # perpetual futures funding: signed, received or paid
    MARGIN_INTEREST = "margin_interest"  # paid on borrowed funds
    FEE = "fee"  # paid, on its own line
    DERIVATIVE_FILL = "derivatives_fill"  # a futures/perpetual/option fill: no coin bought or sold, only its fee paid
    LOAN = "margin_loan"  # borrowed: the coin arrives, and is owed
    LOAN_REPAYMENT = "margin_repayment"  # the borrowed principal paid back
    PAYMENT_SENT = "payment_sent"  # Binance Pay: paid to another user or a merchant, not a move between own wallets
    PAYMENT_RECEIVED = "payment_received"  # Binance Pay: received from another user (or a card paying for a payment)
    UNKNOWN = "unknown_ledger_type"


OKX_AIRDROP = frozenset({"28", "229"})
OKX_STAKING = frozenset({"83", "139"})
OKX_INTEREST = frozenset({"89", "232", "307", "308", "309"})
# Words of the exchanges' type names (lower case, "_" and "-" read as spaces), matched anywhere in a type.
FUTURES_TRADING_WORDS = ("open", "close", "burst", "force", "offset", "liq", "deal", "settlement", "pnl", "delivery")
SPOT_TRADING_WORDS = (
    "buy",
    "sell",
    "dealt",
    "exchange spending",
    "exchange income",
    "exchange source",
    "exchange target",
)
INTERNAL_WORDS = ("transfer", "strategy account", "lock", "delegate", "subscribe", "redemption", "megaswap")
REWARD_WORDS = ("reward", "bonus", "referral", "lotto", "activity", "voucher", "profit", "income", "giveaway")
COST_WORDS = ("penalty", "deduct", "consumption", "recall", "expense", "charges")
INTEREST_WORDS = ("interest", "savings", "simple earn", "lend")


# Kinds that say their meaning themselves (connectors/records.py); INTEREST depends on its sign.
KIND_MEANINGS: dict[str, Meaning] = {
    "trade": Meaning.TRADE,
    "convert": Meaning.TRADE,
    "deposit": Meaning.DEPOSIT,
    "withdrawal": Meaning.WITHDRAWAL,
    "transfer": Meaning.INTERNAL,
    "futures_trade": Meaning.DERIVATIVE_FILL,
    "realized_pnl": Meaning.REALIZED,
    "funding": Meaning.FUNDING,
    "borrow": Meaning.LOAN,
    "repay": Meaning.LOAN_REPAYMENT,
}
DERIVATIVE_KINDS = frozenset({"futures_trade", "realized_pnl", "funding"})
# Binance Pay's records are deposits and withdrawals keyed "deposit:pay:…"/"withdrawal:pay:…"
# (connectors/fetchers/binance/wallet_kinds.py): money from or to someone else, never the user's own wallet.
PAYMENTS = {"deposit:pay:": Meaning.PAYMENT_RECEIVED, "withdrawal:pay:": Meaning.PAYMENT_SENT}


def is_derivative(tx: Exportable) -> bool:
    """A record of a derivatives account: a fill, realized P&L or funding, a line of Bitget's future-record list (v2)
    or of a UTA futures stream."""
    raw = tx.raw or {}
    return str(tx.kind) in DERIVATIVE_KINDS or "futureTaxType" in raw or "FUTURES" in tx.natural_key


def meaning_of(tx: Exportable) -> Meaning:
    kind = str(tx.kind)
    payment = next((meaning for prefix, meaning in PAYMENTS.items() if tx.natural_key.startswith(prefix)), None)
    if payment is not None:
        return payment
    if is_one_leg(tx):  # one coin of an exchange whose other coin is its own record
        return Meaning.TRADE_LEG
    if kind in KIND_MEANINGS:
        return KIND_MEANINGS[kind]
    if kind == "fee":  # a fee on its own (a fill's further fee coin): charged when negative, else a rebate paid in
        return Meaning.FEE if tx.amount < 0 else Meaning.REBATE
    if kind == "interest":  # charged on a margin loan (negative); a positive one is interest paid to the user
        return Meaning.MARGIN_INTEREST if tx.amount < 0 else Meaning.INTEREST
    words = " ".join(type_text(tx).lower().replace("_", " ").replace("-", " ").split())
    if kind == "reward":
        # Binance's Asset Dividend Record "Asset debited (outflow)" is stored negative (binance/wallet.py): money taken,
        # not income, so a deduction as a "deduct"/"recall" ledger line is (COST_WORDS).
        return Meaning.FEE if tx.amount < 0 else _reward(words)
    return _ledger(words, (tx.side or "").lower(), tx.amount, is_derivative(tx))


def _reward(words: str) -> Meaning:
    if words in OKX_AIRDROP or "airdrop" in words:
        return Meaning.AIRDROP
    if words in OKX_STAKING or "stak" in words:
        return Meaning.STAKING
    if words in OKX_INTEREST or any(word in words for word in INTEREST_WORDS):
        return Meaning.INTEREST
    return Meaning.REWARD


def _ledger(words: str, ccxt_type: str, amount: Decimal, derivative: bool) -> Meaning:
    words = words or ccxt_type
    if "settle fee" in words or "funding" in words:
        return Meaning.FUNDING
    if any(word in words for word in ("rebate", "refund", "cashback")):
        return Meaning.REBATE
    if "interest" in words:
        return Meaning.MARGIN_INTEREST if amount < 0 or derivative else Meaning.INTEREST
    if "fee" in words:
        return Meaning.FEE
    if words == "transaction":  # ccxt: a deposit or a withdrawal, by its sign
        return Meaning.DEPOSIT if amount >= 0 else Meaning.WITHDRAWAL
    if any(word in words for word in INTERNAL_WORDS):
        return Meaning.INTERNAL
    if "airdrop" in words:
        return Meaning.AIRDROP
    if "stak" in words:
        return Meaning.STAKING
    if derivative and any(word in words for word in FUTURES_TRADING_WORDS):
        return Meaning.REALIZED
    if words == "trade" or any(word in words for word in SPOT_TRADING_WORDS):
        return Meaning.TRADE_LEG
    if any(word in words for word in REWARD_WORDS):
        return Meaning.REWARD
    if "settlement" in words:
        return Meaning.REALIZED
    if "deposit" in words or words == "received":
        return Meaning.DEPOSIT
    if "withdraw" in words or words == "sent":
        return Meaning.WITHDRAWAL
    if any(word in words for word in COST_WORDS):
        return Meaning.FEE
    return Meaning.UNKNOWN
