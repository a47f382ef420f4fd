"""BigONE (spot API v3)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import t

NAME = "BigONE"

KEY = KeyType(
    id="normal",
    label="API key",
    fields=(
        c.api_key(min_length=16, max_length=128, pattern=r"[A-Za-z0-9-]+", hint="letters, digits and dashes"),
        c.secret(min_length=16, max_length=256, pattern=r"[A-Za-z0-9-]+", hint="letters, digits and dashes"),
    ),
    description="A BigONE API key and its secret.",
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
        notes="One asset pair per request (asset_pair_name is required), limit up to 200 (ccxt), newest first, "
        "paged with page_token; no time range. How far back it reaches is not stated.",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=50,
        paging=Paging.CURSOR,
        api_path="GET /api/v3/viewer/deposits",
        notes="Limit default 50 (the maximum is not stated), newest first, paged with page_token; no time range. "
        "How far back it reaches is not stated.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=50,
        paging=Paging.CURSOR,
        api_path="GET /api/v3/viewer/withdrawals",
        notes="As deposits.",
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
        "BigONE returns trades one market at a time, so markets you traded and emptied may be missed: add "
        "those trades by file upload.",
        t("profile.bigone.alerts.view_scopes"),
        "Contracts (futures) are not included.",
    ),
    integration_steps=(
        t("profile.bigone.steps.open_settings"),
        t("profile.bigone.steps.create_key"),
        t("profile.bigone.steps.view_scopes"),
        "Leave any IP restriction off.",
        "Copy the API key and the secret into this chat when asked.",
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
        c.missing_permission_tip(NAME, t("profile.bigone.tip.missing_permission.scopes")),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip("Trades in markets you no longer hold may not be found."),
    ),
    permission_check=PermissionCheck(
        None,
        (),
        t("profile.bigone.permission_check.note"),
    ),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=40,
    aliases=("big one", "big.one"),
)
