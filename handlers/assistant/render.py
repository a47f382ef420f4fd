"""An Assistant Outcome shown in Telegram: the check report, the notes, the intro, the screen, the summary, in that
order."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.assistant.drafts import Draft
from bot.assistant.results import CheckReport, Outcome, Screen, ScreenKind, Summary
from bot.assistant.service import Assistant
from bot.context import services
from connectors.profiles import get_profile
from handlers import outbound
from handlers.assistant import texts, views
from handlers.callbacks import SYNC, sync_data
from handlers.locale import locale_of, locale_of_user
from i18n import t


def assistant_of(context: ContextTypes.DEFAULT_TYPE) -> Assistant:
    svc = services(context)
    return Assistant(
        svc.drafts, svc.integrations, svc.users, svc.pool, allow_trading_keys=svc.settings.allow_trading_keys
    )


async def render(
    update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome, *, status: Message | None = None
) -> None:
    """Show what a use case returned, in the user's locale. `status` is the "checking your key" message a check
    report replaces."""
    locale = await _locale(update, context, outcome)
    if outcome.report is not None and status is not None:
        await _report(context, status, outcome.draft, outcome.report, locale)
    chat_id = _chat_id(update, outcome)
    if chat_id is not None:
        for note in outcome.notes:
            await outbound.send(context.bot, chat_id, texts.html(note, locale))
        if outcome.intro is not None:
            await outbound.send(context.bot, chat_id, texts.exchange_intro(outcome.intro, locale))
    if outcome.screen is not None:
        await _show(update, context, outcome.draft, outcome.screen, locale)
    if outcome.summary is not None and chat_id is not None:
        await _summary(context, chat_id, outcome.summary, locale)


async def _locale(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome) -> str:
    """The presser's locale; a flow resumed after a restart (no update) reads its owner's."""
    if update.effective_user is None and outcome.draft is not None:
        return await locale_of_user(context, outcome.draft.telegram_user_id)
    return await locale_of(update, context)


def _chat_id(update: Update, outcome: Outcome) -> int | None:
    if outcome.draft is not None:
        return outcome.draft.chat_id
    return update.effective_chat.id if update.effective_chat is not None else None


async def _show(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft | None, screen: Screen, locale: str
) -> None:
    """Edit the pressed menu in place when asked and possible; else send the screen as a new menu."""
    query = update.callback_query
    if screen.kind == ScreenKind.CANCELLED:
        if query is not None:
            await outbound.edit_pressed(query, t("assistant.cancelled", locale=locale))
        return
    if draft is None:
        return
    view = views.screen_view(draft, screen, locale)
    if screen.edit and query is not None and isinstance(query.message, Message):
        # A press on an older copy of the menu that already shows this state changes nothing, quietly.
        await outbound.edit_pressed(query, view.text, view.keyboard)
    else:
        await outbound.send(context.bot, draft.chat_id, view.text, view.keyboard)


async def _report(
    context: ContextTypes.DEFAULT_TYPE, status: Message, draft: Draft | None, report: CheckReport, locale: str
) -> None:
    keyboard: InlineKeyboardMarkup | None = None
    if report.connected is not None:
        done = report.connected
        text = texts.connected(
            done.account_name,
            get_profile(done.exchange_id).name,
            done.permissions_verified,
            done.expires_at,
            done.ip_restricted,
            locale,
        )
        if done.warnings:
            text += "\n\n" + texts.warnings_block(done.warnings, locale)
        sync_now = InlineKeyboardButton(
            t("assistant.button.sync_now", locale=locale), callback_data=sync_data([done.integration_id])
        )
        keyboard = InlineKeyboardMarkup([[sync_now]])
    elif report.diagnosis is not None and draft is not None:
        diagnosis = report.diagnosis
        title, explanation, tips = (
            diagnosis.title_in(locale),
            diagnosis.explanation_in(locale),
            diagnosis.tips_in(locale),
        )
        text = texts.failure(title, explanation, tips, locale)
        keyboard = views.failure_keyboard(draft, report.retries, locale)
    elif report.problem is not None:
        text = texts.html(report.problem, locale)
    else:
        return
    await outbound.edit(context.bot, status.chat_id, status.message_id, text, keyboard)


async def _summary(context: ContextTypes.DEFAULT_TYPE, chat_id: int, summary: Summary, locale: str) -> None:
    names, ids = list(summary.connected_names), list(summary.integration_ids)
    keyboard = None
    # Too many accounts for one button's 64 bytes: they are synced with /sync instead.
    if names and SYNC.fits(",".join(str(i) for i in ids)):
        label = (
            t("assistant.button.sync_all", locale=locale)
            if len(names) > 1
            else t("assistant.button.sync_now", locale=locale)
        )
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=sync_data(ids))]])
    await outbound.send(context.bot, chat_id, texts.summary(names, list(summary.skipped_names), locale), keyboard)
