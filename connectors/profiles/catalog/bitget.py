"""Bitget (API v2, and v3 for unified accounts): a normal key with a passphrase, or a Tax API key without one.
Every rule here has its source in docs/exchange-apis/bitget.md."""

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

NAME = "Bitget"
_TWO_YEARS = 730 * c.DAY
_KEY_SHAPE = r"[A-Za-z0-9_]+"  # normal keys start with "bg_"

NORMAL = KeyType(
    id="normal",
    label="Normal API key",
    fields=(
        c.api_key(min_length=16, max_length=64, pattern=_KEY_SHAPE, hint="letters, digits and _ (often bg_…)"),
        c.secret(min_length=32, max_length=128, hint="letters and digits"),
        c.passphrase(),
    ),
    description="Created on Bitget's API management page: API key, secret key and the passphrase you chose.",
)

TAX = KeyType(
    id="tax",
    label="Tax API key",
    fields=(
        c.api_key(min_length=16, max_length=64, pattern=_KEY_SHAPE, hint="letters, digits and _"),
        c.secret(min_length=32, max_length=128, hint="letters and digits"),
    ),
    description="Created on Bitget's Tax API page for tax tools: API key and secret key, no passphrase.",
)

_NORMAL = ("normal",)
_TAX = ("tax",)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        window=90 * c.DAY,
        lookback=90 * c.DAY,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/spot/trade/fills",
        key_types=_NORMAL,
        notes="Every market in one list (symbol optional), max 100, paged down with idLessThan; Bitget's docs: "
        "'It only supports to get the data within 90days. The older data can be downloaded from web.' "
        "A Tax API key's records reach further.",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=100,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/spot/wallet/deposit-records",
        key_types=_NORMAL,
        notes="Both ends required, no maximum range documented (asked in 90-day windows), max 100, idLessThan.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=100,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/spot/wallet/withdrawal-records",
        key_types=_NORMAL,
        notes="Both ends required, no maximum range documented (asked in 90-day windows), max 100, idLessThan.",
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=100,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/convert/convert-record",
        key_types=_NORMAL,
        notes="Both ends required, at most 90 days apart, max 100, paged with idLessThan=endId.",
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=False,
        page_size=500,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/spot/account/transferRecords",
        key_types=_NORMAL,
        notes="Transfers between your Bitget accounts: per coin and source account, at most 500 a page, paged "
        "with pageNum (idLessThan is deprecated), ranges of at most 90 days.",
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=False,
        page_size=100,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/spot/account/bills",
        key_types=_NORMAL,
        notes="Spot account bills. Page size and window not verified beyond the 90-day rule of the v2 lists.",
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=False,
        page_size=100,
        window=7 * c.DAY,
        lookback=90 * c.DAY,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/mix/order/fill-history",
        key_types=_NORMAL,
        notes="7-day ranges (ccxt). Bitget answers 'can only check the data of the last three months' (40704) "
        "for older futures data.",
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        label="Spot transaction records (tax)",
        default_enabled=True,
        page_size=500,
        window=30 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/tax/spot-record",
        key_types=_TAX,
        notes="Every spot account movement (deposits, withdrawals, both legs of each trade, interest, "
        "airdrops), max 500, ranges of at most 30 days, paged with idLessThan; 1 request per second. Bitget's "
        "help says 2 years back; some users report older records.",
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        label="Futures transaction records (tax)",
        default_enabled=False,
        page_size=500,
        window=30 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/tax/future-record",
        key_types=_TAX,
        notes="USDT-M, coin-M and USDC-M (productType) each asked; max 500, ranges of at most 30 days, "
        "idLessThan; 1 request per second.",
    ),
)

PROFILE = ExchangeProfile(
    id="bitget",
    name=NAME,
    ccxt_id="bitget",
    key_types=(NORMAL, TAX),
    endpoints=ENDPOINTS,
    api_management_url="https://www.bitget.com/account/newapi",
    docs_url="https://www.bitget.com/api-doc/common/intro",
    alerts=(
        "Bitget's API leaves out strategy (bot) trades completely. Add them by file upload.",
        "With a normal key Bitget's API gives spot trades of the last 90 days only, and other history of the last "
        "2 years; a Tax API key's records reach 2 years for trades too. Add older history by file upload.",
        "Bitget has two kinds of key. A Tax API key needs no passphrase; a normal key does. Pick the kind you created.",
    ),
    integration_steps=(
        "Log in to Bitget, open your profile menu and choose API keys.",
        "For the simplest setup open the Tax API section and create a Tax API key. Otherwise choose Create "
        "API key, then System-generated API key.",
        "Give the key a name such as Tallybot. For a normal key also set a passphrase and write it down.",
        "Choose Read-only permissions. Do not tick trade, transfer or withdraw.",
        "Do not bind an IP address.",
        "Confirm with your security codes, then copy the API key and secret key (and the passphrase for a "
        "normal key) into this chat when asked.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "A Tax API key only opens Bitget's tax records; a normal key opens the regular history lists. "
        "Both bring in trades, deposits and withdrawals.",
        "Strategy, copy-trading and bot trades are not in Bitget's trade lists; the tax records show their "
        "transfers only.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        Tip(
            TipCode.WRONG_KEY_TYPE,
            "Bitget says the key is invalid although it was copied correctly",
            (
                "Check where you created the key: the normal API page or the Tax API page.",
                "A Tax API key goes in with no passphrase; a normal key needs its passphrase.",
                "Start again and pick the key type that matches.",
            ),
        ),
        c.wrong_passphrase_tip(NAME),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, "Read-only"),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, "Bitget's API gives spot trades of the last 90 days and other history of 2 years."),
        c.fewer_transactions_tip("Bitget leaves strategy (bot) trades out of its API: add them by file upload."),
    ),
    permission_check=PermissionCheck(
        "privateSpotGetV2SpotAccountInfo",
        ("authorities",),
        "Tallybot checks on Bitget that the key is read-only. A Tax API key is read-only by design.",
    ),
    ip_restriction_check=PermissionCheck(
        "privateSpotGetV2SpotAccountInfo", ("ips",), "Tallybot checks whether the key is bound to IPs."
    ),
    reports_expiry=False,
    popularity=85,
)
