"""Taking one pasted credential field: check it, seal it into the draft, move to the next field or the review.

The caller has already deleted the message that held it (or tried to: `deleted` says whether Telegram let it).
"""

from __future__ import annotations

import re

from bot.assistant.drafts import Draft
from bot.assistant.flow import Flow, key_type_of, profile_of
from bot.assistant.results import Outcome, Screen, ScreenKind
from bot.assistant.state import Step
from bot.secret import Secret
from connectors.profiles.private_keys import looks_like_pem
from i18n import Text


async def accept_field(flow: Flow, draft: Draft, raw: str, *, deleted: bool) -> Outcome:
    outcome = Outcome(draft)
    profile = profile_of(draft)
    key_type = key_type_of(draft, profile)
    field = key_type.fields[draft.state.field_index]
    # Copy-paste brings spaces and line breaks at the ends; inside a key they mean a wrong copy. A PEM private key
    # (Binance's self-generated keys) keeps its line breaks and is stored in canonical form.
    value = field.cleaned(raw.strip())
    spaced = re.search(r"\s", value) is not None and not looks_like_pem(value)
    problem: Text | str | None = Text.of("assistant.field.inner_spaces", label=field.label) if spaced else None
    if problem is None:
        problem = field.problem(value)
    if problem is None:
        entered = await flow.drafts.secrets(draft, profile.id)
        for other in key_type.fields:
            if other.name != field.name and other.name in entered and entered[other.name].reveal() == value:
                problem = Text.of("assistant.field.duplicate", other=other.label, label=field.label)
    if problem is not None:
        if deleted:
            outcome.notes.append(Text.of("assistant.field.rejected", problem=problem, label=field.label))
        else:
            warning = Text.of("key_guard.not_deleted")
            note = Text.of("assistant.field.rejected_not_deleted", problem=problem, label=field.label, warning=warning)
            outcome.notes.append(note)
        return outcome
    secret = Secret(value)
    await flow.drafts.put_secret(draft, profile.id, field.name, secret)
    # A secret is shown by its length only; a public value (the API key) by its end, as everywhere else.
    shown: Text | str = Text.of("assistant.field.length", count=len(value)) if field.is_secret else secret.fingerprint()
    if deleted:
        outcome.notes.append(Text.of("assistant.field.received", label=field.label, fingerprint=shown))
    else:
        outcome.notes.append(Text.of("assistant.field.received_not_deleted", label=field.label, fingerprint=shown))
    if draft.state.field_index + 1 < len(key_type.fields):
        draft.state.field_index += 1
        return await flow.show(draft, Screen(ScreenKind.FIELD), outcome)
    draft.state.step = Step.REVIEW
    return await flow.show(draft, Screen(ScreenKind.REVIEW, fingerprint=await flow.fingerprint(draft)), outcome)
