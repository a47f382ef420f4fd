"""Export (/export) for tax tools: the format, the accounts and the period, then the file (in parts when large)."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from html import escape
from pathlib import Path

from telegram import Chat, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.context import services
from bot.exports import (
    EXPORT_FORMATS,
    FORMAT_TITLES,
    MAX_PART_BYTES,
    TELEGRAM_SEND_LIMIT,
    ExportFormat,
    ExportReport,
    ExportService,
    export_details,
)
from bot.imports import size_limit_text
from db.engine import Database
from handlers import outbound, reconcile_export
from handlers.callbacks import EXPORT
from handlers.file_names import dated_csv_name
from handlers.locale import locale_of
from i18n import t, tn


class Scope(StrEnum):
    """What an export button's scope field holds besides an account's id."""

    ALL = "all"  # every account of the user


EARLIEST_EXPORT = date(2009, 1, 3)  # the first Bitcoin block: no crypto history is older
MAX_DATABASE_ID = 2**63 - 1  # ids are 64-bit integers in both databases


def _latest_export() -> date:
    return date(date.today().year + 1, 12, 31)


def _bounds_problem(start: date, end: date, locale: str) -> str | None:
    """Why this period cannot be exported, in the user's words; None when it can."""
    latest = _latest_export()
    for day in (start, end):
        if not EARLIEST_EXPORT <= day <= latest:
            return t(
                "export.out_of_range",
                locale=locale,
                day=day.isoformat(),
                earliest=EARLIEST_EXPORT.isoformat(),
                latest=latest.isoformat(),
            )
    if start > end:
        return t("export.ends_before_start", locale=locale, end=end.isoformat(), start=start.isoformat())
    return None


def _period(args: list[str], locale: str) -> tuple[date, date] | str | None:
    """(from, to) from `/export 2024-01-01 2024-12-31`; None without dates; the problem, said for the user."""
    if not args:
        return None
    try:
        start = date.fromisoformat(args[0])
        end = date.fromisoformat(args[1]) if len(args) > 1 else date.today()
    except ValueError:
        return t("export.bad_dates", locale=locale)
    problem = _bounds_problem(start, end, locale)
    if problem is not None:
        return f"{problem}\n{t('export.bad_dates', locale=locale)}"
    return start, end


def _span_period(span: str, locale: str) -> tuple[date, date] | None:
    """The period of an export button ("20240101-20241231"), None for none; ValueError if malformed or out of
    bounds (callback data comes from the client: a forged period is a stale button)."""
    if not span:
        return None
    start_text, separator, end_text = span.partition("-")
    if not separator:
        raise ValueError("no period separator")
    start, end = datetime.strptime(start_text, "%Y%m%d").date(), datetime.strptime(end_text, "%Y%m%d").date()
    if _bounds_problem(start, end, locale) is not None:
        raise ValueError("period out of bounds")
    return start, end


def database_id(text: str) -> int | None:
    """A row id from callback data: ASCII digits within the databases' 64-bit range, else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_DATABASE_ID:
        return None
    return int(text)


def _export_words(args: list[str], locale: str) -> tuple[ExportFormat | None, list[str]] | str:
    """`/export [format] [since] [dates]`: the format named first (if any) and the date words left; or the problem.

    `since DATE` is everything from that day on (what is new for Cryptact, which imports a re-uploaded custom file
    only after the newest time it already has)."""
    words = list(args)
    fmt = next((known for known in EXPORT_FORMATS if words and words[0].lower() == known), None)
    if fmt is not None:
        words = words[1:]
    if words and words[0].lower() == "since":
        if len(words) != 2:
            return t("export.bad_dates", locale=locale)
        words = words[1:]
    return fmt, words


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    locale = await locale_of(update, context)
    words = _export_words(list(context.args or []), locale)
    if isinstance(words, str):
        await outbound.send(context.bot, chat.id, escape(words))
        return
    fmt, dates = words
    period = _period(dates, locale)
    if isinstance(period, str):
        await outbound.send(context.bot, chat.id, escape(period))
        return
    span = "" if period is None else f"{period[0]:%Y%m%d}-{period[1]:%Y%m%d}"
    shown = "" if period is None else f" {period[0].isoformat()} – {period[1].isoformat()}"
    if fmt is not None:  # the format is named: straight to which account
        accounts = await services(context).integrations.list(user.id)
        if not accounts:
            await outbound.send(context.bot, chat.id, escape(t("export.nothing", locale=locale)))
            return
        scopes = [[EXPORT.button(t("export.button.all_accounts", locale=locale), fmt, Scope.ALL, span)]]
        scopes += [[EXPORT.button(a.account_name, fmt, a.id, span)] for a in accounts]
        text = escape(f"{t(FORMAT_TITLES[fmt], locale=locale)}{shown}. {t('export.choose_scope', locale=locale)}")
        await outbound.send(context.bot, chat.id, text, InlineKeyboardMarkup(scopes))
        return
    rows = [[EXPORT.button(t(FORMAT_TITLES[fmt], locale=locale), fmt, "", span)] for fmt in EXPORT_FORMATS]
    text = t("export.choose_format", locale=locale, period=escape(shown))
    await outbound.send(context.bot, chat.id, text, InlineKeyboardMarkup(rows))


async def on_export_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ex:<format>::<span> asks for the scope; ex:<format>:<all | account id>:<span> sends the file."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    locale = await locale_of(update, context)
    fields = EXPORT.parse(query.data)
    fmt = next((known for known in EXPORT_FORMATS if fields is not None and fields[0] == known), None)
    if fmt is None or fields is None:
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    scope, span = fields[1], fields[2]
    try:
        period = _span_period(span, locale)
    except ValueError:  # callback data comes from the client: a forged period is a stale button
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    svc = services(context)
    accounts = await svc.integrations.list(user.id)
    if not accounts:
        await query.answer()
        await outbound.send(context.bot, chat.id, escape(t("export.nothing", locale=locale)))
        return
    if not scope:
        await query.answer()
        rows = [[EXPORT.button(t("export.button.all_accounts", locale=locale), fmt, Scope.ALL, span)]]
        rows += [[EXPORT.button(a.account_name, fmt, a.id, span)] for a in accounts]
        await outbound.edit_pressed(query, escape(t("export.choose_scope", locale=locale)), InlineKeyboardMarkup(rows))
        return
    integration_id = None if scope == Scope.ALL else database_id(scope) or -1
    if integration_id is not None and integration_id not in {a.id for a in accounts}:
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    await query.answer()
    await send_export(chat, svc.database, user.id, fmt, integration_id, period, locale)


async def send_export(
    chat: Chat, database: Database, user_id: int, fmt: ExportFormat, integration_id: int | None,
    period: tuple[date, date] | None, locale: str,
) -> None:  # fmt: skip
    """Write the export and send it; in parts under Telegram's 50 MB limit, said first, with a shorter range to
    ask for instead."""
    since = until = None
    if period is not None:
        since = datetime.combine(period[0], time.min, UTC)
        until = datetime.combine(period[1] + timedelta(days=1), time.min, UTC)
    with tempfile.TemporaryDirectory(prefix="tallybot-export-") as folder:
        path = Path(folder) / dated_csv_name(fmt, date.today())
        report = await ExportService(database).export(
            user_id,
            fmt=fmt,
            integration_id=integration_id,
            since=since,
            until=until,
            path=path,
            max_part_bytes=MAX_PART_BYTES,
        )
        shown = "" if period is None else f", {period[0]:%Y-%m-%d}–{period[1]:%Y-%m-%d}"
        caption = t(
            "export.caption",
            locale=locale,
            title=t(FORMAT_TITLES[fmt], locale=locale),
            rows=tn("export.count.rows", report.rows, locale=locale),
            records=tn("export.count.transactions", report.records, locale=locale),
            period=shown,
        )
        count = len(report.parts)
        if count > 1:
            await outbound.send(chat.get_bot(), chat.id, escape(_parts_notice(report, count, locale)))
        for number, part in enumerate(report.parts, start=1):
            with part.open("rb") as handle:
                label = (
                    caption
                    if count == 1
                    else t("export.part_caption", locale=locale, caption=caption, number=number, count=count)
                )
                await outbound.send_document(chat.get_bot(), chat.id, handle, part.name, escape(label))
        details = export_details(report, locale)
        if details:
            await outbound.send(chat.get_bot(), chat.id, escape(details))
    await reconcile_export.send_reconciliation(chat, database, user_id, integration_id, locale)  # beside the history


def _parts_notice(report: ExportReport, count: int, locale: str) -> str:
    size = size_limit_text(report.size)
    example = "/export 2024-01-01 2024-06-30"
    if report.first_at is not None and report.last_at is not None:
        middle = report.first_at + (report.last_at - report.first_at) / 2
        example = f"/export {report.first_at:%Y-%m-%d} {middle:%Y-%m-%d}"
    return t(
        "export.parts",
        locale=locale,
        size=size,
        limit=size_limit_text(TELEGRAM_SEND_LIMIT),
        count=count,
        example=example,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("export", export_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(on_export_button, pattern=EXPORT.pattern))
