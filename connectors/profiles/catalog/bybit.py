"""Bybit (API v5, unified trading account and classic account)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
from i18n import Text, msgid

NAME = "Bybit"
_TWO_YEARS = 730 * c.DAY

# The key-info answer's permission group for Earn (`"Earn": ["Earn"]` in docs/v5/user/apikey-info.mdx's example);
# every Earn page says "API key needs \"Earn\" permission" and refuses a key without it (10005).
EARN_SCOPE_WORDS = ("Earn",)
EARN_SCOPE = EARN_SCOPE_WORDS[0]
NO_EARN_KEY = Text.of(msgid("profile.bybit.key.no_earn"))  # `{name}` is filled by the key check, where it is shown


def earn_note(scopes: Mapping[str, Sequence[str]]) -> Text | None:
    """The key check's warning for a key whose Earn group is empty: accepted (it cannot trade), but Earn's balances
    and history cannot be read with it."""
    return None if scopes.get(EARN_SCOPE) else NO_EARN_KEY


KEY = KeyType(
    id="normal",
    label=Text.of("profile.bybit.key.label"),
    fields=(
        c.api_key(min_length=10, max_length=64, hint=Text.of("profile.bybit.key.api_key.hint")),
        CredentialField(
            "secret",
            Text.of("profile.bybit.key.field.label"),
            20,
            128,
            True,
            c.ALNUM,
            Text.of("profile.bybit.key.field.hint"),
            private_keys=(PrivateKeyKind.RSA,),
        ),
    ),
    description=Text.of("profile.bybit.key.description"),
)

# Bybit's self-generated API keys are RSA key pairs: the user gives Bybit only the public key (v5 docs, "Select Your
# API Key Type"; help center "How to Create an RSA Key on Bybit"). So Tallybot can make the pair and keep the private
# key to itself.
GENERATED_KEY = KeyType(
    id="tallybot_rsa",
    label=Text.of("profile.bybit.generated_key.label"),
    fields=(c.api_key(min_length=10, max_length=64, hint=Text.of("profile.bybit.generated_key.api_key.hint")),),
    description=Text.of("profile.bybit.generated_key.description"),
    generated=GeneratedKey(
        "secret",
        PrivateKeyKind.RSA,
        steps=(
            Text.of("profile.bybit.generated_key.step_1"),
            Text.of("profile.bybit.generated_key.step_2"),
            Text.of("profile.bybit.generated_key.step_3"),
            Text.of("profile.bybit.generated_key.step_4"),
            Text.of("profile.bybit.generated_key.step_5"),
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
        notes=Text.of("profile.bybit.endpoints.n1.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=50,
        window=30 * c.DAY,
        paging=Paging.CURSOR,
        api_path="GET /v5/asset/deposit/query-record + GET /v5/asset/deposit/query-internal-record",
        notes=Text.of("profile.bybit.endpoints.n2.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=50,
        window=30 * c.DAY,
        paging=Paging.CURSOR,
        api_path="GET /v5/asset/withdraw/query-record",
        notes=Text.of("profile.bybit.endpoints.n3.notes"),
    ),
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=100,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /v5/asset/exchange/query-convert-history",
        notes=Text.of("profile.bybit.endpoints.n4.notes"),
    ),
    # The unified log's lines no other list holds (airdrops, bonuses, loans, …: connectors/fetchers/bybit/log_kinds.py).
    # On (issue 15): they change the wallet's balance, and a re-sync asks one window at 25 a second.
    EndpointSpec(
        Endpoint.LEDGER,
        default_enabled=True,
        page_size=50,
        window=7 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.CURSOR,
        api_path="GET /v5/account/transaction-log",
        notes=Text.of("profile.bybit.endpoints.n5.notes"),
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        # On (issue 15): transfers between the account's own wallets are history, and a re-sync asks one window.
        default_enabled=True,
        page_size=50,
        window=7 * c.DAY,
        paging=Paging.CURSOR,
        api_path="GET /v5/asset/transfer/query-inter-transfer-list",
        notes=Text.of("profile.bybit.endpoints.n6.notes"),
    ),
    # Derivatives and spot-margin interest are on by default: a user must never miss history because of a default,
    # and they are cheap at Bybit's 50 and 25 requests a second (docs/exchange-apis/bybit.md, "Derivatives").
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=True,
        page_size=100,
        window=7 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.CURSOR,
        api_path="GET /v5/execution/list?category=linear|inverse|option + GET /v5/account/transaction-log",
        notes=Text.of("profile.bybit.endpoints.n7.notes"),
    ),
    EndpointSpec(
        Endpoint.FUNDING,
        default_enabled=True,
        page_size=50,
        window=7 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.CURSOR,
        api_path="GET /v5/account/transaction-log?type=SETTLEMENT",
        notes=Text.of("profile.bybit.endpoints.n8.notes"),
    ),
    EndpointSpec(
        Endpoint.MARGIN_LOANS,
        default_enabled=True,
        page_size=50,
        window=30 * c.DAY,
        lookback=_TWO_YEARS,
        paging=Paging.CURSOR,
        api_path="GET /v5/account/borrow-history",
        notes=Text.of("profile.bybit.endpoints.n9.notes"),
    ),
    # Earn: on unless the account holds no Earn position (then skipped, /status says why). The yield list keeps "the
    # past 3 months"; the stake/redeem orders' reach is not stated (docs/exchange-apis/bybit.md, "Earn").
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,
        page_size=100,
        window=7 * c.DAY,
        lookback=90 * c.DAY,
        paging=Paging.CURSOR,
        api_path="GET /v5/earn/position + GET /v5/earn/yield + GET /v5/earn/order",
        notes=Text.of("profile.bybit.endpoints.n10.notes"),
    ),
    # Crypto loans (connectors/fetchers/bybit/loans.py): on, one request a list a sync while it fits a page; no time
    # parameters and no stated reach (docs/exchange-apis/bybit.md, "Crypto loans").
    EndpointSpec(
        Endpoint.CRYPTO_LOANS,
        default_enabled=True,
        page_size=100,
        paging=Paging.CURSOR,
        api_path="GET /v5/crypto-loan-flexible/{borrow,repayment}-history, /v5/crypto-loan-common/adjustment-history",
        notes=Text.of("profile.bybit.endpoints.crypto_loans.notes"),
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
        Text.of("profile.bybit.alert_1"),
        Text.of("profile.bybit.alert_2"),
        Text.of("profile.bybit.alert_3"),
    ),
    integration_steps=(
        Text.of("profile.bybit.step_1"),
        Text.of("profile.bybit.step_2"),
        Text.of("profile.bybit.step_3"),
        Text.of("profile.bybit.step_4"),
        Text.of("profile.bybit.step_5"),
        Text.of("profile.bybit.step_6"),
        Text.of("profile.bybit.step_7"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.bybit.note_3"),
        Text.of("profile.bybit.note_4"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME),
        c.ip_tip(NAME),
        c.expired_tip(NAME, Text.of("profile.bybit.tip.expired.extra")),
        c.missing_permission_tip(NAME, Text.of("profile.bybit.tip.missing_permission.extra")),
        c.too_many_permissions_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, Text.of("profile.bybit.tip.missing_history.extra")),
        c.fewer_transactions_tip(Text.of("profile.bybit.tip.fewer_transactions.extra")),
    ),
    permission_check=PermissionCheck(
        "privateGetV5UserQueryApi",
        ("readOnly", "permissions"),
        Text.of("profile.bybit.permission_check.permission_note"),
    ),
    ip_restriction_check=PermissionCheck(
        "privateGetV5UserQueryApi", ("ips",), Text.of("profile.bybit.ip_restriction_check.permission_note")
    ),
    reports_expiry=True,
    popularity=95,
)
