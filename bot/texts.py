"""The shared texts by their old names, read from the catalogue (i18n/locales/en/LC_MESSAGES/tallybot.po).

Transitional: each name here is the English of one catalogue entry, for the modules that still read a constant.
A template with `{fields}` is the raw entry that its caller still fills with `.format()`; a module that moves to
`t("id", ...)` (or a `Text`) stops reading it, and the name goes when nobody reads it. New texts go to the
catalogue only, never here.
"""

from __future__ import annotations

from i18n import msgid, t
from i18n.catalogue import SOURCE_LOCALE, translations


def _template(identifier: str) -> str:
    """The unfilled English of an entry whose caller still calls `.format()` itself."""
    return translations(SOURCE_LOCALE).gettext(identifier)


BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", t("command.start.description")),
    ("connect", t("command.connect.description")),
    ("sync", t("command.sync.description")),
    ("status", t("command.status.description")),
    ("keys", t("command.keys.description")),
    ("upload", t("command.upload.description")),
    ("export", t("command.export.description")),
    ("cancel", t("command.cancel.description")),
    ("help", t("command.help.description")),
    ("troubleshoot", t("command.troubleshoot.description")),
    ("settings", t("command.settings.description")),
)

WELCOME = t("start.welcome")
UNKNOWN_COMMAND = t("fallback.unknown_command")
PLAIN_TEXT_HINT = t("fallback.plain_text")
NOT_ALLOWED = t("gate.not_allowed")
STALE_BUTTON = t("button.stale")
INTERNAL_ERROR = t("error.internal")
NO_ACCOUNTS = t("sync.no_accounts")
NO_SUCH_ACCOUNT = _template(msgid("sync.no_such_account"))
SYNC_STARTED = t("sync.started")
SYNC_ALREADY_RUNNING = _template(msgid("sync.already_running"))
SYNC_ALREADY_RUNNING_ELSEWHERE = _template(msgid("sync.already_running_elsewhere"))
SYNC_NO_KEY = _template(msgid("sync.no_key"))
SYNC_FINISHED = _template(msgid("sync.finished"))
LOOKBACK_POINTER = t("sync.lookback_pointer")
STATUS_HEADER = _template(msgid("status.header"))
UPLOAD_HELP = _template(msgid("upload.help"))
UPLOAD_TEMPLATE_CAPTION = t("upload.template_caption")
UPLOAD_WHICH_ACCOUNT = _template(msgid("upload.which_account"))
UPLOAD_WHICH_EXCHANGE = t("upload.which_exchange")
UPLOAD_WHICH_FORMAT = _template(msgid("upload.which_format"))
UPLOAD_TOO_LARGE = _template(msgid("upload.too_large"))
UPLOAD_READING = _template(msgid("upload.reading"))
UPLOAD_PROGRESS = _template(msgid("upload.progress"))
UPLOAD_DONE = _template(msgid("upload.done"))
UPLOAD_SKIPPED = _template(msgid("upload.skipped"))
UPLOAD_REJECTED = _template(msgid("upload.rejected"))
UPLOAD_FAILED = _template(msgid("upload.failed"))
EXPORT_CHOOSE_FORMAT = _template(msgid("export.choose_format"))
EXPORT_CHOOSE_SCOPE = t("export.choose_scope")
EXPORT_BAD_DATES = t("export.bad_dates")
EXPORT_NOTHING = t("export.nothing")
EXPORT_CAPTION = _template(msgid("export.caption"))
KEY_NOT_DELETED = t("key_guard.not_deleted")
