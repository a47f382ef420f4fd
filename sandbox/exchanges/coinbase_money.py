"""What a scripted Coinbase account's money does beyond the shared script: the commission of a fill, the simple
trades made in the Coinbase app, and the balances each v2 account shows (docs/exchange-apis/coinbase.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from sandbox.exchanges.records import EIGHT_PLACES, ScriptedAccount, TradeRecord

FEE_RATE = Decimal("0.001")


@dataclass(frozen=True)
class AppTrade:
    """A buy or sell made in the Coinbase app (not Advanced Trade): `amount` of `asset` for `usd` US dollars."""

    asset: str
    side: str
    amount: Decimal
    usd: Decimal
    ms: int


def commission(trade: TradeRecord) -> Decimal:
    """Advanced Trade charges its fee in the quote currency: 0.1 % of the fill's value, cut to 8 places."""
    return (trade.cost * FEE_RATE).quantize(EIGHT_PLACES, rounding="ROUND_DOWN")


def with_commissions(account: ScriptedAccount) -> ScriptedAccount:
    """The account as Coinbase keeps it: every fill charged its `commission` (0.1 % of price x size, cut to 8 places)
    in the quote currency, and the balances moved by the commission the fill shows, to the last digit. The account
    is scripted paying its fees in the quote already; this only re-cuts them from the exact value."""
    change: dict[str, Decimal] = {}
    trades = []
    for t in account.trades:
        charged = commission(t)
        change[t.fee_asset] = change.get(t.fee_asset, Decimal(0)) + t.fee
        change[t.quote] = change.get(t.quote, Decimal(0)) - charged
        trades.append(replace(t, fee=charged, fee_asset=t.quote))
    balances = tuple(replace(b, free=b.free + change.get(b.asset, Decimal(0))) for b in account.balances)
    return replace(account, trades=tuple(trades), balances=balances)


def held_balances(
    account: ScriptedAccount, app_trades: Iterable[AppTrade], fiat_deposits: Iterable[tuple[Decimal, int]]
) -> dict[str, Decimal]:
    """Each account's balance: the scripted account's, moved by the simple trades made in the app and the fiat
    deposits (amount, ms), which only the Coinbase book scripts."""
    held = {b.asset: b.total for b in account.balances}
    for t in app_trades:
        sign = Decimal(1) if t.side == "buy" else Decimal(-1)
        held[t.asset] = held.get(t.asset, Decimal(0)) + sign * t.amount
        held["USD"] = held.get("USD", Decimal(0)) - sign * t.usd
    for amount, _ in fiat_deposits:
        held["USD"] = held.get("USD", Decimal(0)) + amount
    return held
