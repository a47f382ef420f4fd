"""Building blocks shared by the hand-written profiles: field shapes, tips and sentences said for every exchange.

Each exchange module still writes its own steps and alerts; only wording that is truly the same lives here. Every
sentence is a catalogue `Text`, worded by the view in the reader's locale.
"""

from __future__ import annotations

from datetime import timedelta

from connectors.profiles.model import CredentialField, PermissionCheck, Tip, TipCode
from i18n import Text

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ALNUM = r"[A-Za-z0-9]+"

# The usual field labels, as catalogue texts: views render them (and what a paste check says about them) per locale.
API_KEY_LABEL = Text.of("profile.common.api_key.default")
SECRET_LABEL = Text.of("profile.common.secret.default")
PASSPHRASE_LABEL = Text.of("profile.common.passphrase.label")
PASSPHRASE_HINT = Text.of("profile.common.passphrase.default")
SECRET_WORDS = Text.of("profile.common.secret_once.default")  # what secret_once names, unless told otherwise


def api_key(
    *,
    min_length: int = 8,
    max_length: int = 128,
    pattern: str | None = ALNUM,
    hint: Text | None = None,
    label: Text = API_KEY_LABEL,
) -> CredentialField:
    return CredentialField("apiKey", label, min_length, max_length, False, pattern, hint)


def secret(
    *,
    min_length: int = 16,
    max_length: int = 256,
    pattern: str | None = ALNUM,
    hint: Text | None = None,
    label: Text = SECRET_LABEL,
) -> CredentialField:
    return CredentialField("secret", label, min_length, max_length, True, pattern, hint)


def passphrase(
    *,
    label: Text = PASSPHRASE_LABEL,
    hint: Text = PASSPHRASE_HINT,
) -> CredentialField:
    # The user chose it, so only its length is bounded; rules changed over the years and old keys still work.
    return CredentialField("password", label, 1, 128, True, None, hint)


# ---------------------------------------------------------------------------------------------- sentences


def never_withdraw(name: str) -> Text:
    return Text.of("profile.common.never_withdraw", name=name)


def secret_once(name: str, what: Text = SECRET_WORDS) -> Text:
    return Text.of("profile.common.secret_once", name=name, what=what)


def no_ip_restriction(name: str) -> Text:
    return Text.of("profile.common.no_ip_restriction", name=name)


def file_upload_pointer(name: str, what: Text) -> Text:
    return Text.of("profile.common.file_upload_pointer", what=what, name=name)


NO_PERMISSION_CHECK_IP = PermissionCheck(None, (), Text.of("profile.common.no_permission_check_ip.permission_note"))


# ---------------------------------------------------------------------------------------------- tips


def invalid_key_tip(name: str, *extra: Text) -> Tip:
    return Tip(
        TipCode.INVALID_KEY,
        Text.of("profile.common.tip.invalid_key.problem", name=name),
        (
            Text.of("profile.common.tip.invalid_key.fix_1"),
            Text.of("profile.common.tip.invalid_key.fix_2"),
            Text.of("profile.common.tip.invalid_key.fix_3"),
            Text.of("profile.common.tip.invalid_key.fix_4"),
            *extra,
        ),
    )


def wrong_passphrase_tip(name: str) -> Tip:
    return Tip(
        TipCode.WRONG_PASSPHRASE,
        Text.of("profile.common.tip.wrong_passphrase.problem", name=name),
        (
            Text.of("profile.common.tip.wrong_passphrase.fix_1"),
            Text.of("profile.common.tip.wrong_passphrase.fix_2"),
            Text.of("profile.common.tip.wrong_passphrase.fix_3", name=name),
        ),
    )


def expired_tip(name: str, *extra: Text) -> Tip:
    return Tip(
        TipCode.KEY_EXPIRED,
        Text.of("profile.common.tip.key_expired.problem"),
        (
            Text.of("profile.common.tip.key_expired.fix_1", name=name),
            Text.of("profile.common.tip.key_expired.fix_2"),
            Text.of("profile.common.tip.key_expired.fix_3"),
            *extra,
        ),
    )


def ip_tip(name: str) -> Tip:
    return Tip(
        TipCode.IP_NOT_ALLOWED,
        Text.of("profile.common.tip.ip_not_allowed.problem", name=name),
        (
            Text.of("profile.common.tip.ip_not_allowed.fix_1"),
            Text.of("profile.common.tip.ip_not_allowed.fix_2"),
        ),
    )


def missing_permission_tip(name: str, permission: Text) -> Tip:
    return Tip(
        TipCode.MISSING_PERMISSION,
        Text.of("profile.common.tip.missing_permission.problem"),
        (
            Text.of("profile.common.tip.missing_permission.fix_1", name=name, permission=permission),
            Text.of("profile.common.tip.missing_permission.fix_2"),
        ),
    )


def too_many_permissions_tip(name: str) -> Tip:
    return Tip(
        TipCode.TOO_MANY_PERMISSIONS,
        Text.of("profile.common.tip.too_many_permissions.problem"),
        (
            Text.of("profile.common.tip.too_many_permissions.fix_1", name=name),
            Text.of("profile.common.tip.too_many_permissions.fix_2"),
        ),
    )


def clock_tip() -> Tip:
    return Tip(
        TipCode.CLOCK_SKEW,
        Text.of("profile.common.tip.clock_skew.problem"),
        (Text.of("profile.common.tip.clock_skew.fix_1"),),
    )


def rate_limited_tip(name: str) -> Tip:
    return Tip(
        TipCode.RATE_LIMITED,
        Text.of("profile.common.tip.rate_limited.problem"),
        (
            Text.of("profile.common.tip.rate_limited.fix_1", name=name),
            Text.of("profile.common.tip.rate_limited.fix_2"),
        ),
    )


def missing_history_tip(name: str, reach: Text) -> Tip:
    return Tip(
        TipCode.MISSING_HISTORY,
        Text.of("profile.common.tip.missing_history.problem"),
        (reach, Text.of("profile.common.tip.missing_history.fix_2", name=name)),
    )


def fewer_transactions_tip(*fixes: Text) -> Tip:
    return Tip(
        TipCode.FEWER_TRANSACTIONS,
        Text.of("profile.common.tip.fewer_transactions.problem"),
        (
            *fixes,
            Text.of("profile.common.tip.fewer_transactions.fix_2"),
            Text.of("profile.common.tip.fewer_transactions.fix_3"),
        ),
    )
