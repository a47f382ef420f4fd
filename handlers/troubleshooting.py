"""The troubleshooting menu (/help troubleshooting, /troubleshoot): common problems, tips for the user's exchanges."""

from __future__ import annotations

from enum import StrEnum

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.context import services
from bot.troubleshooting import TOPICS, answer, title, topic
from connectors.profiles import ExchangeProfile, get_profile
from handlers import outbound
from handlers.callbacks import TROUBLESHOOTING
from handlers.locale import locale_of
from i18n import t


class Page(StrEnum):
    """What a troubleshooting button's topic field holds besides a topic's id."""

    MENU = "menu"  # the "« All problems" button


def menu(locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[TROUBLESHOOTING.button(title(topic, locale), topic.id)] for topic in TOPICS])


async def users_profiles(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[ExchangeProfile]:
    user = update.effective_user
    if user is None:
        return []
    seen: dict[str, ExchangeProfile] = {}
    for summary in await services(context).integrations.list(user.id):
        if summary.exchange_id not in seen:
            try:
                seen[summary.exchange_id] = get_profile(summary.exchange_id)
            except LookupError:
                continue
    return list(seen.values())


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is not None:
        locale = await locale_of(update, context)
        await outbound.send(context.bot, chat.id, t("troubleshooting.menu", locale=locale), menu(locale))


async def on_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    fields = TROUBLESHOOTING.parse(query.data)
    if fields is not None and fields[0] == Page.MENU:
        await on_menu(update, context)
        return
    chosen = None if fields is None else topic(fields[0])
    locale = await locale_of(update, context)
    if chosen is None:
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    await query.answer()
    back = InlineKeyboardMarkup([[TROUBLESHOOTING.button(t("troubleshooting.back", locale=locale), Page.MENU)]])
    await outbound.edit_pressed(query, answer(chosen, await users_profiles(update, context), locale), back)


async def on_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer()
        locale = await locale_of(update, context)
        await outbound.edit_pressed(query, t("troubleshooting.menu", locale=locale), menu(locale))


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("troubleshoot", show_menu, filters=private))
    application.add_handler(CallbackQueryHandler(on_topic, pattern=TROUBLESHOOTING.pattern))
