"""/start and /help, and the pointer to the private chat for commands sent in a group."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot import texts
from bot.context import services
from handlers.replies import reply

PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and register them on first contact."""
    if update.effective_user is not None:
        await services(context).users.register(update.effective_user.id)
    await reply(update, texts.WELCOME)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what Tallybot does and how its keys are protected."""
    await reply(update, texts.HELP)


async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Commands in a group get a pointer to the private chat, and nothing else."""
    await reply(update, texts.GROUP_NOT_SUPPORTED.format(username=context.bot.username))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", start, filters=PRIVATE))
    application.add_handler(CommandHandler("help", help_command, filters=PRIVATE))
    application.add_handler(MessageHandler(GROUPS & filters.COMMAND, in_group))
