"""Receiving a pasted credential: delete the message first, then look at it."""

from __future__ import annotations

import logging
import re
from html import escape

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.assistant import texts
from bot.assistant.drafts import Draft
from bot.assistant.state import Step
from bot.context import services
from bot.secret import Secret
from connectors.profiles.private_keys import looks_like_pem
from handlers.assistant import views
from handlers.assistant.flow import key_type_of, profile_of, say, show

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
    # Copy-paste brings spaces and line breaks at the ends; inside a key they mean a wrong copy.
    value = raw.strip()
    profile = profile_of(draft)
    key_type = key_type_of(draft, profile)
    field = key_type.fields[draft.state.field_index]
    # A PEM private key (Binance's self-generated keys) keeps its line breaks and is stored in canonical form.
    value = field.cleaned(value)
    store = services(context).drafts
    spaced = re.search(r"\s", value) is not None and not looks_like_pem(value)
    problem = texts.FIELD_INNER_SPACES.format(label=field.label) if spaced else field.problem(value)
    if problem is None:
        entered = await store.secrets(draft, profile.id)
        for other in key_type.fields:
            if other.name != field.name and other.name in entered and entered[other.name].reveal() == value:
                problem = texts.FIELD_DUPLICATE.format(other=other.label, label=field.label)
    if problem is not None:
        reply = texts.FIELD_REJECTED.format(problem=escape(problem), label=escape(field.label))
        if not deleted:
            reply += "\n\n" + texts.UNEXPECTED_KEY_NOT_DELETED
        await say(context, draft, reply)
        return
    secret = Secret(value)
    await store.put_secret(draft, profile.id, field.name, secret)
    shown = secret.fingerprint() if not field.is_secret else f"({len(value)} characters)"
    template = texts.FIELD_RECEIVED if deleted else texts.FIELD_RECEIVED_NOT_DELETED
    # The fingerprint is the end of what the user pasted: escaped like any user value.
    await say(context, draft, template.format(label=escape(field.label), fingerprint=escape(shown)))
    if draft.state.field_index + 1 < len(key_type.fields):
        draft.state.field_index += 1
        await show(update, context, draft, views.ask_field(draft, profile), edit=False)
        return
    draft.state.step = Step.REVIEW
    api_key = (await store.secrets(draft, profile.id)).get("apiKey")
    await show(
        update, context, draft, views.review(draft, profile, api_key.fingerprint() if api_key else "…"), edit=False
    )

