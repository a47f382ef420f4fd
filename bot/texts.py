"""Every user-facing text in one place (HTML parse mode): wording and later translation change here."""

from __future__ import annotations

BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Start Tallybot and connect an exchange"),
    ("connect", "Connect an exchange account with a read-only key"),
    ("sync", "Sync your accounts now (or /sync Bitget-1)"),
    ("status", "How your accounts synced, and why anything failed"),
    ("keys", "Your accounts: rename, replace a key, options, delete"),
    ("upload", "Add history from an exchange's export file"),
    ("export", "Download your transactions for a tax tool"),
    ("cancel", "Stop what you are doing and wipe what you typed"),
    ("help", "What Tallybot does and how to use it"),
    ("troubleshoot", "Common problems and how to fix them"),
    ("settings", "Your time zone"),
)

WELCOME = (
    "👋 <b>Welcome to Tallybot</b>\n\n"
    "I keep the transaction history of your crypto-exchange accounts in one place: trades, deposits, "
    "withdrawals, converts and rewards, synced through <b>read-only</b> API keys and ready to export "
    "for your tax tool.\n\n"
    "<b>How to begin</b>\n"
    "1. Create a read-only API key on your exchange (never enable withdrawals or trading).\n"
    "2. Paste it here when I ask: I delete every message holding a key at once and store it encrypted.\n"
    "3. Sync whenever you like and check /status.\n\n"
    "Send /help for everything I can do."
)

HELP = (
    "<b>Tallybot</b> syncs your exchange history through read-only API keys.\n\n"
    "<b>Commands</b>\n"
    "/start – welcome and first steps\n"
    "/connect – connect an exchange account\n"
    "/sync – sync all your accounts now (or /sync Bitget-1)\n"
    "/status – how each account synced, and why anything failed\n"
    "/keys – your accounts: rename, replace a key, options, delete\n"
    "/upload – add history from an exchange's export file (or just send the file)\n"
    "/export – download your transactions (Tallybot CSV, Koinly, Cryptact)\n"
    "/settings – your time zone\n"
    "/cancel – stop the current step and wipe what you typed\n"
    "/help troubleshooting – common problems and their fixes\n"
    "/help – this message\n\n"
    "<b>Your keys are safe with me</b>\n"
    "• I only accept read-only keys and refuse keys that can withdraw.\n"
    "• Messages that hold a key or secret are deleted as soon as I receive them.\n"
    "• Keys are stored encrypted (AES-256-GCM) and never shown again, only their last four characters.\n"
    "• Paste keys only in this private chat, never in a group."
)

UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
PLAIN_TEXT_HINT = "I'm not sure what to do with that. Send /start to begin or /help to see what I can do."
GROUP_NOT_SUPPORTED = (
    "I work in private chats only, so that your exchange data stays yours. "
    "Open a private chat with @{username} and send /start there."
)
NOT_ALLOWED = "This Tallybot is private and is not open to your account. Ask its operator for access."
STALE_BUTTON = "This menu has expired. Send /start to begin again."
INTERNAL_ERROR = (
    "Sorry, something went wrong on my side and I couldn't finish that. Nothing you sent was stored in "
    "plain text. Please try again in a moment."
)

SETTINGS = (
    "⚙️ <b>Settings</b>\nTime zone: <b>{zone}</b> (used for the times in /status).\n\n"
    "Pick yours, or type it after the command, e.g. <code>/settings timezone Europe/Paris</code>."
)
TIMEZONE_SET = "✅ Time zone set to <b>{zone}</b>."
UNKNOWN_TIMEZONE = (
    "I don't know that time zone. Use a name like Europe/Paris or America/New_York, or pick one from /settings."
)

# --- /sync and /status --------------------------------------------------------------------------------------

NO_ACCOUNTS = "You have no connected accounts yet. Send /connect to add one."
# The name typed is not repeated: it could be a key pasted after the command.
NO_SUCH_ACCOUNT = "I found no account by that name. Your accounts: {names}."
SYNC_STARTED = "🔄 <b>Syncing…</b>"
SYNC_ALREADY_RUNNING = "⏳ A sync of <b>{name}</b> is already running; here is how far it got:"
SYNC_ALREADY_RUNNING_ELSEWHERE = "⏳ A sync of <b>{name}</b> is already running. Check /status in a minute."
SYNC_NO_KEY = "<b>{name}</b> has no key any more: add one with /keys → Replace key."
SYNC_FINISHED = "🏁 <b>Sync finished</b> in {duration}."
LOOKBACK_POINTER = (
    "📂 Some history could not be reached through the API. Download it from the exchange and send me the file "
    "to fill the gap: I only add what is missing."
)
STATUS_HEADER = "📊 <b>Your accounts</b> (times in {zone})"

# --- files -------------------------------------------------------------------------------------------------

UPLOAD_HELP = (
    "📂 <b>Upload a file</b>\nSend me your exchange's export (CSV or XLSX) as a file, and I add the transactions "
    "the API could not bring. I only add what is missing, so overlapping files are fine.\n\n"
    "Formats I read:\n{formats}\n\nOr fill in Tallybot's own template: /upload template"
)
UPLOAD_TEMPLATE_CAPTION = "Tallybot's template: one transaction per row. The columns are explained in the README."
UPLOAD_WHICH_ACCOUNT = "Which account is <b>{name}</b> for?"
UPLOAD_WHICH_EXCHANGE = "Which exchange is this file from? I'll make a file-only account for it."
UPLOAD_WHICH_FORMAT = "{problem}\nWhich one is it?"
UPLOAD_TOO_LARGE = "This file is {size}; I can import files of up to {limit}. Export a shorter date range."
UPLOAD_READING = "📥 Reading <b>{name}</b>…"
UPLOAD_PROGRESS = "📥 Reading <b>{name}</b>… {done:,} of {total:,} rows"
UPLOAD_DONE = (
    "✅ <b>{title}</b> imported into <b>{account}</b>\nRows read: {rows:,}\nNew: {new:,}\n"
    "Already known (from the API or an earlier file): {known:,}\nRejected: 0"
)
UPLOAD_SKIPPED = "Skipped (not transactions I keep): {skipped:,}"
UPLOAD_REJECTED = (
    "❌ Nothing was imported from <b>{name}</b>: {count:,} row(s) could not be read. Fix them and send the file "
    "again (the first ones):"
)
UPLOAD_FAILED = "❌ {problem}"
EXPORT_CHOOSE_FORMAT = "📤 <b>Export</b>{period}\nWhich format?"
EXPORT_CHOOSE_SCOPE = "Export which account?"
EXPORT_BAD_DATES = (
    "Send the dates as /export YYYY-MM-DD YYYY-MM-DD (from, to), /export since YYYY-MM-DD, or /export for "
    "everything (a format may come first: /export cryptact since 2025-01-01)."
)
EXPORT_NOTHING = "There is nothing to export yet: connect an account with /connect or upload a file."
EXPORT_CAPTION = "{title}: {rows} from {records}{period}."  # "21 rows from 25 transactions"

# Key material outside the key step (handlers/key_guard.py): deleted first, never echoed.
KEY_DELETED = (
    "🔒 That looked like an API key, secret or passphrase (8 or more characters mixing letters and digits), so I "
    "deleted it. I was not expecting one now: to connect an exchange, send /connect and paste each value when I "
    "ask for it."
)
KEY_IN_CAPTION_DELETED = (
    "🔒 The caption looked like an API key, secret or passphrase, so I deleted the message, file included, and did "
    "not read it. Send the file again without a caption."
)
KEY_IN_EDIT_DELETED = (
    "🔒 I deleted your edited message: it could be a key. I only take a key sent as a new message, so paste it "
    "again as a new message."
)
KEY_NOT_DELETED = (
    "⚠️ That looked like an API key, secret or passphrase, but I could not delete it. Please delete it yourself "
    "and, to be safe, replace the key on the exchange."
)
