"""MEXC (spot API v3)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck

NAME = "MEXC"

KEY = KeyType(
    id="normal",
    label="API key",
    fields=(
        c.api_key(min_length=10, max_length=64, hint="letters and digits, often starting with mx0"),
        c.secret(min_length=20, max_length=128, hint="letters and digits"),
    ),
    description="A MEXC access key and its secret key.",
)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        lookback=30 * c.DAY,
        per_market=True,
        paging=Paging.TIME,
        api_path="GET /api/v3/myTrades",
        notes="One market per request, max 100; only about the last month is returned (ccxt: daysBack 30).",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        paging=Paging.TIME,
        api_path="GET /api/v3/capital/deposit/hisrec",
        notes="Max 1000, default range the last 90 days (ccxt). The maximum range and lookback are not "
        "verified; 90 days is used per request.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        paging=Paging.TIME,
        api_path="GET /api/v3/capital/withdraw/history",
        notes="As deposits; not verified beyond ccxt's comments.",
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=False,
        page_size=100,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v3/capital/transfer",
        notes="Transfers between your MEXC accounts. Limits not verified.",
    ),
)

PROFILE = ExchangeProfile(
    id="mexc",
    name=NAME,
    ccxt_id="mexc",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://www.mexc.com/user/openapi",
    docs_url="https://www.mexc.com/api-docs/spot-v3/introduction",
    alerts=(
        "MEXC's API only returns about the last month of trades. Download older trades from MEXC and add "
        "them by file upload.",
        "MEXC returns trades one market at a time, so markets you traded and emptied may be missed.",
        "MEXC has no way to check a key's permissions: make sure you ticked read-only permissions only.",
        "Futures are not included.",
    ),
    integration_steps=(
        "Log in to MEXC, open your profile menu and choose API Management.",
        "Give the key a note such as Tallybot.",
        "Tick only the read-only view permissions (account details and order details). Leave trading, transfer and "
        "withdrawal unticked.",
        "Leave the IP address field empty.",
        "Confirm with your security codes, then copy the access key and secret key into this chat when asked.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "MEXC may let a key without an IP address expire after a while. If syncing stops, create a new key.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.expired_tip(NAME, "Keys without an IP address may expire on MEXC after a set time."),
        c.missing_permission_tip(NAME, "the view permissions"),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, "MEXC's API returns only about the last month of trades."),
        c.fewer_transactions_tip(),
    ),
    permission_check=PermissionCheck(
        None, (), "MEXC has no way to check a key's permissions: make sure you ticked read-only."
    ),
    ip_restriction_check=c.NO_PERMISSION_CHECK_IP,
    reports_expiry=False,
    popularity=68,
    aliases=("mexc global", "mxc"),
)
