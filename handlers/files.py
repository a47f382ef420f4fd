"""File upload (/upload, or simply sending a file); the export is handlers/exports.py."""

from __future__ import annotations

from enum import StrEnum
from html import escape

from telegram import Document, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.context import services
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
from bot.pending_uploads import PendingUploads, Upload
from connectors.profiles import get_profile, popular_profiles
from handlers import outbound
from handlers.callbacks import UPLOAD_ACCOUNT, UPLOAD_EXCHANGE, UPLOAD_FORMAT, pattern_of
from handlers.closing import always_closed
from handlers.live import LiveMessage
from handlers.locale import locale_of
from i18n import msgid, render, t, tn

# connectors.files.matching.Match values, in the order the report lists them.
MATCH_TEXTS = {
    "file-row": msgid("upload.matched.file_row"),
    "content": msgid("upload.matched.content"),
    "content-minute": msgid("upload.matched.content_minute"),
    "fee-included": msgid("upload.matched.fee_included"),
    "twin": msgid("upload.matched.twin"),
}


class UploadTarget(StrEnum):
    """What an account button under a file names besides an account id."""

    NEW = "new"  # a new, file-only account for the upload


def _pending(context: ContextTypes.DEFAULT_TYPE) -> PendingUploads:
    # In the database, not in this process's memory: the account buttons may be pressed on another webhook replica.
    return PendingUploads(services(context).database)


async def upload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/upload explains what to send; /upload template sends Tallybot's template."""
    chat = update.effective_chat
    if chat is None:
        return
    locale = await locale_of(update, context)
    if context.args and context.args[0].lower() == "template":
        caption = escape(t("upload.template_caption", locale=locale))
        await outbound.send_document(context.bot, chat.id, template_csv(), "tallybot-template.csv", caption)
        return
    formats = escape(known_formats_text(locale))
    await outbound.send(context.bot, chat.id, t("upload.help", locale=locale, formats=formats))


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file: refuse what is too large before downloading it, then ask which account it belongs to."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or message.document is None:
        return
    locale = await locale_of(update, context)
    document: Document = message.document
    name = document.file_name or t("upload.unnamed_file", locale=locale)
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        text = t(
            "upload.too_large",
            locale=locale,
            size=size_limit_text(document.file_size),
            limit=size_limit_text(MAX_FILE_BYTES),
        )
        await outbound.send(context.bot, chat.id, escape(text))
        return
    token = (await _pending(context).add(user.id, document.file_id, name)).token
    accounts = await services(context).integrations.list(user.id)
    rows = [[UPLOAD_ACCOUNT.button(a.account_name, token, a.id)] for a in accounts]
    rows.append([UPLOAD_ACCOUNT.button(t("upload.button.new_account", locale=locale), token, UploadTarget.NEW)])
    await outbound.send(
        context.bot, chat.id, t("upload.which_account", locale=locale, name=escape(name)), InlineKeyboardMarkup(rows)
    )


async def on_upload_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """up:<token>:<account id | new> · upn:<token>:<exchange> · upf:<token>:<account id>:<format>."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    locale = await locale_of(update, context)
    kind, fields = _upload_press(query.data)
    token, target = fields[0], fields[1]
    upload = await _pending(context).get(user.id, token) if kind else None
    svc = services(context)
    owned = (
        kind == "upn"
        or target == UploadTarget.NEW
        or target in {str(a.id) for a in await svc.integrations.list(user.id)}
    )
    if upload is None or not owned:  # answered once, before anything else: Telegram refuses a second answer
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    await query.answer()
    if kind == "up" and target == UploadTarget.NEW:
        rows = [[UPLOAD_EXCHANGE.button(p.name, token, p.id)] for p in popular_profiles()[:8]]
        await outbound.edit_pressed(
            query, escape(t("upload.which_exchange", locale=locale)), InlineKeyboardMarkup(rows)
        )
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
    await import_upload(update, context, token, upload, integration_id, format_name, created, locale)


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
    upload: Upload,
    integration_id: int,
    format_name: str | None,
    created: bool,
    locale: str,
) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    svc = services(context)
    name = escape(upload.name)
    try:
        account = await svc.integrations.get(user.id, integration_id)
    except IntegrationNotFound:  # deleted since the press was checked
        await outbound.edit_pressed(query, escape(t("button.stale", locale=locale)))
        return
    await outbound.edit_pressed(query, t("upload.reading", locale=locale, name=name))
    live = LiveMessage(context.bot, chat.id, query.message.message_id if query.message else 0, "")
    # Cancelled at shutdown or stopped by an unexpected error, the message says so instead of staying open.
    async with always_closed(context, live, UPLOAD_PROGRESS, locale):

        def progress(done: int, total: int) -> None:
            live.show(t("upload.progress", locale=locale, name=name, done=done, total=total))

        data = bytes(await (await context.bot.get_file(upload.file_id)).download_as_bytearray())
        zone = await svc.status.timezone(user.id)
        try:
            report = await ImportService(svc.database).import_file(
                user.id,
                integration_id,
                upload.name,
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
                t("upload.which_format", locale=locale, problem=escape(render(ambiguous.text, locale))),
                InlineKeyboardMarkup(rows),
            )
            return
        except (FileProblem, IntegrationError) as problem:
            if created:
                await svc.integrations.delete(user.id, integration_id, keep_history=False)
            await _pending(context).finish(user.id, token)
            await live.close(t("upload.failed", locale=locale, problem=escape(render(problem.text, locale))))
            return
        await _pending(context).finish(user.id, token)
        if not report.written and created:
            await svc.integrations.delete(user.id, integration_id, keep_history=False)
        await live.close(render_report(report, upload.name, account.account_name, locale))


def render_report(report: ImportReport, name: str, account: str, locale: str) -> str:
    if not report.written:
        lines = [tn("upload.rejected_rows", report.rejected_total, locale=locale, name=escape(name))]
        lines += ["• " + escape(render(row.text, locale)) for row in report.rejected]
        return "\n".join(lines)
    text = t(
        "upload.done",
        locale=locale,
        title=escape(t(report.format_title, locale=locale)),
        account=escape(account),
        rows=report.rows_read,
        new=report.new,
        known=report.already_known,
    )
    if report.skipped:
        text += "\n" + t("upload.skipped", locale=locale, skipped=report.skipped)
    if report.moved:
        text += "\n" + tn("upload.moved", report.moved, locale=locale)
    # How rows without the exchange's id met stored records (matched by id needs no words).
    for how, entry in MATCH_TEXTS.items():
        if report.matched.get(how):
            text += "\n" + tn(entry, report.matched[how], locale=locale)
    if report.summed_fills:
        text += "\n" + tn("upload.summed_fills", report.summed_fills, locale=locale)
    if report.timezone_note:
        text += "\n\nℹ️ " + escape(render(report.timezone_note, locale))
    return text


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("upload", upload_command, filters=private))
    application.add_handler(MessageHandler(private & filters.Document.ALL, on_document))
    uploads = pattern_of(UPLOAD_ACCOUNT, UPLOAD_EXCHANGE, UPLOAD_FORMAT)
    application.add_handler(CallbackQueryHandler(on_upload_button, pattern=uploads))
