"""The "Let Tallybot make the key" button, shown beside the first field of an exchange that takes self-generated keys.

Apart from `keypair.py` (the steps it leads to) so that `views` can show it without importing the flow.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.assistant import keypair_texts
from bot.assistant.drafts import Draft
from bot.assistant.state import Mode, Step
from connectors.profiles import ExchangeProfile
from handlers.assistant.buttons import Action, button


def can_make_key(draft: Draft, profile: ExchangeProfile) -> bool:
    """Whether the user is at the first field of a key they would paste, on an exchange Tallybot can make one for."""
    state = draft.state
    current = profile.key_type(state.key_type or profile.default_key_type.id)
    return (
        profile.generated_key_type is not None
        and current.generated is None
        and state.step == Step.FIELD
        and state.field_index == 0
        and state.mode in (Mode.CONNECT, Mode.REPLACE)
    )


def make_key_offer(draft: Draft, profile: ExchangeProfile) -> list[list[InlineKeyboardButton]]:
    """The button row, or no row where Tallybot cannot make the key."""
    if not can_make_key(draft, profile):
        return []
    return [[button(keypair_texts.MAKE_KEY_BUTTON, draft.token, Action.MAKE_KEY)]]
