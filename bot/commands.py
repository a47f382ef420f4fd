"""The command menu Telegram shows beside the text field, one per language (setMyCommands' `language_code`).

The English list is the default (no language code): Telegram shows it to every user whose app language has no list
of its own. Each other catalogue gets its own list, worded from its catalogue, so a user whose Telegram is in
Japanese reads the Japanese descriptions.
"""

from __future__ import annotations

from telegram import Bot, BotCommand

from i18n import SOURCE_LOCALE, languages, msgid, t

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", msgid("command.start.description")),
    ("connect", msgid("command.connect.description")),
    ("sync", msgid("command.sync.description")),
    ("status", msgid("command.status.description")),
    ("keys", msgid("command.keys.description")),
    ("upload", msgid("command.upload.description")),
    ("export", msgid("command.export.description")),
    ("cancel", msgid("command.cancel.description")),
    ("help", msgid("command.help.description")),
    ("troubleshoot", msgid("command.troubleshoot.description")),
    ("settings", msgid("command.settings.description")),
)


def command_menu(locale: str) -> list[BotCommand]:
    return [BotCommand(name, t(description, locale=locale)) for name, description in COMMANDS]


async def publish_command_menus(bot: Bot) -> None:
    """The default (English) menu, then one per other language Tallybot has a catalogue for."""
    await bot.set_my_commands(command_menu(SOURCE_LOCALE))
    for locale in languages():
        if locale != SOURCE_LOCALE:
            await bot.set_my_commands(command_menu(locale), language_code=locale)


COMMAND_NAMES = frozenset(name for name, _ in COMMANDS)


def names_a_command(text: str) -> bool:
    """Whether a message is one of Tallybot's commands ("/sync", "/sync@SomeBot args").

    Anything else that starts with a slash is not a command to Tallybot: at the Assistant's key step it is the key
    (a base64 secret starts with "/" about once in 64 tries), elsewhere an unknown command.
    """
    if not text.startswith("/"):
        return False
    word = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    return word.split("@", 1)[0].lower() in COMMAND_NAMES
