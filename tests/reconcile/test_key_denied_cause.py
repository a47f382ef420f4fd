"""A kind skipped because the key may not read it (the run summary's `denied`) is named before a kind Tallybot does
not fetch: Tallybot does fetch it, and the fix is the key's permission, not a statement."""

from __future__ import annotations

from decimal import Decimal

from bot.reconcile.causes import Cause, coverage_from, likely_cause

OFFERED = ["spot_trades", "earn_rewards", "transfers"]


def test_a_denied_kind_outranks_a_kind_not_fetched_and_an_unused_one() -> None:
    summary = {
        "endpoints": {
            "spot_trades": {"status": "ok"},
            "transfers": {"status": "skipped"},  # not fetched by Tallybot yet
            "earn_rewards": {"status": "skipped", "denied": True},
        }
    }
    coverage = coverage_from([summary], offered=OFFERED, enabled=OFFERED, sync_from=None)
    for difference in (Decimal("5"), Decimal("-5")):  # more or less than the history: Earn moves both ways
        assert likely_cause("USDT", difference, coverage, frozenset()) == (
            Cause.KEY_DENIED,
            {"endpoints": ["earn_rewards"]},
        )


def test_without_the_denied_mark_the_same_skip_stays_not_fetched() -> None:
    summary = {"endpoints": {"earn_rewards": {"status": "skipped"}}}
    coverage = coverage_from([summary], offered=OFFERED, enabled=OFFERED, sync_from=None)
    assert likely_cause("USDT", Decimal("5"), coverage, frozenset()) == (
        Cause.NOT_FETCHED,
        {"endpoints": ["earn_rewards"]},
    )


def test_an_older_runs_denial_is_not_named_once_the_newest_run_read_the_kind() -> None:
    newest = {"endpoints": {"earn_rewards": {"status": "ok"}}}
    older = {"endpoints": {"earn_rewards": {"status": "skipped", "denied": True}}}
    coverage = coverage_from([newest, older], offered=OFFERED, enabled=OFFERED, sync_from=None)
    assert likely_cause("USDT", Decimal("5"), coverage, frozenset()) == (Cause.UNKNOWN, {})
