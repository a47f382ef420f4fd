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
from i18n import t


def assistant_of(context: ContextTypes.DEFAULT_TYPE) -> Assistant:
    svc = services(context)
    return Assistant(
        svc.drafts, svc.integrations, svc.users, svc.pool, allow_trading_keys=svc.settings.allow_trading_keys
    )


async def render(
    update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome, *, status: Message | None = None
) -> None:
    """Show what a use case returned. `status` is the "checking your key" message a check report replaces."""
    if outcome.report is not None and status is not None:
        await _report(context, status, outcome.draft, outcome.report)
    chat_id = _chat_id(update, outcome)
    if chat_id is not None:
        for note in outcome.notes:
            await outbound.send(context.bot, chat_id, texts.html(note))
        if outcome.intro is not None:
            await outbound.send(context.bot, chat_id, texts.exchange_intro(outcome.intro))
    if outcome.screen is not None:
        await _show(update, context, outcome.draft, outcome.screen)
    if outcome.summary is not None and chat_id is not None:
        await _summary(context, chat_id, outcome.summary)


def _chat_id(update: Update, outcome: Outcome) -> int | None:
    if outcome.draft is not None:
        return outcome.draft.chat_id
    return update.effective_chat.id if update.effective_chat is not None else None


async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft | None, screen: Screen) -> None:
    """Edit the pressed menu in place when asked and possible; else send the screen as a new menu."""
    query = update.callback_query
    if screen.kind == ScreenKind.CANCELLED:
        if query is not None:
            await outbound.edit_pressed(query, t("assistant.cancelled"))
        return
    if draft is None:
        return
    view = views.screen_view(draft, screen)
    if screen.edit and query is not None and isinstance(query.message, Message):
        # A press on an older copy of the menu that already shows this state changes nothing, quietly.
        await outbound.edit_pressed(query, view.text, view.keyboard)
    else:
        await outbound.send(context.bot, draft.chat_id, view.text, view.keyboard)


async def _report(
    context: ContextTypes.DEFAULT_TYPE, status: Message, draft: Draft | None, report: CheckReport
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
        )
        if done.warnings:
            text += "\n\n" + texts.warnings_block(done.warnings)
        sync_now = InlineKeyboardButton(t("assistant.button.sync_now"), callback_data=sync_data([done.integration_id]))
        keyboard = InlineKeyboardMarkup([[sync_now]])
    elif report.diagnosis is not None and draft is not None:
        diagnosis = report.diagnosis
        text = texts.failure(diagnosis.title, diagnosis.explanation, diagnosis.tips)
        keyboard = views.failure_keyboard(draft, report.retries)
    elif report.problem is not None:
        text = texts.html(report.problem)
    else:
        return
    await outbound.edit(context.bot, status.chat_id, status.message_id, text, keyboard)


async def _summary(context: ContextTypes.DEFAULT_TYPE, chat_id: int, summary: Summary) -> None:
    names, ids = list(summary.connected_names), list(summary.integration_ids)
    keyboard = None
    # Too many accounts for one button's 64 bytes: they are synced with /sync instead.
    if names and SYNC.fits(",".join(str(i) for i in ids)):
        label = t("assistant.button.sync_all") if len(names) > 1 else t("assistant.button.sync_now")
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=sync_data(ids))]])
    await outbound.send(context.bot, chat_id, texts.summary(names, list(summary.skipped_names)), keyboard)
