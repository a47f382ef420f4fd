"""KuCoin (spot; KuCoin Futures is a separate ccxt exchange, `kucoinfutures`)."""

from __future__ import annotations

from datetime import date

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck
from i18n import Text

NAME = "KuCoin"
# KuCoin's current history endpoints return nothing before this date (ccxt and KuCoin docs).
_FIRST_DAY = date(2019, 2, 18)

KEY = KeyType(
    id="normal",
    label=Text.of("profile.kucoin.key.label"),
    fields=(
        c.api_key(
            min_length=24, max_length=24, pattern=r"[0-9a-fA-F]{24}", hint=Text.of("profile.kucoin.key.api_key.hint")
        ),
        c.secret(min_length=36, max_length=36, pattern=c.UUID, hint=Text.of("profile.kucoin.key.secret.hint")),
        c.passphrase(label=Text.of("profile.kucoin.key.passphrase.label")),
    ),
    description=Text.of("profile.kucoin.key.description"),
)

# Rules and sources: docs/exchange-apis/kucoin.md. No page read states a range limit for these lists (the classic
# fills' 7 x 24 h, in connectors/fetchers/kucoin/classic.py, aside): 7-day windows are Tallybot's conservative choice
# (KuCoin limits futures fills to 7 x 24 h a request; an early edition of the HF docs limited spot fills to 3 x 24 h).
ENDPOINTS = (
    EndpointSpec(
        Endpoint.SPOT_TRADES,
        default_enabled=True,
        page_size=100,
        window=7 * c.DAY,
        earliest=_FIRST_DAY,
        per_market=True,
        paging=Paging.FROM_ID,
        api_path="GET /api/v1/hf/fills",
        notes=Text.of("profile.kucoin.endpoint.spot_trades.notes"),
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=500,
        window=7 * c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/deposits",
        notes=Text.of("profile.kucoin.endpoint.deposits.notes"),
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=500,
        window=7 * c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/withdrawals",
        notes=Text.of("profile.kucoin.endpoint.withdrawals.notes"),
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=True,
        page_size=500,
        window=c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/accounts/ledgers?bizType=TRANSFER",
        notes=Text.of("profile.kucoin.endpoint.transfers.notes"),
    ),
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,
        page_size=500,
        window=c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/accounts/ledgers?bizType=KUCOIN_BONUS",
        notes=Text.of("profile.kucoin.endpoint.earn_rewards.notes"),
    ),
    # Convert orders: pageSize 20 to 100 with `page`; no range limit is documented, so 7-day windows as above.
    EndpointSpec(
        Endpoint.CONVERT,
        default_enabled=True,
        page_size=100,
        window=7 * c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/convert/order/history, GET /api/v1/convert/limit/orders",
        notes=Text.of("profile.kucoin.endpoint.convert.notes"),
    ),
    # Futures (the futures host): the ledger's realised profit and loss per contract and funding period, then the
    # fills; connectors/fetchers/kucoin/futures.py, docs/exchange-apis/kucoin.md "Futures". Fills 1,000 a page
    # ("the maximum cannot exceed 1000"), reaching three months back (docs-new futures Get Trade History: "The data
    # is retained in the system for up to three months"); the fetcher walks the ledger without this reach (its
    # RealisedPNL lines keep the older profit and loss) and starts the fills' walk at it.
    EndpointSpec(
        Endpoint.FUTURES_TRADES,
        default_enabled=True,
        page_size=1000,
        lookback=90 * c.DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/transaction-history, GET /api/v1/fills",
        notes=Text.of("profile.kucoin.endpoint.futures_trades.notes"),
    ),
)

PROFILE = ExchangeProfile(
    id="kucoin",
    name=NAME,
    ccxt_id="kucoin",
    key_types=(KEY,),
    endpoints=ENDPOINTS,
    api_management_url="https://www.kucoin.com/account/api",
    docs_url="https://www.kucoin.com/docs-new",
    alerts=(
        Text.of("profile.kucoin.alert_1"),
        Text.of("profile.kucoin.alert_2"),
        Text.of("profile.kucoin.alert_3"),
        Text.of("profile.kucoin.alert_4"),
    ),
    integration_steps=(
        Text.of("profile.kucoin.step_1"),
        Text.of("profile.kucoin.step_2"),
        Text.of("profile.kucoin.step_3"),
        Text.of("profile.kucoin.step_4"),
        Text.of("profile.kucoin.step_5"),
        Text.of("profile.kucoin.step_6"),
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        Text.of("profile.kucoin.note_3"),
        Text.of("profile.kucoin.note_4"),
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME, Text.of("profile.kucoin.tip.invalid_key.extra")),
        c.wrong_passphrase_tip(NAME),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, Text.of("profile.kucoin.tip.missing_permission.extra")),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, Text.of("profile.kucoin.tip.missing_history.extra")),
        c.fewer_transactions_tip(Text.of("profile.kucoin.tip.fewer_transactions.extra")),
    ),
    permission_check=PermissionCheck(
        "privateGetUserApiKey", ("permission",), Text.of("profile.kucoin.permission_check.note")
    ),
    ip_restriction_check=PermissionCheck(
        "privateGetUserApiKey", ("ipWhitelist",), Text.of("profile.kucoin.ip_restriction_check.note")
    ),
    reports_expiry=False,
    popularity=78,
    aliases=("ku coin",),
)
