"""Building blocks shared by the hand-written profiles: field shapes, tips and sentences said for every exchange.

Each exchange module still writes its own steps and alerts; only wording that is truly the same lives here.
"""

from __future__ import annotations

from datetime import timedelta

from connectors.profiles.model import CredentialField, PermissionCheck, Tip, TipCode

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ALNUM = r"[A-Za-z0-9]+"


def api_key(
    *, min_length: int = 8, max_length: int = 128, pattern: str | None = ALNUM, hint: str = "", label: str = "API key"
) -> CredentialField:
    return CredentialField("apiKey", label, min_length, max_length, False, pattern, hint)


def secret(
    *,
    min_length: int = 16,
    max_length: int = 256,
    pattern: str | None = ALNUM,
    hint: str = "",
    label: str = "Secret key",
) -> CredentialField:
    return CredentialField("secret", label, min_length, max_length, True, pattern, hint)


def passphrase(
    *, label: str = "Passphrase", hint: str = "the passphrase you chose when creating the key"
) -> CredentialField:
    # The user chose it, so only its length is bounded; rules changed over the years and old keys still work.
    return CredentialField("password", label, 1, 128, True, None, hint)


# ---------------------------------------------------------------------------------------------- sentences


def never_withdraw(name: str) -> str:
    return f"Never give the key permission to withdraw or trade: Tallybot only reads your {name} history."


def secret_once(name: str, what: str = "secret key") -> str:
    return (
        f"{name} shows the {what} only once. Copy it straight into this chat; if you lose it, delete the key "
        "and make a new one."
    )


def no_ip_restriction(name: str) -> str:
    return (
        f"When {name} asks about IP addresses, choose no IP restriction. Tallybot does not have fixed "
        "addresses to give you, so a key limited to certain IPs will be refused."
    )


def file_upload_pointer(name: str, what: str) -> str:
    return f"{what} Download your full history from {name} and add it with a file upload."


NO_PERMISSION_CHECK_IP = PermissionCheck(
    None, (), "This exchange does not tell apps whether a key is limited to certain IP addresses."
)


# ---------------------------------------------------------------------------------------------- tips


def invalid_key_tip(name: str, *extra: str) -> Tip:
    return Tip(
        TipCode.INVALID_KEY,
        f"{name} says the API key is invalid",
        (
            "Copy and paste the key and secret again, straight from the exchange, never by typing them: "
            "one wrong character is enough to fail.",
            "Check that nothing is missing at either end and that there is no extra space.",
            "If you have several keys, make sure the key and the secret belong to the same pair.",
            "Check on the exchange that the key still exists and has not been deleted.",
            *extra,
        ),
    )


def wrong_passphrase_tip(name: str) -> Tip:
    return Tip(
        TipCode.WRONG_PASSPHRASE,
        f"{name} says the passphrase is wrong",
        (
            "The passphrase is the one you typed yourself when you created this key, not your login password.",
            "It is case-sensitive: check capital letters.",
            f"If you have forgotten it, {name} cannot show it again: delete the key and create a new one.",
        ),
    )


def expired_tip(name: str, *extra: str) -> Tip:
    return Tip(
        TipCode.KEY_EXPIRED,
        "The key stopped working or has expired",
        (
            f"Log in to {name} and check the key's status on the API page.",
            "Exchanges often disable keys after a password change or another security event.",
            "Create a new read-only key and update it in Tallybot: the old one cannot be revived.",
            *extra,
        ),
    )


def ip_tip(name: str) -> Tip:
    return Tip(
        TipCode.IP_NOT_ALLOWED,
        f"{name} refuses the key because of an IP restriction",
        (
            "Edit the key (or create a new one) and choose no IP restriction.",
            "Tallybot has no fixed IP address you could add to an allow-list.",
        ),
    )


def missing_permission_tip(name: str, permission: str) -> Tip:
    return Tip(
        TipCode.MISSING_PERMISSION,
        "The key is missing a read permission",
        (f"Edit the key on {name} and make sure {permission} is ticked.", "Save, then try again in Tallybot."),
    )


def too_many_permissions_tip(name: str) -> Tip:
    return Tip(
        TipCode.TOO_MANY_PERMISSIONS,
        "Tallybot refused the key because it can trade or withdraw",
        (
            f"Edit the key on {name} and untick every trading, transfer and withdrawal permission.",
            "If the exchange does not let you change it, delete the key and create a read-only one.",
        ),
    )


def clock_tip() -> Tip:
    return Tip(
        TipCode.CLOCK_SKEW,
        "The exchange says the request time is wrong",
        ("This is on our side and usually passes by itself. Try the sync again in a few minutes.",),
    )


def rate_limited_tip(name: str) -> Tip:
    return Tip(
        TipCode.RATE_LIMITED,
        "The sync stopped part-way",
        (
            f"{name} limits how many requests an app may send. What was fetched is kept.",
            "Run the sync again in a few hours: it carries on where it stopped.",
        ),
    )


def missing_history_tip(name: str, reach: str) -> Tip:
    return Tip(
        TipCode.MISSING_HISTORY,
        "Older transactions are missing",
        (reach, f"Download your older history from {name} and add it with a file upload."),
    )


def fewer_transactions_tip(*fixes: str) -> Tip:
    return Tip(
        TipCode.FEWER_TRANSACTIONS,
        "There are fewer transactions than expected",
        (
            *fixes,
            "Check in the integration's settings that every kind of history you used is switched on.",
            "Some kinds (bots, P2P, card purchases) are not in the exchange's API at all: add them by file upload.",
        ),
    )
