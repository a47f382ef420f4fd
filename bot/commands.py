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
