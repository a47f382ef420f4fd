"""What a diagnosis is: a cause in plain words, what to do, and whether trying again can help."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from i18n import Text, render, t
from i18n.catalogue import SOURCE_LOCALE


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
    """A failure explained, as catalogue texts: never words of the exchange's error.

    `headline`, `details` (sentences in order) and `fixes` are rendered in the reader's locale by the view
    (`title_in`, `explanation_in`, `tips_in`). A fix is a `str` only while its exchange profile is not migrated.
    """

    code: DiagnosisCode
    headline: Text
    details: tuple[Text, ...]
    fixes: tuple[Text | str, ...]
    retryable: bool
    retry_after: float | None = None  # seconds, when the exchange said how long to wait

    def title_in(self, locale: str) -> str:
        return render(self.headline, locale)

    def explanation_in(self, locale: str) -> str:
        rendered = [render(detail, locale) for detail in self.details]
        text = rendered[0]
        for sentence in rendered[1:]:
            text = t("text.sentences", locale=locale, first=text, second=sentence)
        return text

    def tips_in(self, locale: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(render(fix, locale) for fix in self.fixes))

    # English, for the views that do not pass a locale yet (issue 19 threads the user's locale through).
    @property
    def title(self) -> str:
        return self.title_in(SOURCE_LOCALE)

    @property
    def explanation(self) -> str:
        return self.explanation_in(SOURCE_LOCALE)

    @property
    def tips(self) -> tuple[str, ...]:
        return self.tips_in(SOURCE_LOCALE)


class LookbackLimitReached(Exception):
    """Raised by a fetcher when the exchange no longer returns history that old (diagnosed as lookback_limit)."""


class EndpointNotOffered(Exception):
    """Raised when an exchange (or this key type) does not offer a kind of history (endpoint_not_offered)."""
