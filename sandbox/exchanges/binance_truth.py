"""What Tallybot must store for a scripted Binance account: its records by the natural key a sync stores each
under, with the exact values, and the same values read back from a stored row. The sync tests and the request
benchmark compare a sync's result with it."""

from __future__ import annotations

from connectors.fetchers.windows import to_ms
from db.models import Transaction
from sandbox.exchanges.records import ScriptedAccount

Values = tuple[object, ...]


def binance_truth(account: ScriptedAccount, until_ms: int | None = None) -> dict[str, Values]:
    """Every record of the account (trades up to `until_ms`, if given) by natural key, with its exact values."""
    expected: dict[str, Values] = {}
    for t in account.trades:
        if until_ms is None or t.timestamp <= until_ms:
            expected[f"trade:{t.symbol}:{t.id}"] = (t.amount, t.price, t.cost, t.fee, t.timestamp, t.side)
    for d in account.deposits:
        expected[f"deposit:{d.id}"] = (d.asset, d.amount, d.timestamp)
    for w in account.withdrawals:
        expected[f"withdrawal:{w.id}"] = (w.asset, w.amount, w.fee, w.timestamp)
    for c in account.converts:
        expected[f"convert:{c.id}"] = (c.from_asset, c.from_amount, c.to_asset, c.to_amount, c.timestamp)
    for r in account.rewards:
        expected[f"reward:{r.id}"] = (r.asset, r.amount, r.timestamp)
    return expected


def stored_values(row: Transaction) -> Values:
    """A stored row's values in the order `binance_truth` gives them."""
    when = to_ms(row.occurred_at)
    if row.kind == "trade":
        return (row.amount, row.price, row.quote_amount, row.fee_amount, when, row.side)
    if row.kind == "withdrawal":
        return (row.asset, row.amount, row.fee_amount, when)
    if row.kind == "convert":
        return (row.quote_asset, row.quote_amount, row.asset, row.amount, when)
    return (row.asset, row.amount, when)
