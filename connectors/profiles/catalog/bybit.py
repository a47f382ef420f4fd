"""Bybit (API v5, unified trading account and classic account)."""

from __future__ import annotations

from connectors.profiles.catalog import common as c
from connectors.profiles.model import (
    CredentialField,
    Endpoint,
    EndpointSpec,
    ExchangeProfile,
    GeneratedKey,
    KeyType,
    Paging,
    PermissionCheck,
)
from connectors.profiles.private_keys import PrivateKeyKind

NAME = "Bybit"
_TWO_YEARS = 730 * c.DAY

KEY = KeyType(
    id="normal",
    label="API key you created",
    fields=(
        c.api_key(min_length=10, max_length=64, hint="letters and digits"),
        CredentialField(
            "secret",
            "Secret key",
            20,
            128,
            True,
            c.ALNUM,
            "letters and digits (System-generated key), or the private key of your own RSA key (Self-generated), "
            "from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----",
            private_keys=(PrivateKeyKind.RSA,),
        ),
    ),
    description="A key you made on Bybit: System-generated (HMAC: API key and secret), or Self-generated with your "
    "own RSA key (API key and your private key).",
)

# Bybit's self-generated API keys are RSA key pairs: the user gives Bybit only the public key (v5 docs, "Select Your
# API Key Type"; help center "How to Create an RSA Key on Bybit"). So Tallybot can make the pair and keep the private
# key to itself.
GENERATED_KEY = KeyType(
    id="tallybot_rsa",
    label="RSA key made by Tallybot",
    fields=(c.api_key(min_length=10, max_length=64, hint="letters and digits"),),
    description="Tallybot makes an RSA key pair and keeps the private key encrypted; you register the public key on "
    "Bybit (Self-generated API Keys) and send back only the API key.",
    generated=GeneratedKey(
        "secret",
        PrivateKeyKind.RSA,
        steps=(
            "Log in to Bybit, open your profile menu and choose API.",
            "Choose Create New Key, then Self-generated API Keys.",
            "Paste the public key below into the Your Public Key box and give the key a name such as Tallybot.",
            "Set the permissions to Read-Only and leave every trade, transfer and withdrawal box unticked; for IP "
            "access choose No IP restriction. Submit and confirm with your 2FA code.",
            "Copy the API key Bybit shows and paste it into this chat.",
        ),
    ),
)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        window=7 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.CURSOR,
        api_path="GET /v5/execution/list?category=spot",
        notes="Cursor paging (nextPageCursor), at most 7 days per request, about 2 years back "
        "(Bybit titles the endpoint 'Get Execution (2 years)'). No market needed.",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=50,
        window=30 * c.DAY,
        paging=Paging.CURSOR,
        api_path="GET /v5/asset/deposit/query-record + GET /v5/asset/deposit/query-internal-record",
        notes="On-chain deposits, then internal (off-chain) ones from other Bybit users, a separate list: each at "
        "most 30 days per request, max 50 rows, cursor paging. Bybit does not document how far back they reach.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=50,
        window=30 * c.DAY,
        paging=Paging.CURSOR,
        api_path="GET /v5/asset/withdraw/query-record",
        notes="At most 30 days per request, max 50 rows, cursor paging, on-chain and off-chain (withdrawType 2). "
        "Bybit does not document how far back it reaches; only the main account's key can read it.",
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=100,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /v5/asset/exchange/query-convert-history",
        notes="Page number (index), up to 100 rows, newest first. Lists converts made through the API, and converts "
        "made on Bybit's website or app only from 10 September 2025 on.",
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=False,
        page_size=50,
        window=7 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.CURSOR,
        api_path="GET /v5/account/transaction-log",
        notes="Unified account transaction log: max 50 rows, 7-day windows, cursor paging. Carries interest, "
        "bonuses and fees that are not in the other lists.",
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=False,
        page_size=50,
        window=7 * c.DAY,
        paging=Paging.CURSOR,
        api_path="GET /v5/asset/transfer/query-inter-transfer-list",
        notes="Transfers between your own Bybit accounts; 7-day windows, max 50 rows.",
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=False,
        page_size=100,
        window=7 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.CURSOR,
        api_path="GET /v5/execution/list?category=linear|inverse",
        notes="Same limits as spot executions, one category per request.",
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=False,
        page_size=100,
        window=7 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.CURSOR,
        api_path="GET /v5/execution/list?execType=Funding",
        notes="Funding payments are executions of type Funding.",
    ),
)

PROFILE = ExchangeProfile(
    id="bybit",
    name=NAME,
    ccxt_id="bybit",
    key_types=(KEY, GENERATED_KEY),
    endpoints=ENDPOINTS,
    api_management_url="https://www.bybit.com/app/user/api-management",
    docs_url="https://bybit-exchange.github.io/docs/v5/intro",
    alerts=(
        "Bybit's API only reaches about 2 years back. For older trades, download your history from Bybit "
        "and add it by file upload.",
        "Bybit's API lists converts made on its website or app only from 10 September 2025 on. Add older converts "
        "by file upload.",
        "Bybit keys without an IP restriction expire after about 3 months. Tallybot will tell you when the "
        "key is about to expire so you can create a new one.",
    ),
    integration_steps=(
        "Recommended: let Tallybot make the key. Press “Let Tallybot make the key” below: Tallybot makes an RSA "
        "key pair (Bybit's Self-generated API key), keeps the private key encrypted and shows you only the public "
        "key, which you paste on Bybit. No secret is ever sent in this chat.",
        "Or make a key yourself: log in to Bybit, open your profile menu and choose API.",
        "Choose Create New Key, then System-generated API Keys (or Self-generated with your own RSA key).",
        "Pick API Transaction and give the key a name such as Tallybot.",
        "Set the permissions to Read-Only and leave every trade, transfer and withdrawal box unticked.",
        "For IP access choose No IP restriction.",
        "Confirm with your 2FA code, then copy the API key and the secret into this chat when asked.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "Create the key on your main account. A sub-account key only sees that sub-account.",
        "This profile is for bybit.com. Bybit EU and other regional sites use different addresses.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.expired_tip(NAME, "Bybit keys without an IP restriction expire after about 3 months."),
        c.missing_permission_tip(NAME, "Read-Only"),
        c.too_many_permissions_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, "Bybit's API reaches about 2 years back."),
        c.fewer_transactions_tip("Switch on the account ledger to get interest, bonuses and fees."),
    ),
    permission_check=PermissionCheck(
        "privateGetV5UserQueryApi",
        ("readOnly", "permissions"),
        "Tallybot checks on Bybit that the key is read-only.",
    ),
    ip_restriction_check=PermissionCheck(
        "privateGetV5UserQueryApi", ("ips",), "Tallybot checks whether the key is limited to IPs."
    ),
    reports_expiry=True,
    popularity=95,
)
