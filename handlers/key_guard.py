"""One guard in front of everything: key material in any incoming text is deleted first, then answered.

Issue 12, finding 8: keys after a command (`/sync <key>`), in document captions, in edited messages, in groups where
the bot is admin, from users outside the allow-list, and short keys (Bybit's 18-character API key, OKX and Bitget
passphrases) were left visible, echoed, or stored as names. This handler sees every message and edited message —
text, caption and command arguments, private or group, allowed or not — before any other handler (group -2, before
the allow-list gate), recognises key material and deletes the message as its first Bot API call.

What counts as key material (bot/secret.py): a long key-like run (20+ characters mixing letters and digits)
anywhere; and a short key-shaped token (8+ characters mixing letters and digits) unless it is a name the bot knows
(an exchange's name with a number, like "Binance-1", or one of the user's account names). In groups the short rule
applies to commands only: group members' chatter is not the bot's to delete.

The one message that passes untouched is a new text message at the Assistant's key step: it is the key, and the
Assistant deletes it itself before looking at it. A user's subaccount prompt lets short tokens through ("trading01"
is a subaccount, not a key); long ones are deleted there too.
"""

from __future__ import annotations

from html import escape

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.assistant.drafts import Draft
from bot.assistant.state import Step
from bot.commands import names_a_command
from bot.context import services
from bot.names import is_ordinary_word
from bot.secret import MIN_SHORT_KEY_LENGTH, looks_like_secret, short_key_tokens
from handlers import outbound
from handlers.assistant.secrets import delete_at_once
from handlers.locale import locale_of
from i18n import t

GUARD_GROUP = -2  # before the allow-list gate (-1): a stranger's key is deleted too


async def guard_key_material(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete a message that holds key material, say so, and let no other handler see it."""
    message = update.message or update.edited_message
    if message is None:
        return
    text = message.text or message.caption or ""
    if not text:
        return
    private = message.chat.type == ChatType.PRIVATE
    command = bool(message.text) and text.startswith("/")
    long_key = looks_like_secret(text)
    short = short_key_tokens(text) if private or command else []
    edited = update.edited_message is not None
    if not long_key and not short and not (edited and private):
        return  # the common case: nothing to look up
    user = message.from_user
    svc = services(context)
    allowed = not svc.settings.allowed_users or (user is not None and user.id in svc.settings.allowed_users)
    draft = await svc.drafts.load(user.id) if private and allowed and user is not None else None
    at_key_step = draft is not None and draft.state.step == Step.FIELD
    if at_key_step and not edited and message.text and not names_a_command(text):
        return  # the key itself (even one that starts with "/"): the Assistant deletes it first
    if at_key_step and edited and len(text.strip()) >= MIN_SHORT_KEY_LENGTH and not text.strip().count(" "):
        long_key = True  # an edit at the key step could be a passphrase of letters only: never leave it visible
    if not long_key and not await _short_key_outside_names(context, draft, message, short, edited):
        return
    deleted = await delete_at_once(message)
    if not allowed:
        return  # the allow-list gate answers strangers; they learn nothing else
    locale = await locale_of(update, context)
    await outbound.send(
        context.bot, message.chat_id, escape(_answer(message, private, edited and at_key_step, deleted, locale))
    )
    raise ApplicationHandlerStop


async def _short_key_outside_names(
    context: ContextTypes.DEFAULT_TYPE, draft: Draft | None, message: Message, short: list[str], edited: bool
) -> bool:
    """Whether a short token is key material: not a name the bot knows, and not a subaccount being typed."""
    if not short:
        return False
    if draft is not None and draft.state.step == Step.ASK_SUBACCOUNT and not edited:
        return False
    names: tuple[str, ...] = ()
    if message.from_user is not None and message.chat.type == ChatType.PRIVATE:
        summaries = await services(context).integrations.list(message.from_user.id)
        names = tuple(summary.account_name for summary in summaries)
    return any(not is_ordinary_word(token, names) for token in short)


def _answer(message: Message, private: bool, edit_at_key_step: bool, deleted: bool, locale: str) -> str:
    if not private:
        return t("assistant.group_key_refused", locale=locale)
    if not deleted:
        return t("key_guard.not_deleted", locale=locale)
    if edit_at_key_step:
        return t("key_guard.in_edit_deleted", locale=locale)
    if message.caption and not message.text:
        return t("key_guard.in_caption_deleted", locale=locale)
    return t("key_guard.deleted", locale=locale)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, guard_key_material), group=GUARD_GROUP)
