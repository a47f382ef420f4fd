"""The reconciliation check of a story test, for exchanges whose balances Tallybot does not read yet.

Where the bot reads an exchange's wallets it compares them itself after /sync ("the history explains every
balance"). For the others a story compares the balances the emulator shows with what the stored records explain,
through the same sum the bot uses (bot/reconcile/ledger.py): a fill whose quote a reader computed while the
exchange moved another amount shows here as a difference in the 9th decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from bot.reconcile.ledger import explained_balances
from db.models import Transaction
from db.repositories.reconcile import Movement


def unexplained(rows: Iterable[Transaction], shown: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Per asset (upper case), what the exchange shows less what the stored history explains; only the assets
    where the two differ, so an account that reconciles gives {}."""
    moves = [
        Movement(r.kind, r.side, r.asset, r.amount, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in rows
    ]
    explained = {asset.upper(): amount for asset, amount in explained_balances(moves).items()}
    held = {asset.upper(): amount for asset, amount in shown.items()}
    assets = set(explained) | set(held)
    differences = {a: held.get(a, Decimal(0)) - explained.get(a, Decimal(0)) for a in assets}
    return {asset: difference for asset, difference in sorted(differences.items()) if difference != 0}
