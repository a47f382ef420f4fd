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
from i18n import Text, msgid

NAME = "Bitget"
_TWO_YEARS = 730 * c.DAY
# Crypto loan lists: "only supports querying the data of the past three months" (earn/loan pages): three months are
# 89 days at their shortest, so no request asks past the reach.
_LOAN_REACH = 89 * c.DAY
_KEY_SHAPE = r"[A-Za-z0-9_]+"  # normal keys start with "bg_"

NORMAL = KeyType(
    id="normal",
    label=Text.of("profile.bitget.normal.label"),
    fields=(
        c.api_key(min_length=16, max_length=64, pattern=_KEY_SHAPE, hint=Text.of("profile.bitget.normal.api_key.hint")),
        c.secret(min_length=32, max_length=128, hint=Text.of("profile.bitget.normal.secret.hint")),
        c.passphrase(),
    ),
    description=Text.of("profile.bitget.normal.description"),
)

TAX = KeyType(
    id="tax",
    label=Text.of("profile.bitget.tax.label"),
    fields=(
        c.api_key(min_length=16, max_length=64, pattern=_KEY_SHAPE, hint=Text.of("profile.bitget.tax.api_key.hint")),
        c.secret(min_length=32, max_length=128, hint=Text.of("profile.bitget.tax.secret.hint")),
    ),
    description=Text.of("profile.bitget.tax.description"),
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
        notes=Text.of("profile.bitget.endpoints.n1.notes"),
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
        notes=Text.of("profile.bitget.endpoints.n2.notes"),
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
        notes=Text.of("profile.bitget.endpoints.n3.notes"),
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
        notes=Text.of("profile.bitget.endpoints.n4.notes"),
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        # On by default (issue 15): transfers between the account's own wallets are history. Only spot and p2p
        # are asked for every coin; another account only once a transfer of the coin went there (wallet.py).
        default_enabled=True,
        page_size=500,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/spot/account/transferRecords, GET /api/v2/spot/account/sub-main-trans-record",
        key_types=_NORMAL,
        notes=Text.of("profile.bitget.endpoints.n5.notes"),
    ),
    # Not offered: the spot account bills (GET /api/v2/spot/account/bills). They repeat what the lists here store
    # (trades, deposits, converts, transfers) line by line with no id linking the legs, and miss what happens in the
    # funding, earn and bot accounts: the lists each kind has are read instead (docs/exchange-apis/bitget.md).
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        # On by default: 2 lists (flexible, fixed) a 90-day window, 18 requests on a first sync, 2 on a re-sync.
        default_enabled=True,
        page_size=100,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/earn/savings/records",
        key_types=_NORMAL,
        notes=Text.of("profile.bitget.endpoints.earn.notes"),
    ),
    EndpointSpec(
        Endpoint.DUST,
        # On by default: a request a 90-day window, 9 on a first sync over two years, 1 on a re-sync.
        default_enabled=True,
        page_size=100,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/convert/bgb-convert-records",
        key_types=_NORMAL,
        notes=Text.of("profile.bitget.endpoints.dust.notes"),
    ),
    # Futures and margin are on by default: their cost is a few dozen requests, and an account that emptied its
    # futures or margin wallet shows no sign of them that a cheaper read could see (docs/exchange-apis/bitget.md).
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=True,
        page_size=100,
        window=7 * c.DAY,
        lookback=90 * c.DAY,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/mix/order/fill-history, GET /api/v2/mix/account/bill",
        key_types=_NORMAL,
        notes=Text.of("profile.bitget.endpoints.n7.notes"),
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=True,
        page_size=100,
        window=30 * c.DAY,
        lookback=90 * c.DAY,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/mix/account/bill",
        key_types=_NORMAL,
        notes=Text.of("profile.bitget.endpoints.n10.notes"),
    ),
    EndpointSpec(
        Endpoint.MARGIN_TRADES,
        default_enabled=True,
        page_size=500,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/margin/crossed/fills, GET /api/v2/margin/isolated/fills",
        key_types=_NORMAL,
        notes=Text.of("profile.bitget.endpoints.n11.notes"),
    ),
    EndpointSpec(
        Endpoint.MARGIN_LOANS,
        default_enabled=True,
        page_size=500,
        window=90 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/margin/{crossed,isolated}/{borrow,repay,interest}-history",
        key_types=_NORMAL,
        notes=Text.of("profile.bitget.endpoints.n12.notes"),
    ),
    EndpointSpec(
        Endpoint.CRYPTO_LOANS,
        # On by default: one request a list a sync (four lists, their reach of three months fits one range).
        default_enabled=True,
        page_size=100,
        window=_LOAN_REACH,
        lookback=_LOAN_REACH,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v2/earn/loan/{borrow,repay,revise}-history, GET /api/v2/earn/loan/reduces",
        key_types=_NORMAL,
        notes=Text.of("profile.bitget.endpoints.loans.notes"),
    ),
    EndpointSpec(
        Endpoint.LEDGER,
        label_id=msgid("profile.bitget.tax_spot.label"),
        phrase_id=msgid("profile.bitget.tax_spot.phrase"),
        default_enabled=True,
        page_size=500,
        window=30 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/tax/spot-record",
        key_types=_TAX,
        notes=Text.of("profile.bitget.endpoints.n8.notes"),
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        label_id=msgid("profile.bitget.tax_futures.label"),
        phrase_id=msgid("profile.bitget.tax_futures.phrase"),
        default_enabled=False,
        page_size=500,
        window=30 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.FROM_ID,
        api_path="GET /api/v2/tax/future-record",
        key_types=_TAX,
        notes=Text.of("profile.bitget.endpoints.n9.notes"),
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
        Text.of("profile.bitget.alert_1"),
        Text.of("profile.bitget.alert_2"),
        Text.of("profile.bitget.alert_3"),
    ),
    integration_steps=(
        Text.of("profile.bitget.step_1"),
        Text.of("profile.bitget.step_2"),
        Text.of("profile.bitget.step_3"),
        Text.of("profile.bitget.step_4"),
        Text.of("profile.bitget.step_5"),
        Text.of("profile.bitget.step_6"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.bitget.note_3"),
        Text.of("profile.bitget.note_4"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        Tip(
            TipCode.WRONG_KEY_TYPE,
            Text.of("profile.bitget.tip.wrong_key_type.problem"),
            (
                Text.of("profile.bitget.tip.wrong_key_type.fix_1"),
                Text.of("profile.bitget.tip.wrong_key_type.fix_2"),
                Text.of("profile.bitget.tip.wrong_key_type.fix_3"),
            ),
        ),
        c.wrong_passphrase_tip(NAME),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.bitget.tip.missing_permission.extra")),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, Text.of("profile.bitget.tip.missing_history.extra")),
        c.fewer_transactions_tip(Text.of("profile.bitget.tip.fewer_transactions.extra")),
    ),
    permission_check=PermissionCheck(
        "privateSpotGetV2SpotAccountInfo",
        ("authorities",),
        Text.of("profile.bitget.permission_check.permission_note"),
    ),
    ip_restriction_check=PermissionCheck(
        "privateSpotGetV2SpotAccountInfo", ("ips",), Text.of("profile.bitget.ip_restriction_check.permission_note")
    ),
    reports_expiry=False,
    popularity=85,
)
