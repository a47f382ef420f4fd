"""KuCoin (spot; KuCoin Futures is a separate ccxt exchange, `kucoinfutures`)."""

from __future__ import annotations

from datetime import date

from connectors.profiles.catalog import common as c
from connectors.profiles.model import Endpoint, EndpointSpec, ExchangeProfile, KeyType, Paging, PermissionCheck

NAME = "KuCoin"
# KuCoin's current history endpoints return nothing before this date (ccxt and KuCoin docs).
_FIRST_DAY = date(2019, 2, 18)

KEY = KeyType(
    id="normal",
    label="API key",
    fields=(
        c.api_key(min_length=24, max_length=24, pattern=r"[0-9a-fA-F]{24}", hint="24 letters a–f and digits"),
        c.secret(min_length=36, max_length=36, pattern=c.UUID, hint="36 characters such as 1a2b3c4d-…"),
        c.passphrase(label="API passphrase"),
    ),
    description="A KuCoin API key, its secret and the API passphrase you chose when you created it.",
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
        notes="Spot fills of high-frequency (current) accounts: symbol required, so the markets are found from the "
        "account's balances, deposits and withdrawals; limit 100 (the maximum), paged down with lastId, asked in "
        "7-day windows (Spot pool, weight 2). Fills from before the account's upgrade to high-frequency trading "
        "are read from the classic GET /api/v1/fills: every market in one walk, 7 x 24 h and 500 fills a request "
        "(Spot pool, weight 10).",
    ),
    EndpointSpec(
        Endpoint.DEPOSITS,
        default_enabled=True,
        page_size=500,
        window=7 * c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/deposits",
        notes="pageSize 10 to 500 with currentPage, newest first (Management pool, weight 5); rows have no id. "
        "Only SUCCESS is stored; PROCESSING is read again until it settles. Deposits before 2019-02-18 are in "
        "GET /api/v1/hist-deposits, which Tallybot does not read.",
    ),
    EndpointSpec(
        Endpoint.WITHDRAWALS,
        default_enabled=True,
        page_size=500,
        window=7 * c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/withdrawals",
        notes="As deposits (Management pool, weight 20); only SUCCESS is stored, the fee is charged on top. Older "
        "withdrawals are in GET /api/v1/hist-withdrawals, which Tallybot does not read.",
    ),
    EndpointSpec(
        Endpoint.TRANSFERS,
        default_enabled=True,
        page_size=500,
        window=c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/accounts/ledgers?bizType=TRANSFER",
        notes="The spot ledger's moves between your own accounts (Management pool, weight 2 or 10, paced at 10): each "
        "move is two rows, out of one account and into the other. No range limit is documented; 1-day windows are "
        "the conservative choice.",
    ),
    EndpointSpec(
        Endpoint.EARN_REWARDS,
        default_enabled=True,
        page_size=500,
        window=c.DAY,
        earliest=_FIRST_DAY,
        paging=Paging.PAGE_NUMBER,
        api_path="GET /api/v1/accounts/ledgers?bizType=KUCOIN_BONUS",
        notes="Bonuses KuCoin credited (the ledger's KUCOIN_BONUS rows). Earn and staking interest has no bizType "
        "the ledger's filter documents, so it is not fetched.",
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
        "KuCoin's API returns nothing before 18 February 2019. Add older history by file upload.",
        "KuCoin hands out trades one market and one week at a time, so a first sync of a long history takes a while.",
        "Converts and Earn or staking interest are not synced yet: add them by file upload.",
        "Futures are not included: KuCoin Futures is a separate integration.",
    ),
    integration_steps=(
        "Log in to KuCoin, open your profile menu and choose API Management.",
        "Choose Create API and pick API Trading as the type.",
        "Give the key a name such as Tallybot and set an API passphrase. Write the passphrase down.",
        "Under permissions keep only General (read). Leave Spot Trading, Margin, Futures and Transfer unticked.",
        "Set IP restriction to No.",
        "Complete the security verification, then copy the API key, the secret and your API passphrase into "
        "this chat when asked.",
        c.secret_once(NAME),
    ),
    important_notes=(
        c.never_withdraw(NAME),
        c.no_ip_restriction(NAME),
        "The API passphrase is the one you set for this key, not your trading password.",
        "Each sub-account needs its own key and integration.",
    ),
    troubleshooting=(
        c.invalid_key_tip(NAME, "A KuCoin API key is 24 characters; the secret is 36 characters with dashes."),
        c.wrong_passphrase_tip(NAME),
        c.ip_tip(NAME),
        c.missing_permission_tip(NAME, "General"),
        c.too_many_permissions_tip(NAME),
        c.expired_tip(NAME),
        c.clock_tip(),
        c.rate_limited_tip(NAME),
        c.missing_history_tip(NAME, "KuCoin's API has nothing before 18 February 2019."),
        c.fewer_transactions_tip("Futures trades need a separate KuCoin Futures integration."),
    ),
    permission_check=PermissionCheck(
        "privateGetUserApiKey", ("permission",), "Tallybot checks on KuCoin that the key only has General permission."
    ),
    ip_restriction_check=PermissionCheck(
        "privateGetUserApiKey", ("ipWhitelist",), "Tallybot checks whether the key is limited to IPs."
    ),
    reports_expiry=False,
    popularity=78,
    aliases=("ku coin",),
)
