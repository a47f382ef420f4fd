"""The one way out to Telegram: every message the handlers send or edit goes through here.

A text is always HTML (a plain text is passed through `html.escape` by its caller, which renders it unchanged),
link previews are off (a pasted address must not unfold into a card), a text over Telegram's 4,096 characters is
split on line breaks with the buttons under the last part, and an edit that would change nothing ("message is not
modified": a press on an older copy of a menu that already shows this state) is not an error. Telegram's limits
are kept and its flood waits (`RetryAfter`) waited out by the bot's rate limiter (bot/telegram_budget.py: shared by
every process on PostgreSQL, PTB's AIORateLimiter in the embedded deployment) for every call made here.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

# Telegram refuses longer texts: split on a line break so HTML tags of a line stay together.
from bot.message_parts import LIMIT as LIMIT
from bot.message_parts import split_text as split_text

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def is_not_modified(problem: BadRequest) -> bool:
    return "not modified" in str(problem).lower()


async def send(
    bot: Bot, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None, *, reply_to: int | None = None
) -> Message:
    """Send `text` (HTML) to the chat, in as many messages as its length needs; returns the last, which carries
    the keyboard. `reply_to`: the first part answers that message (sent anyway if it is gone)."""
    *first_parts, last_part = split_text(text)
    answering = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
    for part in first_parts:
        await bot.send_message(
            chat_id, part, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_parameters=answering
        )
        answering = None
    return await bot.send_message(
        chat_id,
        last_part,
        parse_mode=ParseMode.HTML,
        link_preview_options=NO_PREVIEW,
        reply_markup=keyboard,
        reply_parameters=answering,
    )


async def edit(
    bot: Bot, chat_id: int, message_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> bool:
    """Replace the text of a message the bot sent; False when it already showed exactly this.

    An edited message cannot become two: a text over the limit keeps its first part here and the rest follows as
    new messages, the keyboard under the last."""
    first, *rest = split_text(text)
    try:
        await bot.edit_message_text(
            first,
            chat_id,
            message_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=None if rest else keyboard,
        )
    except BadRequest as problem:
        if not is_not_modified(problem):
            raise
        changed = False
    else:
        changed = True
    if rest:
        await send(bot, chat_id, "".join(rest), keyboard)
    return changed


async def edit_pressed(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None = None) -> bool:
    """Replace the menu whose button was pressed; False when it already showed exactly this."""
    message = query.message  # an inaccessible (too old) message still names its chat and id
    if message is None:
        return False
    return await edit(query.get_bot(), message.chat.id, message.message_id, text, keyboard)


async def send_document(
    bot: Bot, chat_id: int, document: IO[bytes] | Path | bytes, filename: str, caption: str | None = None
) -> Message:
    """A file with an optional HTML caption."""
    return await bot.send_document(chat_id, document, filename=filename, caption=caption, parse_mode=ParseMode.HTML)
