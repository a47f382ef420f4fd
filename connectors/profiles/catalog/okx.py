"""OKX (API v5)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text, msgid

NAME = "OKX"
# Rules and their sources: docs/exchange-apis/okx.md.
_THREE_MONTHS = 90 * c.DAY  # Get_Bills_Details_Last_3_Months.md
# Get_Transaction_Details_Last_1_Year.md: "the last 1 year since July 1, 2024". A later edition of the page says 3
# months; the fetcher asks for the year and says so when it met nothing older than 3 months (fetchers/okx/reach.py).
_ONE_YEAR = 365 * c.DAY

KEY = KeyType(
    id="normal",
    label=Text.of("profile.common.api_key.default"),
    fields=(
        c.api_key(min_length=36, max_length=36, pattern=c.UUID, hint=Text.of("profile.okx.key.api_key.hint")),
        c.secret(min_length=16, max_length=64, pattern=r"[0-9A-Fa-f]+", hint=Text.of("profile.okx.key.secret.hint")),
        c.passphrase(),
    ),
    description=Text.of("profile.okx.key.description"),
)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        lookback=_ONE_YEAR,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/trade/fills-history?instType=SPOT",
        notes=Text.of("profile.okx.endpoints.n1.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/deposit-history",
        notes=Text.of("profile.okx.endpoints.n2.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/withdrawal-history",
        notes=Text.of("profile.okx.endpoints.n3.notes"),
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/convert/history",
        notes=Text.of("profile.okx.endpoints.n4.notes"),
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=False,
        page_size=100,
        lookback=_THREE_MONTHS,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/account/bills-archive",
        notes=Text.of("profile.okx.endpoints.n5.notes"),
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        # On: money sent to or received from a sub-account leaves or enters this account (rows.py), so without
        # these bills the balances cannot be explained. It walks the same bills-history list as the rewards.
        default_enabled=True,
        # Named for what it reads: every balance-moving funding bill (transfers, fiat orders, conversions, loans,
        # gifts, commissions, rebates: fetchers/okx/bill_kinds.py), not only the transfers between own accounts.
        label_id=msgid("profile.okx.endpoint.funding_bills.label"),
        phrase_id=msgid("profile.okx.endpoint.funding_bills.phrase"),
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/bills-history",
        notes=Text.of("profile.okx.endpoints.n6.notes"),
    ),
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,  # income for the user's taxes, as Binance's distributions are
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/asset/bills-history",
        notes=Text.of("profile.okx.endpoints.n7.notes"),
    ),
    # Derivatives and margin (connectors/fetchers/okx/derivatives.py) are on: an account that never used them costs
    # one request per list (nine in all, at 5 to 10 requests per 2 s), so no default may hide them.
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=True,
        page_size=100,
        lookback=_ONE_YEAR,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/trade/fills-history?instType=SWAP|FUTURES|OPTION; GET /api/v5/account/bills-archive",
        notes=Text.of("profile.okx.endpoints.n8.notes"),
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=True,
        page_size=100,
        lookback=_THREE_MONTHS,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/account/bills-archive?type=8",
        notes=Text.of("profile.okx.endpoints.n9.notes"),
    ),
    EndpointSpec(
        Endpoint.MARGIN_TRADES,
        default_enabled=True,
        page_size=100,
        lookback=_ONE_YEAR,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/trade/fills-history?instType=MARGIN",
        notes=Text.of("profile.okx.endpoints.n10.notes"),
    ),
    EndpointSpec(
        Endpoint.MARGIN_LOANS,
        default_enabled=True,
        page_size=100,
        lookback=_THREE_MONTHS,
        paging=Paging.CURSOR,
        api_path="GET /api/v5/account/bills-archive?type=7; GET /api/v5/account/spot-borrow-repay-history",
        notes=Text.of("profile.okx.endpoints.n11.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="okx",
    name=NAME,
    ccxt_id="okx",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://www.okx.com/account/my-api",
    docs_url="https://www.okx.com/docs-v5/en/",
    alerts=(
        Text.of("profile.okx.alert_1"),
        Text.of("profile.okx.alert_2"),
    ),
    integration_steps=(
        Text.of("profile.okx.step_1"),
        Text.of("profile.okx.step_2"),
        Text.of("profile.okx.step_3"),
        Text.of("profile.okx.step_4"),
        Text.of("profile.okx.step_5"),
        Text.of("profile.okx.step_6"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.okx.note_3"),
        Text.of("profile.okx.note_4"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME, Text.of("profile.okx.tip.invalid_key.extra")),
        c.wrong_passphrase_tip(NAME),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.okx.tip.missing_permission.extra")),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, Text.of("profile.okx.tip.missing_history.extra")),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        "privateGetAccountConfig", ("perm",), Text.of("profile.okx.permission_check.permission_note")
    ),
    ip_restriction_check=PermissionCheck(
        "privateGetAccountConfig", ("ip",), Text.of("profile.okx.ip_restriction_check.permission_note")
    ),
    reports_expiry=False,
    popularity=90,
    aliases=("okex", "okx.com", "okex.com"),
)
