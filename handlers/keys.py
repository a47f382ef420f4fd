"""/keys: the user's integrations; rename, replace a key, change options, delete (with confirmation)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.assistant.state import Mode
from bot.context import services
from bot.integrations import IntegrationNotFound, IntegrationSummary
from connectors.profiles import get_profile
from handlers import autosync, outbound
from handlers.assistant import texts
from handlers.assistant.render import assistant_of, render
from handlers.callbacks import KEYS
from handlers.locale import locale_of
from i18n import t, tn

FLOWS = {"ren": Mode.RENAME, "rep": Mode.REPLACE, "opt": Mode.OPTIONS}


def _button(label: str, action: str, integration_id: int, argument: str = "") -> InlineKeyboardButton:
    return KEYS.button(label, action, integration_id, argument)


def _exchange_name(exchange_id: str) -> str:
    try:
        return get_profile(exchange_id).name
    except LookupError:
        return exchange_id


async def list_keys(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every integration of the user, one button each."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    locale = await locale_of(update, context)
    summaries = await services(context).integrations.list(user.id)
    if not summaries:
        await outbound.send(context.bot, chat.id, t("assistant.keys.empty", locale=locale))
        return
    lines = [t("assistant.keys.header", locale=locale), ""]
    lines += [
        texts.key_line(s.account_name, _exchange_name(s.exchange_id), s.fingerprint, s.status, locale)
        for s in summaries
    ]
    keyboard = InlineKeyboardMarkup(
        [
            [_button(t("assistant.keys.button.open", locale=locale, name=s.account_name), "open", s.id)]
            for s in summaries
        ]
    )
    await outbound.send(context.bot, chat.id, "\n".join(lines), keyboard)


def _detail_keyboard(
    summary: IntegrationSummary, locale: str, auto_sync: list[InlineKeyboardButton]
) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(t("assistant.keys.button.rename", locale=locale), "ren", summary.id),
            _button(t("assistant.keys.button.replace", locale=locale), "rep", summary.id),
        ],
        [
            _button(t("assistant.keys.button.options", locale=locale), "opt", summary.id),
            _button(t("assistant.keys.button.delete", locale=locale), "del", summary.id),
        ],
    ]
    if summary.fingerprint is not None and auto_sync:  # without a key there is nothing to sync by itself
        rows.append(auto_sync)
    return InlineKeyboardMarkup(rows)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every /keys button. The integration is looked up for the presser: another user's id finds nothing."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    locale = await locale_of(update, context)
    fields = KEYS.parse(query.data)
    if fields is None:  # forged, or from a menu of another version
        await query.answer(t("assistant.alert.expired_menu", locale=locale), show_alert=True)
        return
    action, integration_id, argument = fields[0], int(fields[1]), fields[2]
    svc = services(context)
    try:
        summary = await svc.integrations.get(user.id, integration_id)
    except IntegrationNotFound:
        await query.answer(t("assistant.alert.expired_menu", locale=locale), show_alert=True)
        await list_keys(update, context)
        return
    if action in ("auto", "autod") and not await autosync.choose(context, summary, argument):
        # Pressed after the account's key (or the account) was removed: nothing stored, so nothing is confirmed.
        await query.answer(t("assistant.alert.expired_menu", locale=locale), show_alert=True)
        if action == "auto":  # the /keys menu it came from is out of date
            await list_keys(update, context)
        return
    await query.answer()
    name = summary.account_name
    if action in ("open", "auto"):
        detail = texts.key_detail(
            name,
            _exchange_name(summary.exchange_id),
            summary.fingerprint,
            summary.options.subaccount,
            summary.options.sync_from.isoformat() if summary.options.sync_from else None,
            locale,
        )
        auto_sync = await autosync.cadence_row(context, summary.id, locale)
        await outbound.edit_pressed(query, detail, _detail_keyboard(summary, locale, auto_sync))
    elif action in FLOWS:
        # Rename, replace and options are Assistant flows: its prompts, checks and saving apply unchanged.
        await render(update, context, await assistant_of(context).manage(user.id, chat.id, summary, FLOWS[action]))
    elif action == "del":
        await _confirm_delete(update, context, summary, locale)
    elif action == "delx":
        deleted = await svc.integrations.delete(user.id, summary.id, keep_history=argument != "all")
        count = await _count(context, user.id, summary.id) if argument != "all" else deleted
        if argument == "all":
            done = tn("assistant.keys.deleted_all", count, locale=locale, name=escape(name))
        else:
            done = tn("assistant.keys.deleted_key_only", count, locale=locale, name=escape(name))
        await outbound.edit_pressed(query, done)
    elif action == "autod":  # "Sync daily" under a first sync's summary (chosen above): the summary stays
        await outbound.send(context.bot, chat.id, t("autosync.daily_on", locale=locale, name=escape(name)))
    elif action == "keep":
        await outbound.edit_pressed(query, t("assistant.keys.kept", locale=locale))


async def _count(context: ContextTypes.DEFAULT_TYPE, telegram_user_id: int, integration_id: int) -> int:
    return await services(context).integrations.transaction_count(telegram_user_id, integration_id)


async def _confirm_delete(
    update: Update, context: ContextTypes.DEFAULT_TYPE, summary: IntegrationSummary, locale: str
) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    count = await _count(context, user.id, summary.id)
    keyboard = InlineKeyboardMarkup(
        [
            [_button(t("assistant.keys.button.delete_key", locale=locale), "delx", summary.id, "key")],
            [_button(tn("assistant.keys.button.delete_all", count, locale=locale), "delx", summary.id, "all")],
            [_button(t("assistant.keys.button.keep", locale=locale), "keep", summary.id)],
        ]
    )
    text = tn("assistant.keys.delete_ask", count, locale=locale, name=escape(summary.account_name))
    await outbound.edit_pressed(query, text, keyboard)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("keys", list_keys, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(on_button, pattern=KEYS.pattern))
