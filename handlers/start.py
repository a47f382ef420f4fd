"""/help, and the pointer to the private chat for commands sent in a group."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from handlers import troubleshooting
from handlers.locale import locale_of
from handlers.replies import reply
from i18n import t

PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what Tallybot does and how keys are protected; `/help troubleshooting` opens the problem menu."""
    if context.args and context.args[0].lower().startswith("trouble"):
        await troubleshooting.show_menu(update, context)
        return
    await reply(update, t("help.body", locale=await locale_of(update, context)))


async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Commands in a group get a pointer to the private chat, and nothing else."""
    locale = await locale_of(update, context)
    await reply(update, t("gate.group_not_supported", locale=locale, username=context.bot.username))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("help", help_command, filters=PRIVATE))
    application.add_handler(MessageHandler(GROUPS & filters.COMMAND, in_group))
