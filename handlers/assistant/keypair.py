"""Let Tallybot make the key: a key pair made here, the private half sealed in the draft, the public half shown.

The user registers the public key on the exchange (Binance: Create API → Self-generated) and sends back only the
API key; from there the usual steps run (receive the field, review, live check, store). No secret crosses the
chat. The private key lives only in the draft's sealed secrets until the key is stored, so /cancel, the
Assistant's time-out, "Skip" or "I'll make a key myself" wipe it with the rest of the draft.
"""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.assistant import keypair_texts
from bot.assistant.drafts import Draft
from bot.assistant.keypairs import make_key_pair, public_key_of
from bot.assistant.state import Step
from bot.context import services
from connectors.profiles import ExchangeProfile
from connectors.profiles.private_keys import PrivateKeyKind
from handlers.assistant import views
from handlers.assistant.buttons import Action, Pressed, button
from handlers.assistant.flow import key_type_of, profile_of, say, show
from handlers.assistant.keypair_offer import can_make_key
from handlers.assistant.views import View


def public_key_view(draft: Draft, profile: ExchangeProfile, public_pem: str) -> View:
    made = key_type_of(draft, profile).generated
    steps = made.steps if made is not None else ()
    kind = {PrivateKeyKind.ED25519: "Ed25519", PrivateKeyKind.RSA: "RSA"}[made.kind] if made is not None else ""
    keyboard = InlineKeyboardMarkup(
        [
            [button(keypair_texts.OWN_KEY_BUTTON, draft.token, Action.OWN_KEY)],
            [button("✖ Cancel", draft.token, Action.CANCEL)],
        ]
    )
    return View(keypair_texts.public_key(profile.name, kind, steps, public_pem), keyboard)


async def make_key(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    """Make the key pair, seal the private key into the draft, show the public key and ask for the API key."""
    profile = profile_of(draft)
    generated_type = profile.generated_key_type
    if generated_type is None or generated_type.generated is None or not can_make_key(draft, profile):
        await say(context, draft, keypair_texts.NOT_OFFERED)
        return
    store = services(context).drafts
    # An RSA key takes a noticeable moment to make: not on the loop that serves every user.
    made = await asyncio.to_thread(make_key_pair, generated_type.generated.kind)
    # Anything typed for the other kind of key goes: this key pair is the whole secret part of the new key.
    await store.clear_secrets(draft)
    await store.put_secret(draft, profile.id, generated_type.generated.field, made.private_key)
    draft.state.key_type = generated_type.id
    draft.state.field_index = 0
    draft.state.step = Step.FIELD
    await show(update, context, draft, public_key_view(draft, profile, made.public_key), edit=False)


async def own_key(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft, pressed: Pressed) -> None:
    """Back to pasting a key of one's own: the key pair Tallybot made is wiped."""
    profile = profile_of(draft)
    if key_type_of(draft, profile).generated is None:
        return
    await services(context).drafts.clear_secrets(draft)
    draft.state.key_type = profile.default_key_type.id
    draft.state.field_index = 0
    draft.state.step = Step.FIELD
    await show(update, context, draft, views.ask_field(draft, profile), edit=False)


async def field_view(context: ContextTypes.DEFAULT_TYPE, draft: Draft, profile: ExchangeProfile) -> View:
    """The view of a FIELD step: for a key pair Tallybot made, the public key again (after a restart or a stale
    button the user may need it); otherwise the usual prompt."""
    made = key_type_of(draft, profile).generated
    if made is not None and draft.state.field_index == 0:
        private_key = (await services(context).drafts.secrets(draft, profile.id)).get(made.field)
        if private_key is not None:
            return public_key_view(draft, profile, public_key_of(private_key))
    return views.ask_field(draft, profile)
