"""The shape of an exchange profile: what a user must paste, what Tallybot can sync, and what to tell them.

Profiles are plain frozen data. They are read by the Assistant (fields, steps, alerts), the key check
(permission endpoints), the sync engine (page sizes, windows, lookback limits) and the diagnosis (tips). Every text a
user reads is a catalogue `Text` (an id in i18n/locales/*/LC_MESSAGES/profiles*.po), rendered by the view in the
reader's locale; a profile holds no English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from connectors.profiles.private_keys import PrivateKeyKind, PrivateKeyProblem, looks_like_pem, read_private_key
from i18n import Text, msgid, render, t

CredentialName = Literal["apiKey", "secret", "password", "uid"]
"""The ccxt attribute a credential is assigned to (`exchange.apiKey`, `.secret`, `.password`, `.uid`)."""

CREDENTIAL_NAMES: tuple[CredentialName, ...] = ("apiKey", "secret", "password", "uid")


class Endpoint(StrEnum):
    """A kind of history Tallybot can sync from an exchange."""

    SPOT_TRADES = "spot_trades"
    DEPOSITS = "deposits"
    WITHDRAWALS = "withdrawals"
    CONVERT = "convert"
    TRANSFERS = "transfers"
    EARN_REWARDS = "earn_rewards"
    LEDGER = "ledger"
    FUTURES_TRADES = "futures_trades"  # every derivatives product the exchange offers, with realized profit and loss
    FUNDING = "funding"  # perpetual funding fees (and, where one list holds them, other futures income lines)
    MARGIN_TRADES = "margin_trades"  # trades in the margin wallets (cross and isolated)
    MARGIN_LOANS = "margin_loans"  # margin borrowing, repayments and interest
    DUST = "dust"  # small balances converted to the exchange's own coin
    P2P = "p2p"  # person-to-person (C2C) trades against fiat
    PAY = "pay"  # payments sent and received through the exchange's pay service
    FIAT = "fiat"  # fiat deposits and withdrawals, and card purchases of coins
    CRYPTO_LOANS = "crypto_loans"  # loans against pledged collateral: borrowings, repayments, collateral, liquidations


# Message ids of each kind of history: its label (on a line or button of its own) and its phrase (in a sentence).
ENDPOINT_LABEL_IDS: Mapping[Endpoint, str] = {
    Endpoint.SPOT_TRADES: msgid("endpoint.spot_trades.label"),
    Endpoint.DEPOSITS: msgid("endpoint.deposits.label"),
    Endpoint.WITHDRAWALS: msgid("endpoint.withdrawals.label"),
    Endpoint.CONVERT: msgid("endpoint.convert.label"),
    Endpoint.TRANSFERS: msgid("endpoint.transfers.label"),
    Endpoint.EARN_REWARDS: msgid("endpoint.earn_rewards.label"),
    Endpoint.LEDGER: msgid("endpoint.ledger.label"),
    Endpoint.FUTURES_TRADES: msgid("endpoint.futures_trades.label"),
    Endpoint.FUNDING: msgid("endpoint.funding.label"),
    Endpoint.MARGIN_TRADES: msgid("endpoint.margin_trades.label"),
    Endpoint.MARGIN_LOANS: msgid("endpoint.margin_loans.label"),
    Endpoint.DUST: msgid("endpoint.dust.label"),
    Endpoint.P2P: msgid("endpoint.p2p.label"),
    Endpoint.PAY: msgid("endpoint.pay.label"),
    Endpoint.FIAT: msgid("endpoint.fiat.label"),
    Endpoint.CRYPTO_LOANS: msgid("endpoint.crypto_loans.label"),
}
ENDPOINT_PHRASE_IDS: Mapping[Endpoint, str] = {
    Endpoint.SPOT_TRADES: msgid("endpoint.spot_trades.phrase"),
    Endpoint.DEPOSITS: msgid("endpoint.deposits.phrase"),
    Endpoint.WITHDRAWALS: msgid("endpoint.withdrawals.phrase"),
    Endpoint.CONVERT: msgid("endpoint.convert.phrase"),
    Endpoint.TRANSFERS: msgid("endpoint.transfers.phrase"),
    Endpoint.EARN_REWARDS: msgid("endpoint.earn_rewards.phrase"),
    Endpoint.LEDGER: msgid("endpoint.ledger.phrase"),
    Endpoint.FUTURES_TRADES: msgid("endpoint.futures_trades.phrase"),
    Endpoint.FUNDING: msgid("endpoint.funding.phrase"),
    Endpoint.MARGIN_TRADES: msgid("endpoint.margin_trades.phrase"),
    Endpoint.MARGIN_LOANS: msgid("endpoint.margin_loans.phrase"),
    Endpoint.DUST: msgid("endpoint.dust.phrase"),
    Endpoint.P2P: msgid("endpoint.p2p.phrase"),
    Endpoint.PAY: msgid("endpoint.pay.phrase"),
    Endpoint.FIAT: msgid("endpoint.fiat.phrase"),
    Endpoint.CRYPTO_LOANS: msgid("endpoint.crypto_loans.phrase"),
}


def endpoint_label(code: str) -> Text | str:
    """The label of a kind of history stored by its code; a code this version does not know is shown as it is."""
    known = ENDPOINT_LABEL_IDS.get(Endpoint(code)) if code in Endpoint.__members__.values() else None
    return Text.of(known) if known else code


UNIFIED_METHODS: Mapping[Endpoint, str] = {
    Endpoint.SPOT_TRADES: "fetchMyTrades",
    Endpoint.DEPOSITS: "fetchDeposits",
    Endpoint.WITHDRAWALS: "fetchWithdrawals",
    Endpoint.CONVERT: "fetchConvertTradeHistory",
    Endpoint.TRANSFERS: "fetchTransfers",
    Endpoint.LEDGER: "fetchLedger",
    Endpoint.FUTURES_TRADES: "fetchMyTrades",
    Endpoint.FUNDING: "fetchFundingHistory",
}
"""The ccxt unified method closest to each endpoint (earn rewards have none)."""


class Paging(StrEnum):
    """How an endpoint hands out the next page."""

    CURSOR = "cursor"  # an opaque token from the previous page
    FROM_ID = "from_id"  # records after (or before) a record id
    OFFSET = "offset"  # a row offset inside a fixed query
    PAGE_NUMBER = "page_number"  # page 1, 2, 3 …
    TIME = "time"  # move the time window; no paging inside it


class TipCode(StrEnum):
    """What went wrong, so the diagnosis can pick the profile's tip for it."""

    INVALID_KEY = "invalid_key"
    WRONG_PASSPHRASE = "wrong_passphrase"  # noqa: S105 - a tip code, not a password
    WRONG_KEY_TYPE = "wrong_key_type"
    KEY_EXPIRED = "key_expired"
    IP_NOT_ALLOWED = "ip_not_allowed"
    MISSING_PERMISSION = "missing_permission"
    TOO_MANY_PERMISSIONS = "too_many_permissions"
    CLOCK_SKEW = "clock_skew"
    RATE_LIMITED = "rate_limited"
    MISSING_HISTORY = "missing_history"
    FEWER_TRANSACTIONS = "fewer_transactions"


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One value the user pastes, checked before any network call."""

    name: CredentialName
    label: Text
    min_length: int
    max_length: int
    is_secret: bool
    pattern: str | None = None  # full-match regex, only where the exchange's format is known
    hint: Text | None = None  # what the value looks like, in words
    # Kinds of self-generated private key (PEM) the exchange also takes in this field, besides the pattern.
    private_keys: tuple[PrivateKeyKind, ...] = ()

    def __post_init__(self) -> None:
        if not 0 < self.min_length <= self.max_length:
            raise ValueError(f"bad length range for {self.name}: {self.min_length}..{self.max_length}")
        if self.pattern is not None:
            re.compile(self.pattern)

    def is_private_key(self, value: str) -> bool:
        """Whether a pasted value is (an attempt at) a PEM private key this field takes; its line breaks are part
        of it, unlike spaces inside any other key."""
        return bool(self.private_keys) and looks_like_pem(value)

    def private_key_kind(self, value: str) -> PrivateKeyKind | None:
        """The kind of private key a value is, or None (not a private key, or one this field cannot take)."""
        if not self.is_private_key(value):
            return None
        try:
            return read_private_key(value, self.private_keys).kind
        except PrivateKeyProblem:
            return None

    def cleaned(self, value: str) -> str:
        """The value as Tallybot stores it: surrounding whitespace dropped; a private key in canonical PEM."""
        text = value.strip()
        if self.is_private_key(text):
            try:
                return read_private_key(text, self.private_keys).pem
            except PrivateKeyProblem:
                return text  # `problem` says what is wrong with it
        return text

    def problem(self, value: str) -> Text | None:
        """Say what is wrong with a pasted value (surrounding whitespace ignored), or None if it looks right: a
        catalogue text the view renders."""
        text = value.strip()
        if not text:
            return Text.of("profile.field.empty", label=self.label)
        if self.is_private_key(text):
            try:
                read_private_key(text, self.private_keys)
            except PrivateKeyProblem as problem:
                return problem.text
            return None
        if looks_like_pem(text):
            return Text.of("profile.field.pem_not_secret", label=self.label)
        if len(text) < self.min_length:
            return Text.of("profile.field.too_short", label=self.label)
        if len(text) > self.max_length:
            return Text.of("profile.field.too_long", label=self.label)
        if self.pattern is not None and re.fullmatch(self.pattern, text) is None:
            if self.hint:
                return Text.of("profile.field.wrong_shape_hint", label=self.label, hint=self.hint)
            return Text.of("profile.field.wrong_shape", label=self.label)
        return None


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    """A credential Tallybot makes itself: a key pair whose private half is stored as `field` (sealed like any
    secret) and whose public half the user registers on the exchange, which then issues the API key."""

    field: CredentialName
    kind: PrivateKeyKind
    steps: tuple[Text, ...]  # how to register the public key on the exchange and get the API key


@dataclass(frozen=True, slots=True)
class KeyType:
    """A kind of API key an exchange issues, with the fields the user pastes (and any Tallybot generates)."""

    id: str
    label: Text
    fields: tuple[CredentialField, ...]
    description: Text
    generated: GeneratedKey | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"key type {self.id!r} needs distinct fields")
        if self.generated is not None and self.generated.field in names:
            raise ValueError(f"key type {self.id!r} both asks for and generates {self.generated.field}")

    @property
    def field_names(self) -> frozenset[CredentialName]:
        """Every credential the key consists of: those pasted and the one Tallybot generated."""
        generated = () if self.generated is None else (self.generated.field,)
        return frozenset((*(f.name for f in self.fields), *generated))

    def field(self, name: CredentialName) -> CredentialField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """What one history endpoint allows: page size, time window per request, and how far back it reaches.

    `window` is the longest start-to-end range one request may ask for (None: no limit known or needed);
    `lookback` is how far before now the exchange still answers; `earliest` is a fixed date before which
    it returns nothing. Uncertain limits are described in `notes` instead of being made up.
    """

    endpoint: Endpoint
    _: KW_ONLY
    default_enabled: bool
    page_size: int
    # Message ids of a label of the profile's own (with its phrase); empty: the endpoint's standard ones.
    label_id: str = ""
    phrase_id: str = ""
    window: timedelta | None = None
    lookback: timedelta | None = None
    earliest: date | None = None
    per_market: bool = False
    notes: Text | None = None
    paging: Paging = Paging.TIME
    api_path: str = ""  # the exchange's own REST path, for people reading the docs
    key_types: tuple[str, ...] = ()  # key types that may call it; empty means all

    def __post_init__(self) -> None:
        if not self.label_id and not self.phrase_id:
            object.__setattr__(self, "label_id", ENDPOINT_LABEL_IDS[self.endpoint])
            object.__setattr__(self, "phrase_id", ENDPOINT_PHRASE_IDS[self.endpoint])
        if not self.label_id or not self.phrase_id:
            raise ValueError(f"{self.endpoint}: a label id needs its phrase id")
        if self.page_size <= 0:
            raise ValueError(f"{self.endpoint}: page size must be positive")
        for name, span in (("window", self.window), ("lookback", self.lookback)):
            if span is not None and span <= timedelta(0):
                raise ValueError(f"{self.endpoint}: {name} must be positive")

    def allows(self, key_type: str) -> bool:
        return not self.key_types or key_type in self.key_types

    @property
    def label_text(self) -> Text:
        """The label, for a line or a button of its own."""
        return Text.of(self.label_id)

    @property
    def phrase(self) -> Text:
        """The kind of history inside a sentence ("… reads spot trades …")."""
        return Text.of(self.phrase_id)


@dataclass(frozen=True, slots=True)
class Tip:
    """A troubleshooting entry: the symptom in the user's words and what to do about it."""

    code: TipCode
    problem: Text
    fixes: tuple[Text, ...]


@dataclass(frozen=True, slots=True)
class PermissionCheck:
    """How Tallybot can verify something about a key: the ccxt implicit method to call and what it reads.

    When `method` is None the exchange offers no way, and `user_note` says so in plain words.
    """

    method: str | None
    fields: tuple[str, ...] = ()
    user_note: Text | None = None

    @property
    def available(self) -> bool:
        return self.method is not None


class UnknownKeyType(KeyError):
    """A key type id that the profile does not define."""

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownExchange(LookupError):
    """An exchange id that is neither ours nor ccxt's. `text` says so for the user (a catalogue text, worded in
    their locale); the exception's message is its English, for logs."""

    def __init__(self, exchange_id: str, text: Text | None = None) -> None:
        self.exchange_id = exchange_id
        self.text = text or Text.of("profile.unknown_exchange", exchange=exchange_id)
        super().__init__(render(self.text))

    def __str__(self) -> str:
        return str(self.args[0])


class UnsupportedExchange(UnknownExchange):
    """A ccxt exchange that Tallybot cannot connect by API key (wallet signing, or no history in ccxt)."""


@dataclass(frozen=True, slots=True)
class ExchangeProfile:
    """Everything Tallybot knows about connecting one exchange."""

    id: str
    name: str
    ccxt_id: str
    key_types: tuple[KeyType, ...]
    endpoints: tuple[EndpointSpec, ...]
    api_management_url: str
    alerts: tuple[Text, ...]
    integration_steps: tuple[Text, ...]
    important_notes: tuple[Text, ...]
    troubleshooting: tuple[Tip, ...]
    permission_check: PermissionCheck
    ip_restriction_check: PermissionCheck
    reports_expiry: bool
    popularity: int
    best_effort: bool = False
    aliases: tuple[str, ...] = ()  # other names people search for ("okex", "huobi")
    docs_url: str = ""
    _by_endpoint: dict[Endpoint, tuple[EndpointSpec, ...]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.key_types or self.key_types[0].generated is not None:
            raise ValueError(f"{self.id}: a profile needs a key type the user pastes, first")
        ids = [k.id for k in self.key_types]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.id}: duplicate key type ids")
        grouped: dict[Endpoint, list[EndpointSpec]] = {}
        for spec in self.endpoints:
            unknown = set(spec.key_types) - set(ids)
            if unknown:
                raise ValueError(f"{self.id}: {spec.endpoint} names unknown key types {sorted(unknown)}")
            for other in grouped.get(spec.endpoint, []):
                if any(spec.allows(k) and other.allows(k) for k in ids):
                    raise ValueError(f"{self.id}: {spec.endpoint} is defined twice for one key type")
            grouped.setdefault(spec.endpoint, []).append(spec)
        object.__setattr__(self, "_by_endpoint", {e: tuple(s) for e, s in grouped.items()})

    @property
    def default_key_type(self) -> KeyType:
        return self.key_types[0]

    @property
    def pasted_key_types(self) -> tuple[KeyType, ...]:
        """The key types the user creates on the exchange and pastes (those the Assistant lets them choose)."""
        return tuple(k for k in self.key_types if k.generated is None)

    @property
    def generated_key_type(self) -> KeyType | None:
        """The key type whose key pair Tallybot makes (offered as its own button), if the exchange has one."""
        return next((k for k in self.key_types if k.generated is not None), None)

    def key_type(self, key_type_id: str) -> KeyType:
        """The key type with this id; raises UnknownKeyType."""
        for key_type in self.key_types:
            if key_type.id == key_type_id:
                return key_type
        raise UnknownKeyType(t("profile.unknown_key_type", name=self.name, key_type=key_type_id))

    def endpoint(self, endpoint: Endpoint, key_type: str | None = None) -> EndpointSpec | None:
        """The spec of an endpoint usable with this key type (default: the first), or None if not offered."""
        kind = key_type or self.default_key_type.id
        return next((s for s in self._by_endpoint.get(endpoint, ()) if s.allows(kind)), None)

    def offers(self, endpoint: Endpoint, key_type: str | None = None) -> bool:
        return self.endpoint(endpoint, key_type) is not None

    def endpoints_for(self, key_type: str | None = None) -> tuple[EndpointSpec, ...]:
        kind = key_type or self.default_key_type.id
        return tuple(s for s in self.endpoints if s.allows(kind))

    def default_endpoints(self, key_type: str | None = None) -> tuple[EndpointSpec, ...]:
        """The endpoints switched on for a new integration with this key type."""
        return tuple(s for s in self.endpoints_for(key_type) if s.default_enabled)

    def tip(self, code: TipCode) -> Tip | None:
        return next((t for t in self.troubleshooting if t.code is code), None)
