"""What a diagnosis is: a cause in plain words, what to do, and whether trying again can help."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DiagnosisCode(StrEnum):
    """The cause of a failure, in terms a user can act on."""

    INVALID_KEY = "invalid_key"  # the key or the secret is wrong, or the key does not exist (any more)
    WRONG_PASSPHRASE = "wrong_passphrase"  # noqa: S105 - a cause, not a password
    WRONG_KEY_TYPE = "wrong_key_type"  # e.g. a Bitget normal key entered as a Tax API key
    KEY_EXPIRED = "key_expired"  # expired, frozen or disabled by the exchange
    KEY_REFUSED = "key_refused"  # refused for one of several reasons the exchange does not tell apart
    IP_NOT_ALLOWED = "ip_not_allowed"
    MISSING_PERMISSION = "missing_permission"
    TOO_MANY_PERMISSIONS = "too_many_permissions"
    CLOCK_SKEW = "clock_skew"
    RATE_LIMITED = "rate_limited"
    EXCHANGE_DOWN = "exchange_down"
    MAINTENANCE = "maintenance"
    NETWORK_ERROR = "network_error"
    LOOKBACK_LIMIT = "lookback_limit"
    ENDPOINT_NOT_OFFERED = "endpoint_not_offered"
    ACCOUNT_RESTRICTED = "account_restricted"
    # Tallybot's own failures, never the exchange's: a record it could not read, an address it asked wrongly.
    UNREADABLE_RECORD = "unreadable_record"
    REQUEST_NOT_FOUND = "request_not_found"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A failure explained. Every text comes from our own templates: never from the exchange's error."""

    code: DiagnosisCode
    title: str
    explanation: str
    tips: tuple[str, ...]
    retryable: bool
    retry_after: float | None = None  # seconds, when the exchange said how long to wait


class LookbackLimitReached(Exception):
    """Raised by a fetcher when the exchange no longer returns history that old (diagnosed as lookback_limit)."""


class EndpointNotOffered(Exception):
    """Raised when an exchange (or this key type) does not offer a kind of history (endpoint_not_offered)."""
