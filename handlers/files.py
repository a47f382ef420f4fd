"""File upload (/upload, or simply sending a file) and export (/export) for tax tools."""

from __future__ import annotations

import secrets as random_tokens
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from pathlib import Path
from typing import Any

from telegram import Chat, Document, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import texts
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
from bot.imports import (
    MAX_FILE_BYTES,
    AmbiguousFormat,
    FileProblem,
    ImportReport,
    ImportService,
    known_formats_text,
    size_limit_text,
    template_csv,
)
from bot.integrations import IntegrationError, IntegrationNotFound, numbered_name
from bot.open_messages import UPLOAD as UPLOAD_PROGRESS
from connectors.profiles import get_profile, popular_profiles
from db.engine import Database
from handlers import outbound, reconcile_export
from handlers.callbacks import EXPORT, UPLOAD_ACCOUNT, UPLOAD_EXCHANGE, UPLOAD_FORMAT, pattern_of
from handlers.closing import always_closed
from handlers.live import LiveMessage
from handlers.locale import locale_of
from i18n import msgid, render, t, tn

PENDING_KEY = "tallybot.pending_uploads"
# connectors.files.matching.Match values, in the order the report lists them.
MATCH_TEXTS = {
    "file-row": msgid("upload.matched.file_row"),
    "content": msgid("upload.matched.content"),
    "content-minute": msgid("upload.matched.content_minute"),
    "fee-included": msgid("upload.matched.fee_included"),
    "twin": msgid("upload.matched.twin"),
}
MAX_PENDING = 3


def _pending(context: ContextTypes.DEFAULT_TYPE) -> dict[str, dict[str, Any]]:
    # Only Telegram's file id and name are kept (in memory): the file is fetched again once an account is picked.
    data = context.user_data if context.user_data is not None else {}
    pending: dict[str, dict[str, Any]] = data.setdefault(PENDING_KEY, {})
    return pending


async def upload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/upload explains what to send; /upload template sends Tallybot's template."""
    chat = update.effective_chat
    if chat is None:
        return
    if context.args and context.args[0].lower() == "template":
        caption = escape(texts.UPLOAD_TEMPLATE_CAPTION)
        await outbound.send_document(context.bot, chat.id, template_csv(), "tallybot-template.csv", caption)
        return
    formats = escape(known_formats_text())
    await outbound.send(context.bot, chat.id, texts.UPLOAD_HELP.format(formats=formats))


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file: refuse what is too large before downloading it, then ask which account it belongs to."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or message.document is None:
        return
    document: Document = message.document
    name = document.file_name or "file"
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        text = texts.UPLOAD_TOO_LARGE.format(
            size=size_limit_text(document.file_size), limit=size_limit_text(MAX_FILE_BYTES)
        )
        await outbound.send(context.bot, chat.id, escape(text))
        return
    pending = _pending(context)
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    token = random_tokens.token_urlsafe(6)[:8]
    pending[token] = {"file_id": document.file_id, "name": name}
    accounts = await services(context).integrations.list(user.id)
    rows = [[UPLOAD_ACCOUNT.button(a.account_name, token, a.id)] for a in accounts]
    rows.append([UPLOAD_ACCOUNT.button(t("upload.button.new_account"), token, "new")])
    await outbound.send(
        context.bot, chat.id, texts.UPLOAD_WHICH_ACCOUNT.format(name=escape(name)), InlineKeyboardMarkup(rows)
    )


async def on_upload_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """up:<token>:<account id | new> · upn:<token>:<exchange> · upf:<token>:<account id>:<format>."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    kind, fields = _upload_press(query.data)
    token, target = fields[0], fields[1]
    upload = _pending(context).get(token) if kind else None
    svc = services(context)
    owned = kind == "upn" or target == "new" or target in {str(a.id) for a in await svc.integrations.list(user.id)}
    if upload is None or not owned:  # answered once, before anything else: Telegram refuses a second answer
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    if kind == "up" and target == "new":
        rows = [[UPLOAD_EXCHANGE.button(p.name, token, p.id)] for p in popular_profiles()[:8]]
        await outbound.edit_pressed(query, escape(texts.UPLOAD_WHICH_EXCHANGE), InlineKeyboardMarkup(rows))
        return
    format_name: str | None = None
    created = False
    if kind == "upn":
        try:
            profile = get_profile(target)
        except LookupError:
            return
        taken = {a.account_name for a in await svc.integrations.list(user.id)}
        account = await svc.integrations.add_file_only(
            user.id, exchange_id=profile.id, account_name=numbered_name(profile.name, taken)
        )
        integration_id, created = account.id, True
    else:
        integration_id, format_name = int(target), fields[2] if kind == "upf" else None
    await import_upload(update, context, token, upload, integration_id, format_name, created)


def _upload_press(raw: str | None) -> tuple[str, tuple[str, ...]]:
    """Which upload button was pressed and its fields; ("", ("", "")) for forged or stale data."""
    for family in (UPLOAD_ACCOUNT, UPLOAD_EXCHANGE, UPLOAD_FORMAT):
        fields = family.parse(raw)
        if fields is not None:
            return family.prefix, fields
    return "", ("", "")


async def import_upload(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    token: str,
    upload: dict[str, Any],
    integration_id: int,
    format_name: str | None,
    created: bool,
) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    svc = services(context)
    name = escape(upload["name"])
    try:
        account = await svc.integrations.get(user.id, integration_id)
    except IntegrationNotFound:  # deleted since the press was checked
        await outbound.edit_pressed(query, escape(texts.STALE_BUTTON))
        return
    await outbound.edit_pressed(query, texts.UPLOAD_READING.format(name=name))
    live = LiveMessage(context.bot, chat.id, query.message.message_id if query.message else 0, "")
    # Cancelled at shutdown or stopped by an unexpected error, the message says so instead of staying open.
    async with always_closed(context, live, UPLOAD_PROGRESS):

        def progress(done: int, total: int) -> None:
            live.show(texts.UPLOAD_PROGRESS.format(name=name, done=done, total=total))

        data = bytes(await (await context.bot.get_file(upload["file_id"])).download_as_bytearray())
        zone = await svc.status.timezone(user.id)
        try:
            report = await ImportService(svc.database).import_file(
                user.id,
                integration_id,
                upload["name"],
                data,
                user_timezone=zone,
                format_name=format_name,
                progress=progress,
            )
        except AmbiguousFormat as ambiguous:
            rows = [
                [UPLOAD_FORMAT.button(candidate, token, integration_id, candidate)]
                for candidate in ambiguous.candidates
            ]
            await live.close(
                texts.UPLOAD_WHICH_FORMAT.format(problem=escape(render(ambiguous.text))), InlineKeyboardMarkup(rows)
            )
            return
        except (FileProblem, IntegrationError) as problem:
            if created:
                await svc.integrations.delete(user.id, integration_id, keep_history=False)
            _pending(context).pop(token, None)
            await live.close(texts.UPLOAD_FAILED.format(problem=escape(render(problem.text))))
            return
        _pending(context).pop(token, None)
        if not report.written and created:
            await svc.integrations.delete(user.id, integration_id, keep_history=False)
        await live.close(render_report(report, upload["name"], account.account_name))


def render_report(report: ImportReport, name: str, account: str) -> str:
    if not report.written:
        lines = [tn("upload.rejected_rows", report.rejected_total, name=escape(name))]
        lines += ["• " + escape(render(row.text)) for row in report.rejected]
        return "\n".join(lines)
    text = texts.UPLOAD_DONE.format(
        title=escape(t(report.format_title)),
        account=escape(account),
        rows=report.rows_read,
        new=report.new,
        known=report.already_known,
    )
    if report.skipped:
        text += "\n" + texts.UPLOAD_SKIPPED.format(skipped=report.skipped)
    if report.moved:
        text += "\n" + tn("upload.moved", report.moved)
    # How rows without the exchange's id met stored records (matched by id needs no words).
    for how, entry in MATCH_TEXTS.items():
        if report.matched.get(how):
            text += "\n" + tn(entry, report.matched[how])
    if report.summed_fills:
        text += "\n" + tn("upload.summed_fills", report.summed_fills)
    if report.timezone_note:
        text += "\n\nℹ️ " + escape(render(report.timezone_note))
    return text


# --- export ---------------------------------------------------------------------------------------------


EARLIEST_EXPORT = date(2009, 1, 3)  # the first Bitcoin block: no crypto history is older
MAX_DATABASE_ID = 2**63 - 1  # ids are 64-bit integers in both databases


def _latest_export() -> date:
    return date(date.today().year + 1, 12, 31)


def _bounds_problem(start: date, end: date) -> str | None:
    """Why this period cannot be exported, in the user's words; None when it can."""
    latest = _latest_export()
    for day in (start, end):
        if not EARLIEST_EXPORT <= day <= latest:
            return t(
                "export.out_of_range",
                day=day.isoformat(),
                earliest=EARLIEST_EXPORT.isoformat(),
                latest=latest.isoformat(),
            )
    if start > end:
        return t("export.ends_before_start", end=end.isoformat(), start=start.isoformat())
    return None


def _period(args: list[str]) -> tuple[date, date] | str | None:
    """(from, to) from `/export 2024-01-01 2024-12-31`; None without dates; the problem, said for the user."""
    if not args:
        return None
    try:
        start = date.fromisoformat(args[0])
        end = date.fromisoformat(args[1]) if len(args) > 1 else date.today()
    except ValueError:
        return texts.EXPORT_BAD_DATES
    problem = _bounds_problem(start, end)
    if problem is not None:
        return f"{problem}\n{texts.EXPORT_BAD_DATES}"
    return start, end


def _span_period(span: str) -> tuple[date, date] | None:
    """The period of an export button ("20240101-20241231"), None for none; ValueError if malformed or out of
    bounds (callback data comes from the client: a forged period is a stale button)."""
    if not span:
        return None
    start_text, separator, end_text = span.partition("-")
    if not separator:
        raise ValueError("no period separator")
    start, end = datetime.strptime(start_text, "%Y%m%d").date(), datetime.strptime(end_text, "%Y%m%d").date()
    if _bounds_problem(start, end) is not None:
        raise ValueError("period out of bounds")
    return start, end


def database_id(text: str) -> int | None:
    """A row id from callback data: ASCII digits within the databases' 64-bit range, else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_DATABASE_ID:
        return None
    return int(text)


def _export_words(args: list[str]) -> tuple[ExportFormat | None, list[str]] | str:
    """`/export [format] [since] [dates]`: the format named first (if any) and the date words left; or the problem.

    `since DATE` is everything from that day on (what is new for Cryptact, which imports a re-uploaded custom file
    only after the newest time it already has)."""
    words = list(args)
    fmt = next((known for known in EXPORT_FORMATS if words and words[0].lower() == known), None)
    if fmt is not None:
        words = words[1:]
    if words and words[0].lower() == "since":
        if len(words) != 2:
            return texts.EXPORT_BAD_DATES
        words = words[1:]
    return fmt, words


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    words = _export_words(list(context.args or []))
    if isinstance(words, str):
        await outbound.send(context.bot, chat.id, escape(words))
        return
    fmt, dates = words
    period = _period(dates)
    if isinstance(period, str):
        await outbound.send(context.bot, chat.id, escape(period))
        return
    span = "" if period is None else f"{period[0]:%Y%m%d}-{period[1]:%Y%m%d}"
    shown = "" if period is None else f" {period[0].isoformat()} – {period[1].isoformat()}"
    if fmt is not None:  # the format is named: straight to which account
        accounts = await services(context).integrations.list(user.id)
        if not accounts:
            await outbound.send(context.bot, chat.id, escape(texts.EXPORT_NOTHING))
            return
        scopes = [[EXPORT.button(t("export.button.all_accounts"), fmt, "all", span)]]
        scopes += [[EXPORT.button(a.account_name, fmt, a.id, span)] for a in accounts]
        text = escape(f"{t(FORMAT_TITLES[fmt])}{shown}. {texts.EXPORT_CHOOSE_SCOPE}")
        await outbound.send(context.bot, chat.id, text, InlineKeyboardMarkup(scopes))
        return
    rows = [[EXPORT.button(t(FORMAT_TITLES[fmt]), fmt, "", span)] for fmt in EXPORT_FORMATS]
    text = texts.EXPORT_CHOOSE_FORMAT.format(period=escape(shown))
    await outbound.send(context.bot, chat.id, text, InlineKeyboardMarkup(rows))


async def on_export_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ex:<format>::<span> asks for the scope; ex:<format>:<all | account id>:<span> sends the file."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    fields = EXPORT.parse(query.data)
    fmt = next((known for known in EXPORT_FORMATS if fields is not None and fields[0] == known), None)
    if fmt is None or fields is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    scope, span = fields[1], fields[2]
    try:
        period = _span_period(span)
    except ValueError:  # callback data comes from the client: a forged period is a stale button
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    svc = services(context)
    accounts = await svc.integrations.list(user.id)
    if not accounts:
        await query.answer()
        await outbound.send(context.bot, chat.id, escape(texts.EXPORT_NOTHING))
        return
    if not scope:
        await query.answer()
        rows = [[EXPORT.button(t("export.button.all_accounts"), fmt, "all", span)]]
        rows += [[EXPORT.button(a.account_name, fmt, a.id, span)] for a in accounts]
        await outbound.edit_pressed(query, escape(texts.EXPORT_CHOOSE_SCOPE), InlineKeyboardMarkup(rows))
        return
    integration_id = None if scope == "all" else database_id(scope) or -1
    if integration_id is not None and integration_id not in {a.id for a in accounts}:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    await send_export(chat, svc.database, user.id, fmt, integration_id, period, await locale_of(update, context))


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
        path = Path(folder) / f"tallybot-{fmt}-{date.today():%Y%m%d}.csv"
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
        caption = texts.EXPORT_CAPTION.format(
            title=t(FORMAT_TITLES[fmt]),
            rows=tn("export.count.rows", report.rows),
            records=tn("export.count.transactions", report.records),
            period=shown,
        )
        count = len(report.parts)
        if count > 1:
            await outbound.send(chat.get_bot(), chat.id, escape(_parts_notice(report, count)))
        for number, part in enumerate(report.parts, start=1):
            with part.open("rb") as handle:
                label = caption if count == 1 else t("export.part_caption", caption=caption, number=number, count=count)
                await outbound.send_document(chat.get_bot(), chat.id, handle, part.name, escape(label))
        details = export_details(report)
        if details:
            await outbound.send(chat.get_bot(), chat.id, escape(details))
    await reconcile_export.send_reconciliation(chat, database, user_id, integration_id, locale)  # beside the history


def _parts_notice(report: ExportReport, count: int) -> str:
    size = size_limit_text(report.size)
    example = "/export 2024-01-01 2024-06-30"
    if report.first_at is not None and report.last_at is not None:
        middle = report.first_at + (report.last_at - report.first_at) / 2
        example = f"/export {report.first_at:%Y-%m-%d} {middle:%Y-%m-%d}"
    return t("export.parts", size=size, limit=size_limit_text(TELEGRAM_SEND_LIMIT), count=count, example=example)


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("upload", upload_command, filters=private))
    application.add_handler(CommandHandler("export", export_command, filters=private))
    application.add_handler(MessageHandler(private & filters.Document.ALL, on_document))
    uploads = pattern_of(UPLOAD_ACCOUNT, UPLOAD_EXCHANGE, UPLOAD_FORMAT)
    application.add_handler(CallbackQueryHandler(on_upload_button, pattern=uploads))
    application.add_handler(CallbackQueryHandler(on_export_button, pattern=EXPORT.pattern))
