"""When an account with history out of the API's reach may turn green: only once a file fills the gap."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.integrations import AdvancedOptions, IntegrationSummary
from bot.reconcile.results import AccountReconciliation, Outcome
from bot.status import AccountStatus, EndpointLine
from connectors.diagnosis import DiagnosisCode
from db.models import IntegrationStatus

WHEN = datetime(2026, 12, 1, tzinfo=UTC)
SUMMARY = IntegrationSummary(
    id=7,
    exchange_id="bitget",
    account_name="Bitget-1",
    key_type="default",
    fingerprint="abcd",
    status=IntegrationStatus.PARTIAL,
    status_detail=None,
    last_synced_at=WHEN,
    options=AdvancedOptions(),
    expires_at=None,
)
# Deposits before 2024-12-06 are out of the API's reach; every balance matches.
OUT_OF_REACH = EndpointLine(
    "deposits", "Deposits", "partial", WHEN, DiagnosisCode.LOOKBACK_LIMIT, None, datetime(2024, 12, 6, tzinfo=UTC)
)
BALANCED = AccountReconciliation(7, "bitget", WHEN, Outcome.BALANCED, None, ("spot",), {}, ())


def account(*, gaps_filed: bool) -> AccountStatus:
    return AccountStatus(
        summary=SUMMARY,
        exchange_name="Bitget",
        running=False,
        transactions=40,
        endpoints=(OUT_OF_REACH,),
        missing_ranges=(),
        expires_soon=False,
        reconciliation=BALANCED,
        checks_balances=True,
        gaps=((None, datetime(2024, 12, 6, tzinfo=UTC)),),
        gaps_filed=gaps_filed,
    )


def test_matching_balances_alone_leave_an_out_of_reach_account_partial() -> None:
    # A 2019 deposit, sell, buy and withdrawal all out of reach add up to zero: equal balances prove nothing.
    assert account(gaps_filed=False).state == IntegrationStatus.PARTIAL


def test_an_uploaded_file_covering_the_gap_with_matching_balances_is_green() -> None:
    assert account(gaps_filed=True).state == IntegrationStatus.OK
