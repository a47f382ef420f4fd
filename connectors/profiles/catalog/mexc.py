"""MEXC (spot API v3)."""

from __future__ import annotations

from datetime import date

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import t

NAME = "MEXC"
# MEXC (then MXC) opened in April 2018: nothing is older (connectors/fetchers/mexc).
_OPENED = date(2018, 4, 1)

KEY = KeyType(
    id="normal",
    label="API key",
    fields=(
        c.api_key(min_length=10, max_length=64, hint="letters and digits, often starting with mx0"),
        c.secret(min_length=20, max_length=128, hint="letters and digits"),
    ),
    description="A MEXC access key and its secret key.",
)

# Every rule below is from MEXC's spot v3 documentation; sources and what is unsourced: docs/exchange-apis/mexc.md.
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        window=30 * c.DAY,
        lookback=30 * c.DAY,
        earliest=_OPENED,
        per_market=True,
        paging=Paging.TIME,
        api_path="GET /api/v3/myTrades",
        notes="One market per request (found from your balances, deposits and withdrawals), at most 100 trades; "
        "only the past month can be queried (Account Trade List). Older trades: MEXC's web export.",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        earliest=_OPENED,
        paging=Paging.TIME,
        api_path="GET /api/v3/capital/deposit/hisrec",
        notes="At most 1000 per request and 90 days per request (Deposit History); no page number, so a full "
        "page is followed from the time of its last row.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        earliest=_OPENED,
        paging=Paging.TIME,
        api_path="GET /api/v3/capital/withdraw/history",
        notes="As deposits (Withdraw History).",
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=True,
        page_size=100,
        window=180 * c.DAY,
        lookback=180 * c.DAY,
        earliest=_OPENED,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v3/capital/transfer",
        notes="Moves between your MEXC spot and futures accounts, one direction per request, at most 100 a page; "
        "only the last six months can be queried (Query User Universal Transfer History).",
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=1000,
        earliest=_OPENED,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v3/capital/convert",
        notes=t("profile.mexc.endpoints.convert.notes"),
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
        "MEXC returns trades one market at a time. Tallybot finds your markets from your balances, deposits and "
        "withdrawals; a coin bought and sold back in full without ever being deposited or withdrawn may be missed.",
        "MEXC has no way to check a key's permissions: make sure you ticked read-only permissions only.",
        "Futures trades are not synced yet; transfers between your MEXC accounts only for the last six months.",
    ),
    integration_steps=(
        "Log in to MEXC, open your profile menu and choose API Management.",
        "Give the key a note such as Tallybot.",
        "Tick only the view permissions: account details, order details and deposit and withdrawal details "
        "(MEXC's API calls them SPOT_ACCOUNT_READ, SPOT_DEAL_READ and SPOT_WITHDRAW_READ). Leave trading, transfer "
        "and withdrawal unticked.",
        "Leave the IP address field empty.",
        "Confirm with your security codes, then copy the access key and secret key into this chat when asked.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "MEXC keys without an IP address expire after 90 days. If syncing stops, create a new key.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.expired_tip(NAME, "Keys without an IP address expire on MEXC after 90 days."),
        c.missing_permission_tip(NAME, "the view permissions (account, order, and deposit and withdrawal details)"),
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
