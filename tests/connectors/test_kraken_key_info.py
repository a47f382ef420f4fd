"""Kraken's Get API Key Info read by the key check: the docs' camelCase names and Kraken.Net's snake_case ones, a
limit under neither name refused, the two rights a sync needs, withdrawal-address rights as withdrawal rights, and
unknown rights named for withdrawing refused (for every exchange, through `judge`).

Permission values and field names from docs.kraken.com/api/docs/rest-api/get-api-key-info (docs/exchange-apis/
kraken.md, "key check").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.diagnosis import DiagnosisCode
from connectors.key_permissions import KeyFacts, PermissionsUnreadable, parse_kraken
from connectors.keycheck import judge
from connectors.profiles import get_profile
from i18n import Text, render

READS = ["query-funds", "query-open-trades", "query-closed-trades", "query-ledger"]
CAMEL = {"permissions": READS, "validUntil": "0", "queryFrom": "0", "queryTo": "0", "ipAllowlist": [], "nonceWindow": 0}
SNAKE = {"permissions": READS, "valid_until": "0", "query_from": "0", "query_to": "0", "ip_allowlist": [""]}


def answer(**result: Any) -> dict[str, Any]:
    return {"error": [], "result": result}


@pytest.mark.parametrize("result", [CAMEL, SNAKE], ids=["docs", "kraken.net"])
def test_a_read_only_key_reads_in_either_spelling(result: dict[str, Any]) -> None:
    assert parse_kraken(answer(**result)) == KeyFacts(
        can_read=True, can_trade=False, can_withdraw=False, ip_restricted=False
    )


def test_a_key_limited_to_dates_is_said_so_in_the_docs_spelling() -> None:
    # 1704067200 is 2024-01-01 00:00 UTC; 1893456000 is 2030-01-01 00:00 UTC.
    facts = parse_kraken(answer(**{**CAMEL, "queryFrom": "1704067200", "validUntil": "1893456000"}))
    assert facts.note_text is not None
    shown = render(Text(facts.note_text.id, {**facts.note_text.args, "name": "Kraken"}))
    assert "Kraken key only reads history from 2024-01-01 (" in shown
    assert facts.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert parse_kraken(answer(**{**CAMEL, "ipAllowlist": ["203.0.113.7"]})).ip_restricted


@pytest.mark.parametrize("field", ["validUntil", "queryFrom", "queryTo"])
def test_a_limit_under_neither_name_refuses_the_key(field: str) -> None:
    result = {name: value for name, value in CAMEL.items() if name != field}
    with pytest.raises(PermissionsUnreadable, match=field):
        parse_kraken(answer(**result))
    with pytest.raises(PermissionsUnreadable, match=field):
        parse_kraken(answer(**{**CAMEL, field: None}))


@pytest.mark.parametrize("missing", ["query-closed-trades", "query-ledger"])
def test_a_key_without_a_right_the_sync_uses_is_refused_as_missing_a_permission(missing: str) -> None:
    facts = parse_kraken(answer(**{**CAMEL, "permissions": [p for p in READS if p != missing]}))
    assert facts.can_read is False
    result = judge(get_profile("kraken"), facts, allow_trading=False)
    assert not result.ok and result.diagnosis is not None
    assert result.diagnosis.code is DiagnosisCode.MISSING_PERMISSION
    # The fix names both rights, as Kraken's key settings do.
    fixes = " ".join(render(fix) for fix in result.diagnosis.fixes)
    assert "Query Ledger Entries" in fixes and "Query Closed Orders & Trades" in fixes


@pytest.mark.parametrize("right", ["add-withdraw-address", "update-withdraw-address", "withdraw-funds"])
def test_withdrawal_address_rights_are_withdrawal_rights(right: str) -> None:
    facts = parse_kraken(answer(**{**CAMEL, "permissions": [*READS, right]}))
    assert facts.can_withdraw and facts.unknown_permissions == ()
    result = judge(get_profile("kraken"), facts, allow_trading=True)
    assert not result.ok and result.diagnosis is not None
    assert result.diagnosis.code is DiagnosisCode.TOO_MANY_PERMISSIONS


def test_earn_and_export_are_known_earn_as_a_trading_right() -> None:
    facts = parse_kraken(answer(**{**CAMEL, "permissions": [*READS, "earn-funds", "export-data"]}))
    assert (facts.can_trade, facts.can_withdraw, facts.unknown_permissions) == (True, False, ())
    assert parse_kraken(answer(**{**CAMEL, "permissions": [*READS, "export-data"]})).can_trade is False


def test_an_unknown_right_named_for_withdrawing_is_refused_even_when_trading_is_allowed() -> None:
    facts = parse_kraken(answer(**{**CAMEL, "permissions": [*READS, "withdraw-crypto"]}))
    assert facts.unknown_permissions == ("withdraw-crypto",) and facts.can_withdraw is False
    result = judge(get_profile("kraken"), facts, allow_trading=True)
    assert not result.ok and result.can_withdraw
    assert result.diagnosis is not None and result.diagnosis.code is DiagnosisCode.TOO_MANY_PERMISSIONS
    # Any exchange's unknown name: "Withdraw" in another case is still withdrawing; other unknown names stay
    # trading rights, accepted with a warning when trading is allowed.
    okx = get_profile("okx")
    odd = KeyFacts(can_read=True, can_trade=False, can_withdraw=False, unknown_permissions=("SubWithdraw",))
    assert not judge(okx, odd, allow_trading=True).ok
    other = KeyFacts(can_read=True, can_trade=False, can_withdraw=False, unknown_permissions=("futures",))
    accepted = judge(okx, other, allow_trading=True)
    assert accepted.ok and accepted.can_trade and not accepted.can_withdraw
