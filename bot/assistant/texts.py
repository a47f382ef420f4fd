"""What the Assistant says (HTML). Every value that came from a user or an exchange is escaped here."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.texts import KEY_NOT_DELETED
from connectors.profiles import CredentialField, ExchangeProfile, KeyType

PICK = (
    "🧭 <b>Connect your exchanges</b>\n\n"
    "Tap every exchange you trade on, then <b>Confirm exchanges</b>. Not in the list? Type its name "
    "(spelling mistakes are fine).\n\n{selected}"
)
NOTHING_PICKED = "Tap at least one exchange first."
NO_MATCH = "I found no exchange by that name. Check the spelling, or page through the list."
SEARCH_RESULTS = "Exchanges matching “{query}”:"
UNSUPPORTED = "{reason}"


def selected_line(names: list[str]) -> str:
    return "Selected: " + ", ".join(f"<b>{escape(name)}</b>" for name in names) if names else "Nothing selected yet."


def exchange_intro(profile: ExchangeProfile, position: int, total: int) -> str:
    """Alerts first (they matter most), then how to make a read-only key, notes, and the safety reminder."""
    parts = [f"<b>{escape(profile.name)}</b> ({position} of {total})"]
    if profile.best_effort:
        parts.append("ℹ️ Tallybot has no hand-written guide for this exchange: syncing is best effort.")
    if profile.alerts:
        parts.append("⚠️ <b>Alerts</b>\n" + "\n".join(f"• {escape(alert)}" for alert in profile.alerts))
    if profile.integration_steps:
        steps = "\n".join(f"{n}. {escape(step)}" for n, step in enumerate(profile.integration_steps, 1))
        parts.append(f"🛠 <b>Create a read-only API key</b>\n{steps}")
    if profile.api_management_url:
        parts.append(f'🔗 <a href="{escape(profile.api_management_url, quote=True)}">Open the API page</a>')
    if profile.important_notes:
        parts.append("📌 <b>Important</b>\n" + "\n".join(f"• {escape(note)}" for note in profile.important_notes))
    parts.append(
        "🔒 Never enable withdrawals (or trading) on this key, and choose <b>no IP restriction</b>: "
        "Tallybot only reads your history."
    )
    return "\n\n".join(parts)


CHOOSE_KEY_TYPE = "Which kind of key did you create on {exchange}?"


def key_type_line(key_type: KeyType) -> str:
    return f"<b>{escape(key_type.label)}</b>: {escape(key_type.description)}"


def ask_field(exchange: str, field: CredentialField, number: int, total: int) -> str:
    hint = f"\n<i>{escape(field.hint)}</i>" if field.hint else ""
    return (
        f"🔑 {escape(exchange)} — step {number} of {total}: paste your <b>{escape(field.label)}</b>.{hint}\n"
        "I delete your message as soon as I receive it."
    )


FIELD_RECEIVED = "✅ {label} {fingerprint} received, message deleted."
FIELD_RECEIVED_NOT_DELETED = (
    "⚠️ {label} {fingerprint} received, but I could not delete your message. Please delete it yourself now, "
    "and as it stayed visible in this chat, consider creating a new key on the exchange afterwards."
)
FIELD_REJECTED = "✋ {problem}\nYour message was deleted. Please paste the {label} again."
FIELD_INNER_SPACES = "The {label} contains spaces: copy it again with the copy button on the exchange's page."
FIELD_DUPLICATE = "That is the same value as your {other}. Paste the {label} here."


def review(profile: ExchangeProfile, key_type: KeyType, fingerprint: str, account_name: str, extras: str) -> str:
    kind = "" if len(profile.key_types) == 1 else f" ({escape(key_type.label)})"
    return (
        f"📋 <b>{escape(profile.name)}</b>{kind}\n"
        f"API key: <code>{escape(fingerprint)}</code>\n"
        f"Account name: <b>{escape(account_name)}</b>{extras}\n\n"
        "Check the key and connect, or open the advanced options first."
    )


def advanced(account_name: str, subaccount: str | None, sync_from: str | None) -> str:
    return (
        "⚙️ <b>Advanced options</b>\n"
        f"Account name: <b>{escape(account_name)}</b>\n"
        f"Subaccount: {escape(subaccount) if subaccount else 'not set'} (a label only: the key decides which "
        "account is read)\n"
        f"Sync from: {escape(sync_from) if sync_from else 'as far back as the exchange allows'}\n\n"
        "Tick the kinds of history to sync:"
    )


ASK_NAME = "Send the name for this account (for example “Bitget main”)."
ASK_SUBACCOUNT = (
    "Send the subaccount name this key belongs to, as a label for your records, or /cancel to stop. It does not "
    "change what Tallybot reads: a key reads only the account it was created on. To sync another subaccount, "
    "create a read-only key on it and connect it as an account of its own."
)
ASK_DATE = "Send the date to sync from as YYYY-MM-DD (for example 2023-01-01)."
BAD_DATE = "That is not a date I can read. Send it as YYYY-MM-DD, for example 2023-01-01."
FUTURE_DATE = "That date is in the future. Send a date in the past, as YYYY-MM-DD."
BAD_SUBACCOUNT = "A subaccount name is 1–64 characters without line breaks."
NO_ENDPOINT = "Keep at least one kind of history ticked."

CHECKING = "🔎 Checking your key with {exchange}…"


def connected(
    account_name: str, exchange: str, verified: bool, expires_at: datetime | None, ip_restricted: bool | None
) -> str:
    lines = [f"✅ <b>{escape(account_name)}</b> is connected to {escape(exchange)}."]
    lines.append("Read-only ✓" if verified else "Read-only: not verifiable on this exchange (see the note below)")
    if expires_at is not None:
        lines.append(f"Key expires on {expires_at:%Y-%m-%d}: replace it before then with /keys.")
    if ip_restricted is not None:
        lines.append("IP restriction: on" if ip_restricted else "IP restriction: none ✓")
    return "\n".join(lines)


def warnings_block(warnings: tuple[str, ...]) -> str:
    return "\n".join(f"⚠️ {escape(warning)}" for warning in warnings)


def failure(title: str, explanation: str, tips: tuple[str, ...]) -> str:
    tip_lines = "\n".join(f"• {escape(tip)}" for tip in tips)
    return f"❌ <b>{escape(title)}</b>\n{escape(explanation)}" + (
        f"\n\n<b>What to try</b>\n{tip_lines}" if tips else ""
    )


def summary(connected_names: list[str], skipped: list[str]) -> str:
    lines = ["🎉 <b>All done.</b>"]
    if connected_names:
        lines.append("Connected: " + ", ".join(f"<b>{escape(name)}</b>" for name in connected_names))
    if skipped:
        lines.append("Skipped: " + ", ".join(escape(name) for name in skipped))
    if not connected_names:
        lines = ["Nothing was connected this time. Send /connect whenever you are ready."]
    else:
        lines.append("Manage your keys any time with /keys.")
    return "\n".join(lines)


CANCELLED = "Cancelled. Everything you entered in this flow was wiped; nothing was stored."
NOTHING_TO_CANCEL = "There is nothing to cancel."
TIMED_OUT = (
    "⌛ Your unfinished connection was wiped after {minutes} minutes without a reply; nothing was stored. "
    "Send /connect to start again."
)
RESUMED = "🔄 I was restarted while you were connecting {exchange}. Let's carry on where you were:"
RESUMED_PICK = "🔄 I was restarted while you were choosing exchanges. Let's carry on:"
USE_BUTTONS = "Please use the buttons above, or send /cancel to stop."
EXPIRED_MENU = "This menu has expired."
GROUP_KEY_REFUSED = (
    "🚫 Never paste API keys in a group. I tried to delete that message. Treat the key as exposed: delete it "
    "on the exchange and create a new one, then send it to me in a private chat."
)
UNEXPECTED_KEY_NOT_DELETED = KEY_NOT_DELETED  # one warning wherever a stray key could not be deleted

# --- /keys -----------------------------------------------------------------------------------------------

KEYS_EMPTY = "You have no connected accounts yet. Send /connect to add one."
KEYS_HEADER = "🔑 <b>Your accounts</b>\nTap one to rename it, replace its key, change its options or delete it."
KEY_GONE = "That account no longer exists."
RENAME_ASK = "Send the new name for <b>{name}</b>."
RENAMED = "✅ Renamed to <b>{name}</b>."
REPLACE_INTRO = "Replacing the key of <b>{name}</b>: its history and sync progress stay as they are."
REPLACED = "✅ The key of <b>{name}</b> was replaced."
OPTIONS_SAVED = "✅ Options of <b>{name}</b> saved."
DELETE_ASK = (
    "Delete <b>{name}</b>?\n\n• <b>Delete the key only</b>: the key is erased; the {count} synced "
    "transactions stay and can still be exported.\n• <b>Delete everything</b>: the key and those {count} "
    "transactions are erased."
)
DELETED_KEY_ONLY = "🗑 The key of <b>{name}</b> was erased. Its {count} transactions are kept."
DELETED_ALL = "🗑 <b>{name}</b> was deleted with its {count} transactions."
KEPT = "Nothing was deleted."


def key_line(name: str, exchange: str, fingerprint: str | None, status: str) -> str:
    key = f"key <code>{escape(fingerprint)}</code>" if fingerprint else "no key (history kept)"
    return f"• <b>{escape(name)}</b> — {escape(exchange)}, {key}, {escape(status.replace('_', ' '))}"


def key_detail(name: str, exchange: str, fingerprint: str | None, subaccount: str | None, sync_from: str | None) -> str:
    lines = [f"<b>{escape(name)}</b> ({escape(exchange)})"]
    lines.append(f"API key: <code>{escape(fingerprint)}</code>" if fingerprint else "No key: history only")
    if subaccount:
        lines.append(f"Subaccount: {escape(subaccount)}")
    if sync_from:
        lines.append(f"Sync from: {escape(sync_from)}")
    return "\n".join(lines)
