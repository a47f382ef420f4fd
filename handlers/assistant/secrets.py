"""Receiving a pasted credential: delete the message first, then hand it to the Assistant."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.assistant.drafts import Draft
from handlers.assistant.render import assistant_of, render

log = logging.getLogger(__name__)


async def delete_at_once(message: Message) -> bool:
    """Delete a message holding a secret. Must be the first Bot API call after receiving it."""
    try:
        return await message.delete()
    except TelegramError as problem:
        log.warning("could not delete a message holding a secret: %s", type(problem).__name__)
        return False


async def receive_field(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, message: Message) -> None:
    deleted = await delete_at_once(message)
    raw = message.text or message.caption or ""
    await render(update, context, await assistant_of(context).accept_field(draft, raw, deleted=deleted))
