"""The one place that sends text to a chat, so every reply is HTML and never silently fails on length."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import MessageLimit, ParseMode

# Telegram refuses longer texts; split on a line break so HTML tags of a line stay together.
LIMIT = MessageLimit.MAX_TEXT_LENGTH


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return chunks or [text]


async def reply(update: Update, text: str) -> Message | None:
    """Reply in the chat the update came from; returns the last message sent."""
    chat = update.effective_chat
    if chat is None:
        return None
    sent: Message | None = None
    for chunk in split_text(text):
        sent = await chat.send_message(chunk, parse_mode=ParseMode.HTML, disable_web_page_preview=True)
    return sent
