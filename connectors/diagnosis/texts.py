"""Every text a diagnosis or a key check shows, in one place. `{name}` is the exchange's display name.

Plain text (handlers escape it for HTML). Nothing here is ever filled from an exchange's error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.diagnosis.model import DiagnosisCode
from connectors.profiles import TipCode


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    explanation: str
    tips: tuple[str, ...]  # generic tips, shown after the profile's own
    tip_codes: tuple[TipCode, ...] = ()  # which of the profile's troubleshooting entries apply
    retryable: bool = False


D = DiagnosisCode

TEMPLATES: Mapping[DiagnosisCode, Template] = {
    D.INVALID_KEY: Template(
        "{name} does not accept this API key",
        "{name} says the API key or the secret key is not valid. Usually one of them was copied incompletely, "
        "the two belong to different keys, or the key was deleted on {name}.",
        (
            "Copy the API key and the secret again, straight from {name}, never by typing them.",
            "If you are not sure which secret belongs to the key, create a new read-only key and use that one.",
        ),
        (TipCode.INVALID_KEY,),
    ),
    D.WRONG_PASSPHRASE: Template(
        "The passphrase is wrong",
        "{name} did not accept the passphrase. It is the one you chose yourself when you created this key, "
        "not your login password, and capital letters matter.",
        ("If you have forgotten the passphrase, delete the key on {name} and create a new one.",),
        (TipCode.WRONG_PASSPHRASE, TipCode.WRONG_KEY_TYPE),
    ),
    D.WRONG_KEY_TYPE: Template(
        "This looks like a different kind of key",
        "{name} refused the key as it was entered. {name} issues more than one kind of key, and this one was "
        "most likely created as the other kind.",
        ("Start again and pick the kind of key you actually created on {name}.",),
        (TipCode.WRONG_KEY_TYPE,),
    ),
    D.KEY_EXPIRED: Template(
        "The key has expired or was disabled",
        "{name} says this key is no longer valid: it has expired, or {name} froze or disabled it (exchanges "
        "often do after a password change or another security event). Such a key cannot be revived.",
        ("Create a new read-only key on {name} and update the integration in Tallybot.",),
        (TipCode.KEY_EXPIRED,),
    ),
    D.KEY_REFUSED: Template(
        "{name} refused the key",
        "{name} refused the key without saying exactly why. It is one of these: the key or the secret is "
        "wrong, the key was deleted or has expired, it is limited to certain IP addresses, or it lacks the "
        "permission to read.",
        (
            "Check on {name}'s API page that the key still exists, can read, and has no IP restriction.",
            "If in doubt, create a new read-only key with no IP restriction and use that one.",
        ),
        (TipCode.INVALID_KEY, TipCode.KEY_EXPIRED, TipCode.IP_NOT_ALLOWED, TipCode.MISSING_PERMISSION),
    ),
    D.IP_NOT_ALLOWED: Template(
        "The key is limited to certain IP addresses",
        "{name} refused the request because this key only works from certain IP addresses. Tallybot has no "
        "fixed address you could add, so the key must have no IP restriction.",
        ('Edit the key on {name} (or create a new one) and choose "no IP restriction" (unrestricted).',),
        (TipCode.IP_NOT_ALLOWED,),
    ),
    D.MISSING_PERMISSION: Template(
        "The key cannot read your history",
        "{name} says this key lacks the permission Tallybot needs to read your account history. Tallybot only "
        "ever needs read access.",
        ("Edit the key on {name} and allow reading, or create a new read-only key.",),
        # Where an exchange has several kinds of key (Bitget), a key of the other kind lacks the permission too.
        (TipCode.MISSING_PERMISSION, TipCode.WRONG_KEY_TYPE),
    ),
    D.TOO_MANY_PERMISSIONS: Template(
        "This key has more rights than Tallybot accepts",
        "Tallybot only reads your history, so it refuses keys that can trade, transfer or withdraw.",
        (
            "Create a new key on {name} with only the read permission ticked, and use that one.",
            "Delete the old key on {name} if you do not need it elsewhere.",
        ),
        (TipCode.TOO_MANY_PERMISSIONS,),
    ),
    D.CLOCK_SKEW: Template(
        "The request time was off",
        "{name} rejected the request because its clock and ours disagree by more than it allows. This is on "
        "our side and usually passes by itself; your key may well be fine.",
        ("Try again in a few minutes.",),
        (TipCode.CLOCK_SKEW,),
        retryable=True,
    ),
    D.RATE_LIMITED: Template(
        "{name} asked Tallybot to slow down",
        "{name} limits how many requests an app may send, and Tallybot reached that limit. What was already "
        "fetched is kept: a sync that stopped here is partial and carries on where it stopped when you run it "
        "again later.",
        ("Run the sync again later: it continues where it stopped.",),
        (TipCode.RATE_LIMITED,),
        retryable=True,
    ),
    D.EXCHANGE_DOWN: Template(
        "{name} is not answering properly",
        "{name}'s API is unavailable or answered with a server error. This is on the exchange's side, not a "
        "problem with your key.",
        ("Try again later.", "Check {name}'s status page or announcements if it lasts."),
        retryable=True,
    ),
    D.MAINTENANCE: Template(
        "{name} is under maintenance",
        "{name} says its API is being upgraded or maintained at the moment. Nothing is wrong with your key.",
        ("Try again once the maintenance is over; {name} usually announces how long it takes.",),
        retryable=True,
    ),
    D.NETWORK_ERROR: Template(
        "Tallybot could not reach {name}",
        "The connection to {name} failed or timed out before {name} answered. This is usually temporary.",
        ("Try again in a few minutes.",),
        retryable=True,
    ),
    D.LOOKBACK_LIMIT: Template(
        "Older history is out of the API's reach",
        "{name}'s API does not return history this old, so Tallybot cannot fetch it.",
        ("Download your older history from {name} and add it with a file upload.",),
        (TipCode.MISSING_HISTORY,),
    ),
    D.ENDPOINT_NOT_OFFERED: Template(
        "{name} does not offer this through its API",
        "This kind of history is not available through {name}'s API, or not for this kind of key or account.",
        (
            "Add this history with a file upload.",
            "Or switch this kind of history off in the integration's settings.",
        ),
    ),
    D.ACCOUNT_RESTRICTED: Template(
        "{name} has restricted your account",
        "{name} says your account is frozen, suspended or restricted, so it refuses API access for now.",
        ("Log in to {name} and check your account's status and messages.",),
    ),
    D.UNREADABLE_RECORD: Template(
        "Tallybot could not read a record from {name}",
        "{name} answered Tallybot's request for {where}, but Tallybot could not read the answer or one of its "
        "records. This is Tallybot's failure, not a problem with your key or your account. Everything synced "
        "before it is kept; this kind of history stops there until Tallybot is fixed.",
        (
            "Nothing needs changing on {name}.",
            "Tell the operator when it happened: the log names the request, never your data.",
            "Meanwhile you can add this history with a file upload.",
        ),
    ),
    D.REQUEST_NOT_FOUND: Template(
        "Tallybot asked {name} at an address it did not know",
        "{name} answered that the address Tallybot used for {where} does not exist. {name}'s API documentation "
        "lists that address, so this is a fault in Tallybot (or a change at {name} that Tallybot has not followed "
        "yet), not a problem with your key or your account.",
        (
            "Nothing needs changing on {name}.",
            "Tell the operator when it happened so they can look it up.",
            "Meanwhile you can add this history with a file upload.",
        ),
    ),
    D.UNKNOWN: Template(
        "Something unexpected went wrong",
        "Tallybot could not tell what went wrong: {name} answered with an error Tallybot does not recognise.",
        ("Try again later.", "If it keeps happening, tell the operator when it happened so they can look it up."),
    ),
}

# How a text names the history when the caller did not say which ({where} in a template).
THIS_HISTORY = "this kind of history"

# Variants of a template's text for a more specific situation.
REFUSED_AFTER_SUCCESS = (
    " If this key worked before, {name} may also have paused it for a while after too many requests: in that "
    "case it works again later by itself."
)
RETRY_AFTER = " {name} asked to wait about {wait} before trying again."
TOO_MANY_WITHDRAW = (
    "This key can withdraw funds. Tallybot refuses such keys: if one ever leaked, your funds could be sent "
    "away. Tallybot only reads your history."
)
TOO_MANY_TRADE = (
    "This key can trade or move funds between accounts. Tallybot only reads your history, so it refuses such keys."
)
WITHDRAW_TIP_DELETE = "Delete this key on {name}: a key that can withdraw should not stay around unused."
LOOKBACK_SINCE = " {name}'s API reaches back to about {reach}."

# Key-check warnings (the check passed, but the user should know).
WARN_TRADING_ALLOWED = (
    "This key can trade. This Tallybot accepts such keys, but it only ever reads: a read-only key would be "
    "safer if it ever leaked."
)
WARN_IP_RESTRICTED = (
    "This key is limited to certain IP addresses. It works now, but stops working if Tallybot's address "
    "changes: choosing no IP restriction avoids that."
)
WARN_EXPIRES = (
    "{name} says this key expires on {date}. Create a new read-only key before then and update it in Tallybot."
)
WARN_TAX_KEY = (
    "{name} makes Tax API keys read-only by design and offers no way to ask about them, so Tallybot relies on "
    "that instead of checking."
)
WARN_UNKNOWN_PERMISSIONS = (
    "{name} lists permissions Tallybot does not recognise; to be safe, Tallybot counts them as trading rights."
)
NOT_VERIFIED_FALLBACK = (
    "{name} has no way for apps to check a key's permissions, so Tallybot cannot verify it: make sure the key "
    "is read-only."
)


def humanize_seconds(seconds: float) -> str:
    """A wait a person can plan around: "40 seconds", "5 minutes", "2 hours"."""
    if seconds < 90:
        value = max(1, round(seconds))
        return f"{value} second{'s' if value != 1 else ''}"
    if seconds < 90 * 60:
        value = round(seconds / 60)
        return f"{value} minute{'s' if value != 1 else ''}"
    value = round(seconds / 3600)
    return f"{value} hour{'s' if value != 1 else ''}"
