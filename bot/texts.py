"""The shared texts by their old names, read from the catalogue (i18n/locales/en/LC_MESSAGES/tallybot.po).

Transitional: each name here is the English of one catalogue entry, for the modules that still read a constant.
A template with `{fields}` is the raw entry that its caller still fills with `.format()`; a module that moves to
`t("id", ...)` (or a `Text`) stops reading it, and the name goes when nobody reads it. New texts go to the
catalogue only, never here.
"""

from __future__ import annotations

from bot.commands import COMMANDS
from i18n import msgid, t
from i18n.catalogue import SOURCE_LOCALE, translations


def _template(identifier: str) -> str:
    """The unfilled English of an entry whose caller still calls `.format()` itself."""
    return translations(SOURCE_LOCALE).gettext(identifier)


BOT_COMMANDS: tuple[tuple[str, str], ...] = tuple((name, t(description)) for name, description in COMMANDS)

UNKNOWN_COMMAND = t("fallback.unknown_command")
PLAIN_TEXT_HINT = t("fallback.plain_text")
NOT_ALLOWED = t("gate.not_allowed")
STALE_BUTTON = t("button.stale")
INTERNAL_ERROR = t("error.internal")
UPLOAD_PROGRESS = _template(msgid("upload.progress"))
UPLOAD_REJECTED = _template(msgid("upload.rejected"))
KEY_NOT_DELETED = t("key_guard.not_deleted")
