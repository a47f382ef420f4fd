"""Reconciliation: the balances the exchange reports against the balances the stored history explains."""

from bot.reconcile.causes import Cause
from bot.reconcile.results import AccountReconciliation, AssetBalance, Outcome
from bot.reconcile.service import ReconcileReader, ReconcileService

__all__ = ["AccountReconciliation", "AssetBalance", "Cause", "Outcome", "ReconcileReader", "ReconcileService"]
