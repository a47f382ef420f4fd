"""Which catalogue entries a diagnosis or a key check shows (i18n/locales/en/LC_MESSAGES/tallybot.po).

`{name}` is the exchange's display name. Nothing is ever filled from an exchange's error message. The entries are
plain text: views escape them for HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.diagnosis.model import DiagnosisCode
from connectors.profiles import TipCode
from i18n import Text, msgid, render, t
from i18n.catalogue import SOURCE_LOCALE, translations


@dataclass(frozen=True, slots=True)
class Template:
    title: str  # message ids
    explanation: str
    tips: tuple[str, ...]  # generic tips, shown after the profile's own
    tip_codes: tuple[TipCode, ...] = ()  # which of the profile's troubleshooting entries apply
    retryable: bool = False


D = DiagnosisCode

TEMPLATES: Mapping[DiagnosisCode, Template] = {
    D.INVALID_KEY: Template(
        msgid("diagnosis.invalid_key.title"),
        msgid("diagnosis.invalid_key.explanation"),
        (msgid("diagnosis.invalid_key.tip_1"), msgid("diagnosis.invalid_key.tip_2")),
        (TipCode.INVALID_KEY,),
    ),
    D.WRONG_PASSPHRASE: Template(
        msgid("diagnosis.wrong_passphrase.title"),
        msgid("diagnosis.wrong_passphrase.explanation"),
        (msgid("diagnosis.wrong_passphrase.tip_1"),),
        (TipCode.WRONG_PASSPHRASE, TipCode.WRONG_KEY_TYPE),
    ),
    D.WRONG_KEY_TYPE: Template(
        msgid("diagnosis.wrong_key_type.title"),
        msgid("diagnosis.wrong_key_type.explanation"),
        (msgid("diagnosis.wrong_key_type.tip_1"),),
        (TipCode.WRONG_KEY_TYPE,),
    ),
    D.KEY_EXPIRED: Template(
        msgid("diagnosis.key_expired.title"),
        msgid("diagnosis.key_expired.explanation"),
        (msgid("diagnosis.key_expired.tip_1"),),
        (TipCode.KEY_EXPIRED,),
    ),
    D.KEY_REFUSED: Template(
        msgid("diagnosis.key_refused.title"),
        msgid("diagnosis.key_refused.explanation"),
        (msgid("diagnosis.key_refused.tip_1"), msgid("diagnosis.key_refused.tip_2")),
        (TipCode.INVALID_KEY, TipCode.KEY_EXPIRED, TipCode.IP_NOT_ALLOWED, TipCode.MISSING_PERMISSION),
    ),
    D.IP_NOT_ALLOWED: Template(
        msgid("diagnosis.ip_not_allowed.title"),
        msgid("diagnosis.ip_not_allowed.explanation"),
        (msgid("diagnosis.ip_not_allowed.tip_1"),),
        (TipCode.IP_NOT_ALLOWED,),
    ),
    D.MISSING_PERMISSION: Template(
        msgid("diagnosis.missing_permission.title"),
        msgid("diagnosis.missing_permission.explanation"),
        (msgid("diagnosis.missing_permission.tip_1"),),
        # Where an exchange has several kinds of key (Bitget), a key of the other kind lacks the permission too.
        (TipCode.MISSING_PERMISSION, TipCode.WRONG_KEY_TYPE),
    ),
    D.TOO_MANY_PERMISSIONS: Template(
        msgid("diagnosis.too_many_permissions.title"),
        msgid("diagnosis.too_many_permissions.explanation"),
        (msgid("diagnosis.too_many_permissions.tip_1"), msgid("diagnosis.too_many_permissions.tip_2")),
        (TipCode.TOO_MANY_PERMISSIONS,),
    ),
    D.CLOCK_SKEW: Template(
        msgid("diagnosis.clock_skew.title"),
        msgid("diagnosis.clock_skew.explanation"),
        (msgid("diagnosis.clock_skew.tip_1"),),
        (TipCode.CLOCK_SKEW,),
        retryable=True,
    ),
    D.RATE_LIMITED: Template(
        msgid("diagnosis.rate_limited.title"),
        msgid("diagnosis.rate_limited.explanation"),
        (msgid("diagnosis.rate_limited.tip_1"),),
        (TipCode.RATE_LIMITED,),
        retryable=True,
    ),
    D.EXCHANGE_DOWN: Template(
        msgid("diagnosis.exchange_down.title"),
        msgid("diagnosis.exchange_down.explanation"),
        (msgid("diagnosis.exchange_down.tip_1"), msgid("diagnosis.exchange_down.tip_2")),
        retryable=True,
    ),
    D.MAINTENANCE: Template(
        msgid("diagnosis.maintenance.title"),
        msgid("diagnosis.maintenance.explanation"),
        (msgid("diagnosis.maintenance.tip_1"),),
        retryable=True,
    ),
    D.NETWORK_ERROR: Template(
        msgid("diagnosis.network_error.title"),
        msgid("diagnosis.network_error.explanation"),
        (msgid("diagnosis.network_error.tip_1"),),
        retryable=True,
    ),
    D.LOOKBACK_LIMIT: Template(
        msgid("diagnosis.lookback_limit.title"),
        msgid("diagnosis.lookback_limit.explanation"),
        (msgid("diagnosis.lookback_limit.tip_1"),),
        (TipCode.MISSING_HISTORY,),
    ),
    D.ENDPOINT_NOT_OFFERED: Template(
        msgid("diagnosis.endpoint_not_offered.title"),
        msgid("diagnosis.endpoint_not_offered.explanation"),
        (msgid("diagnosis.endpoint_not_offered.tip_1"), msgid("diagnosis.endpoint_not_offered.tip_2")),
    ),
    D.ACCOUNT_RESTRICTED: Template(
        msgid("diagnosis.account_restricted.title"),
        msgid("diagnosis.account_restricted.explanation"),
        (msgid("diagnosis.account_restricted.tip_1"),),
    ),
    D.UNREADABLE_RECORD: Template(
        msgid("diagnosis.unreadable_record.title"),
        msgid("diagnosis.unreadable_record.explanation"),
        (
            msgid("diagnosis.unreadable_record.tip_1"),
            msgid("diagnosis.unreadable_record.tip_2"),
            msgid("diagnosis.unreadable_record.tip_3"),
        ),
    ),
    D.REQUEST_NOT_FOUND: Template(
        msgid("diagnosis.request_not_found.title"),
        msgid("diagnosis.request_not_found.explanation"),
        (
            msgid("diagnosis.request_not_found.tip_1"),
            msgid("diagnosis.request_not_found.tip_2"),
            msgid("diagnosis.request_not_found.tip_3"),
        ),
    ),
    D.UNKNOWN: Template(
        msgid("diagnosis.unknown.title"),
        msgid("diagnosis.unknown.explanation"),
        (msgid("diagnosis.unknown.tip_1"), msgid("diagnosis.unknown.tip_2")),
    ),
}


def where(phrase: Text | str | None, api_path: str = "") -> Text:
    """How a text names the history: the endpoint (its in-sentence phrase) and its address, or "this kind of
    history" when unnamed."""
    if phrase is None:
        return Text.of("diagnosis.where.unnamed")
    return Text.of("diagnosis.where.endpoint", label=phrase, path=api_path)


def refused_after_success(name: str) -> Text:
    return Text.of("diagnosis.key_refused.after_success", name=name)


def retry_after_wait(name: str, seconds: float) -> Text:
    return Text.of("diagnosis.retry_after", name=name, wait=wait_of(seconds))


def too_many_withdraw() -> Text:
    return Text.of("diagnosis.too_many_permissions.withdraw")


def too_many_trade() -> Text:
    return Text.of("diagnosis.too_many_permissions.trade")


def delete_withdraw_key(name: str) -> Text:
    return Text.of("diagnosis.too_many_permissions.tip_delete_withdraw_key", name=name)


def wait_of(seconds: float) -> Text:
    """A wait a person can plan around: "40 seconds", "5 minutes", "2 hours" (plural forms from the catalogue)."""
    if seconds < 90:
        return Text.of("duration.seconds", count=max(1, round(seconds)))
    if seconds < 90 * 60:
        return Text.of("duration.minutes", count=round(seconds / 60))
    return Text.of("duration.hours", count=round(seconds / 3600))


def humanize_seconds(seconds: float, locale: str = SOURCE_LOCALE) -> str:
    return render(wait_of(seconds), locale)


def _template(identifier: str) -> str:
    """Transitional: the unfilled English of an entry that connectors/keycheck.py still fills with `.format()`."""
    return translations(SOURCE_LOCALE).gettext(identifier)


# Key-check warnings (the check passed, but the user should know). Read as English constants by
# connectors/keycheck.py until its results carry `Text`; the names go when it no longer reads them.
WARN_TRADING_ALLOWED = t("keycheck.warn.trading_allowed")
WARN_IP_RESTRICTED = t("keycheck.warn.ip_restricted")
WARN_EXPIRES = _template(msgid("keycheck.warn.expires"))
WARN_TAX_KEY = _template(msgid("keycheck.warn.tax_key"))
WARN_UNKNOWN_PERMISSIONS = _template(msgid("keycheck.warn.unknown_permissions"))
NOT_VERIFIED_FALLBACK = _template(msgid("keycheck.not_verified"))
