"""BigONE (spot API v3)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "BigONE"

KEY = KeyType(
    id="normal",
    label=Text.of("profile.bigone.key.label"),
    fields=(
        c.api_key(
            min_length=16, max_length=128, pattern=r"[A-Za-z0-9-]+", hint=Text.of("profile.bigone.key.api_key.hint")
        ),
        c.secret(
            min_length=16, max_length=256, pattern=r"[A-Za-z0-9-]+", hint=Text.of("profile.bigone.key.secret.hint")
        ),
    ),
    description=Text.of("profile.bigone.key.description"),
)

# Rules and sources: docs/exchange-apis/bigone.md (BigONE's pages "Deposit", "Withdrawal", "General Information",
# "API Key Setup" for the scopes; the trade list's sizes from ccxt, BigONE's own page for it was not found).
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=200,
        per_market=True,
        paging=Paging.CURSOR,
        api_path="GET /api/v3/viewer/trades",
        notes=Text.of("profile.bigone.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=50,
        paging=Paging.CURSOR,
        api_path="GET /api/v3/viewer/deposits",
        notes=Text.of("profile.bigone.endpoint.deposits.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=50,
        paging=Paging.CURSOR,
        api_path="GET /api/v3/viewer/withdrawals",
        notes=Text.of("profile.bigone.endpoint.withdrawals.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="bigone",
    name=NAME,
    ccxt_id="bigone",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    # BigONE's exact API-key page address is not verified ("API Key Setup" says only "Navigate to API Settings"); the
    # steps say where to go from the home page.
    api_management_url="https://big.one",
    docs_url="https://open.big.one/docs/api.html",
    alerts=(
        Text.of("profile.bigone.alert_1"),
        Text.of("profile.bigone.alerts.view_scopes"),
        Text.of("profile.bigone.alert_3"),
    ),
    integration_steps=(
        Text.of("profile.bigone.steps.open_settings"),
        Text.of("profile.bigone.steps.create_key"),
        Text.of("profile.bigone.steps.view_scopes"),
        Text.of("profile.bigone.step_4"),
        Text.of("profile.bigone.step_5"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.expired_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.bigone.tip.missing_permission.scopes")),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(Text.of("profile.bigone.tip.fewer_transactions.extra")),
    ),
    permission_check=PermissionCheck(
        None,
        (),
        Text.of("profile.bigone.permission_check.note"),
    ),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=40,
    aliases=("big one", "big.one"),
)
