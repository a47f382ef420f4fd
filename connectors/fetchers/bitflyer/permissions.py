"""What a bitFlyer key may do, from GET /v1/me/getpermissions: the list of private paths the key may call."""

from __future__ import annotations

from typing import Any

from connectors.key_permissions import KeyFacts, PermissionsUnreadable

# The lists a sync reads (docs/exchange-apis/bitflyer.md): a key missing one of them cannot sync everything.
READ_PATHS = frozenset(
    {"/v1/me/getexecutions", "/v1/me/getcoinins", "/v1/me/getcoinouts", "/v1/me/getdeposits", "/v1/me/getwithdrawals"}
)
# "Trade" on the key settings page: orders in and out. Withdrawing: sending JPY to a bank account.
TRADE_PATHS = frozenset(
    {
        "/v1/me/sendchildorder",
        "/v1/me/cancelchildorder",
        "/v1/me/sendparentorder",
        "/v1/me/cancelparentorder",
        "/v1/me/cancelallchildorders",
    }
)
WITHDRAW_PATHS = frozenset({"/v1/me/withdraw"})


def parse_bitflyer(payload: Any) -> KeyFacts:
    """The documented answer is a JSON array of path strings ("Get API Key Permissions")."""
    if not isinstance(payload, list) or not all(isinstance(path, str) for path in payload):
        raise PermissionsUnreadable("the permission list is not a list of paths")
    paths = set(payload)
    return KeyFacts(
        can_read=paths >= READ_PATHS,
        can_trade=bool(paths & TRADE_PATHS),
        can_withdraw=bool(paths & WITHDRAW_PATHS),
    )
