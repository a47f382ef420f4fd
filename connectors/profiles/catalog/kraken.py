"""Kraken (spot REST API; Kraken Futures is a separate ccxt exchange, `krakenfutures`)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import (
    Endpoint,
    EndpointSpec,
    ExchangeProfile,
    KeyType,
    Paging,
    PermissionCheck,
    Tip,
    TipCode,
)
from i18n import Text

NAME = "Kraken"
_BASE64 = r"[A-Za-z0-9+/=]+"

KEY = KeyType(
    id="normal",
    label=Text.of("profile.kraken.key.label"),
    fields=(
        c.api_key(min_length=40, max_length=80, pattern=_BASE64, hint=Text.of("profile.kraken.key.api_key.hint")),
        c.secret(
            min_length=80,
            max_length=100,
            pattern=_BASE64,
            hint=Text.of("profile.kraken.key.secret.hint"),
            label=Text.of("profile.kraken.key.secret.label"),
        ),
    ),
    description=Text.of("profile.kraken.key.description"),
)

# Rules and their sources: docs/exchange-apis/kraken.md. Both lists hold every market and asset at once, 50 records a
# request, newest first, paged with `ofs` inside a start/end window; Kraken documents no limit on how far back.
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=50,
        paging=Paging.OFFSET,
        api_path="POST /0/private/TradesHistory",
        notes=Text.of("profile.kraken.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=True,
        page_size=50,
        paging=Paging.OFFSET,
        api_path="POST /0/private/Ledgers",
        notes=Text.of("profile.kraken.endpoint.ledger.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="kraken",
    name=NAME,
    ccxt_id="kraken",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://pro.kraken.com/app/settings/api",
    docs_url="https://docs.kraken.com/api/",
    alerts=(
        Text.of("profile.kraken.alert_1"),
        Text.of("profile.kraken.alert_2"),
    ),
    integration_steps=(
        Text.of("profile.kraken.step_1"),
        Text.of("profile.kraken.step_2"),
        # What Tallybot calls needs these two (docs/exchange-apis/kraken.md); GetApiKeyInfo needs none.
        Text.of("profile.kraken.step_3"),
        Text.of("profile.kraken.step_4"),
        Text.of("profile.kraken.step_5"),
        Text.of("profile.kraken.step_6"),
        c.secret_once(NAME, Text.of("profile.kraken.secret_once.what")),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        Text.of("profile.kraken.note_2"),
        Text.of("profile.kraken.note_3"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME, Text.of("profile.kraken.tip.invalid_key.extra")),
        c.ip_tip(NAME),
        # Kraken answers "EGeneral:Permission denied" both for a missing permission and, as far as the emulator
        # knows (unsourced, docs/exchange-apis/kraken.md), for a call from outside the key's IP allow-list.
        Tip(
            TipCode.MISSING_PERMISSION,
            Text.of("profile.kraken.tip.missing_permission.problem"),
            (
                Text.of("profile.kraken.tip.missing_permission.fix_1"),
                Text.of("profile.kraken.tip.missing_permission.fix_2"),
                Text.of("profile.kraken.tip.missing_permission.fix_3"),
            ),
        ),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME, Text.of("profile.kraken.tip.key_expired.extra")),
        Tip(
            TipCode.CLOCK_SKEW,
            Text.of("profile.kraken.tip.clock_skew.problem"),
            (
                Text.of("profile.kraken.tip.clock_skew.fix_1"),
                Text.of("profile.kraken.tip.clock_skew.fix_2"),
            ),
        ),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        "privatePostGetApiKeyInfo",
        (),
        Text.of("profile.kraken.permission_check.note"),
    ),
    ip_restriction_check=PermissionCheck(
        "privatePostGetApiKeyInfo", (), Text.of("profile.kraken.ip_restriction_check.note")
    ),
    reports_expiry=True,  # GetApiKeyInfo gives `valid_until` (docs/exchange-apis/kraken.md)
    popularity=80,
    aliases=("kraken pro",),
)
