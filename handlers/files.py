"""File upload (/upload, or simply sending a file); the export is handlers/exports.py."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from html import escape
from typing import TYPE_CHECKING

from telegram import Document, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.context import services
from bot.imports import (
    MAX_FILE_BYTES,
    AmbiguousFormat,
    FileProblem,
    ImportReport,
    ImportService,
    NewAccount,
    known_formats_text,
    size_limit_text,
    template_csv,
)
from bot.integrations import IntegrationError, IntegrationNotFound, numbered_name
from bot.open_messages import UPLOAD as UPLOAD_PROGRESS
from bot.pending_uploads import ClaimLost, PendingUploads, Upload
from bot.sync.atomic import uninterrupted
from connectors.profiles import get_profile, popular_profiles
from handlers import outbound
from handlers.callbacks import UPLOAD_ACCOUNT, UPLOAD_EXCHANGE, UPLOAD_FORMAT, pattern_of
from handlers.closing import always_closed
from handlers.live import LiveMessage
from handlers.locale import locale_of
from i18n import msgid, render, t, tn

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

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
    destination: int | NewAccount | None = None
    if kind == "up" and target == UploadTarget.NEW:  # only a question follows: the upload stays where it is
        upload = await _pending(context).get(user.id, token)
    else:
        destination = await _destination(context, user.id, kind, target)
        # A press that imports takes the upload for itself, atomically: of a double press served by two replicas
        # one imports the file, the other answers "stale" without touching the message.
        upload = await _pending(context).claim(user.id, token) if destination is not None else None
    if upload is None:  # answered once, before anything else: Telegram refuses a second answer
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    await query.answer()
    if destination is None:
        rows = [[UPLOAD_EXCHANGE.button(p.name, token, p.id)] for p in popular_profiles()[:8]]
        await outbound.edit_pressed(
            query, escape(t("upload.which_exchange", locale=locale)), InlineKeyboardMarkup(rows)
        )
        return
    format_name = fields[2] if kind == "upf" else None
    claim = Claim(_pending(context), user.id, upload)
    try:
        await import_upload(update, context, claim, destination, format_name, locale)
    finally:  # stopped by an error or a shutdown: the upload's buttons work again
        if not claim.settled:
            await uninterrupted(claim.give_back())


@dataclass
class Claim:
    """An upload held by one press: deleted by its import's commit (or dropped when nothing was written), or given
    back, before any button is shown again. Held in the database, so a process that dies holding it only delays the
    next press by the claim's lease (bot/pending_uploads.py)."""

    pending: PendingUploads
    telegram_user_id: int
    upload: Upload
    settled: bool = False

    async def delete_in(self, session: AsyncSession) -> None:
        """In the import's write transaction (ImportService `settle`): the upload ends when the file's rows commit."""
        await self.pending.settle(session, self.telegram_user_id, self.upload)

    def used(self) -> None:
        self.settled = True

    async def drop(self) -> None:
        self.settled = True
        await self.pending.drop(self.telegram_user_id, self.upload)

    async def give_back(self) -> None:
        self.settled = True
        await self.pending.restore(self.telegram_user_id, self.upload)


async def _destination(
    context: ContextTypes.DEFAULT_TYPE, telegram_user_id: int, kind: str, target: str
) -> int | NewAccount | None:
    """Where an importing press sends the file: one of the presser's accounts, a new account of an exchange, or
    None for forged or stale data (checked before the upload is claimed, so a bad press never takes it)."""
    if kind == "upn":
        try:
            profile = get_profile(target)
        except LookupError:
            return None
        return NewAccount(profile.id, profile.name)
    accounts = {str(a.id) for a in await services(context).integrations.list(telegram_user_id)}
    return int(target) if kind and target in accounts else None


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
    claim: Claim,
    destination: int | NewAccount,
    format_name: str | None,
    locale: str,
) -> None:
    """Import a claimed upload. It ends with its rows' commit (or once they are refused row by row), and is given
    back (before the message shows the next buttons) when a format question is asked, the file is refused or the
    account is gone."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    svc = services(context)
    upload = claim.upload
    name = escape(upload.name)
    if not isinstance(destination, NewAccount):
        try:
            await svc.integrations.get(user.id, destination)
        except IntegrationNotFound:  # deleted since the press was checked
            await claim.give_back()
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
                destination,
                upload.name,
                data,
                user_timezone=zone,
                format_name=format_name,
                progress=progress,
                settle=claim.delete_in,
            )
        except AmbiguousFormat as ambiguous:
            rows = await _format_rows(context, user.id, upload, destination, ambiguous)
            await claim.give_back()
            await live.close(
                t("upload.which_format", locale=locale, problem=escape(render(ambiguous.text, locale))),
                InlineKeyboardMarkup(rows),
            )
            return
        except (FileProblem, IntegrationError) as problem:
            await claim.give_back()
            await live.close(t("upload.failed", locale=locale, problem=escape(render(problem.text, locale))))
            return
        except ClaimLost:  # this import outlived its claim and a later press took the upload: that one imports it
            claim.used()
            await live.close(escape(t("button.stale", locale=locale)))
            return
        if report.account_id is None:  # nothing written, so no transaction deleted the upload
            await claim.drop()
        claim.used()
        await live.close(render_report(report, upload.name, report.account_name, locale))


async def _format_rows(
    context: ContextTypes.DEFAULT_TYPE,
    telegram_user_id: int,
    upload: Upload,
    destination: int | NewAccount,
    ambiguous: AmbiguousFormat,
) -> list[list[InlineKeyboardButton]]:
    """The format question's buttons; a new account is created first, empty, so that the answer names it."""
    if isinstance(destination, NewAccount):
        taken = {a.account_name for a in await services(context).integrations.list(telegram_user_id)}
        name = numbered_name(destination.exchange_name, taken)
        account = await services(context).integrations.add_file_only(
            telegram_user_id, exchange_id=destination.exchange_id, account_name=name
        )
        destination = account.id
    return [[UPLOAD_FORMAT.button(c, upload.token, destination, c)] for c in ambiguous.candidates]


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
