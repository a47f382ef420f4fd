"""Binance (binance.com, spot wallet API `api/v3` and `sapi`)."""

from __future__ import annotations

from datetime import date

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
from i18n import Text

NAME = "Binance"

# Binance opened in July 2017; nothing can be older.
_OPENED = date(2017, 7, 14)
# The dust log "Only return records after 2020/12/01" (developers.binance.com/docs/wallet/asset/dust-log).
_DUST_LOG_START = date(2020, 12, 1)

_SYSTEM_GENERATED_SHAPE = r"[A-Za-z0-9]{64}"

KEY = KeyType(
    id="normal",
    label=Text.of("profile.binance.key.label"),
    fields=(
        c.api_key(
            min_length=64,
            max_length=64,
            pattern=r"[A-Za-z0-9]{64}",
            hint=Text.of("profile.binance.key.api_key.hint"),
        ),
        CredentialField(
            "secret",
            Text.of("profile.binance.key.field.label"),
            64,
            64,
            True,
            _SYSTEM_GENERATED_SHAPE,
            Text.of("profile.binance.key.field.hint"),
            private_keys=(PrivateKeyKind.ED25519, PrivateKeyKind.RSA),
        ),
    ),
    description=Text.of("profile.binance.key.description"),
)

# Binance recommends Ed25519 keys ("API Key Types" FAQ); the key pair is made by the user, so Tallybot can make it
# and keep the private key to itself: the user only registers the public key and sends back the API key.
GENERATED_KEY = KeyType(
    id="tallybot_ed25519",
    label=Text.of("profile.binance.generated_key.label"),
    fields=(
        c.api_key(
            min_length=64,
            max_length=64,
            pattern=r"[A-Za-z0-9]{64}",
            hint=Text.of("profile.binance.generated_key.api_key.hint"),
        ),
    ),
    description=Text.of("profile.binance.generated_key.description"),
    generated=GeneratedKey(
        "secret",
        PrivateKeyKind.ED25519,
        steps=(
            Text.of("profile.binance.generated_key.step_1"),
            Text.of("profile.binance.generated_key.step_2"),
            Text.of("profile.binance.generated_key.step_3"),
            Text.of("profile.binance.generated_key.step_4"),
            Text.of("profile.binance.generated_key.step_5"),
        ),
    ),
)

ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=1000,
        window=c.DAY,
        earliest=_OPENED,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /api/v3/myTrades",
        notes=Text.of("profile.binance.endpoints.n1.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        earliest=_OPENED,
        paging=Paging.OFFSET,
        api_path="GET /sapi/v1/capital/deposit/hisrec",
        notes=Text.of("profile.binance.endpoints.n2.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=1000,
        window=90 * c.DAY,
        earliest=_OPENED,
        paging=Paging.OFFSET,
        api_path="GET /sapi/v1/capital/withdraw/history",
        notes=Text.of("profile.binance.endpoints.n3.notes"),
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=1000,
        window=30 * c.DAY,
        # Then Auto-Invest purchases (connectors/fetchers/binance/auto_invest.py).
        api_path="GET /sapi/v1/convert/tradeFlow, GET /sapi/v1/lending/auto-invest/history/list",
        notes=Text.of("profile.binance.endpoints.n4.notes"),
    ),
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,
        page_size=500,
        window=180 * c.DAY,
        # Then Simple Earn's lists, ETH staking's and spot rebates (simple_earn.py, eth_staking.py, rebates.py).
        api_path="GET /sapi/v1/asset/assetDividend, GET /sapi/v1/eth-staking/*/history/*, GET /sapi/v1/rebate/taxQuery",
        notes=Text.of("profile.binance.endpoints.n5.notes"),
    ),
    EndpointSpec(
        Endpoint.DUST,
        default_enabled=True,
        page_size=100,
        earliest=_DUST_LOG_START,
        api_path="GET /sapi/v1/asset/dribblet",
        notes=Text.of("profile.binance.endpoints.dust.notes"),
    ),
    EndpointSpec(
        Endpoint.P2P,
        default_enabled=True,
        page_size=100,
        window=30 * c.DAY,
        lookback=180 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /sapi/v1/c2c/orderMatch/listUserOrderHistory",
        notes=Text.of("profile.binance.endpoints.p2p.notes"),
    ),
    EndpointSpec(
        Endpoint.PAY,
        default_enabled=True,
        page_size=100,
        window=90 * c.DAY,
        lookback=540 * c.DAY,
        api_path="GET /sapi/v1/pay/transactions",
        notes=Text.of("profile.binance.endpoints.pay.notes"),
    ),
    EndpointSpec(
        Endpoint.FIAT,
        default_enabled=True,
        page_size=500,
        earliest=_OPENED,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /sapi/v1/fiat/orders, GET /sapi/v1/fiat/payments",
        notes=Text.of("profile.binance.endpoints.fiat.notes"),
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        # On (issue 15): one request per direction a sync (connectors/fetchers/binance/transfers.py).
        default_enabled=True,
        page_size=100,
        window=180 * c.DAY,
        lookback=180 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /sapi/v1/asset/transfer",
        notes=Text.of("profile.binance.endpoints.n6.notes"),
    ),
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        # On: a key that cannot read futures skips it saying why (connectors/fetchers/binance/futures.py).
        default_enabled=True,
        page_size=1000,
        window=7 * c.DAY,
        lookback=180 * c.DAY,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /fapi/v1/userTrades, GET /dapi/v1/userTrades",
        notes=Text.of("profile.binance.endpoints.n7.notes"),
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=True,
        page_size=1000,
        window=200 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /fapi/v1/income, GET /dapi/v1/income",
        notes=Text.of("profile.binance.endpoints.n8.notes"),
    ),
    EndpointSpec(
        Endpoint.MARGIN_TRADES,
        # On: an account without a margin account skips it saying why (connectors/fetchers/binance/margin.py).
        default_enabled=True,
        page_size=1000,
        window=c.DAY,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /sapi/v1/margin/myTrades",
        notes=Text.of("profile.binance.endpoints.margin_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.MARGIN_LOANS,
        default_enabled=True,
        page_size=100,
        window=7 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /sapi/v1/margin/borrow-repay, GET /sapi/v1/margin/interestHistory",
        notes=Text.of("profile.binance.endpoints.margin_loans.notes"),
    ),
    EndpointSpec(
        Endpoint.CRYPTO_LOANS,
        # On by default: one request a list a sync, and the open loans (connectors/fetchers/binance/loans.py).
        default_enabled=True,
        page_size=100,
        window=180 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /sapi/v2/loan/flexible/{borrow,repay,liquidation}/history, .../ltv/adjustment/history",
        notes=Text.of("profile.binance.endpoints.crypto_loans.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="binance",
    name=NAME,
    ccxt_id="binance",
    key_types=(KEY, GENERATED_KEY),
    endpoints=ENDPOINTS,
    api_management_url="https://www.binance.com/en/my/settings/api-management",
    docs_url="https://developers.binance.com/docs",
    alerts=(
        Text.of("profile.binance.alert_1"),
        Text.of("profile.binance.alert_2"),
    ),
    integration_steps=(
        Text.of("profile.binance.step_1"),
        Text.of("profile.binance.step_2"),
        Text.of("profile.binance.step_3"),
        Text.of("profile.binance.step_4"),
        Text.of("profile.binance.step_5"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        Text.of("profile.binance.note_2"),
        Text.of("profile.binance.note_3"),
        Text.of("profile.binance.note_4"),
    ),
    troubleshooting=(
        c.invalid_key_tip(
            NAME,
            Text.of("profile.binance.tip.invalid_key.extra"),
        ),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.binance.tip.missing_permission.extra")),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.fewer_transactions_tip(Text.of("profile.binance.tip.fewer_transactions.extra")),
    ),
    permission_check=PermissionCheck(
        "sapiGetAccountApiRestrictions",
        (
            "enableReading",
            "enableSpotAndMarginTrading",
            "enableWithdrawals",
            "enableInternalTransfer",
            "enableFutures",
            "enableMargin",
            "permitsUniversalTransfer",
        ),
        Text.of("profile.binance.permission_check.permission_note"),
    ),
    ip_restriction_check=PermissionCheck(
        "sapiGetAccountApiRestrictions",
        ("ipRestrict",),
        Text.of("profile.binance.ip_restriction_check.permission_note"),
    ),
    reports_expiry=False,
    popularity=100,
    aliases=("binance.com", "binance global"),
)
