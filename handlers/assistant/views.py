"""Each Assistant step as text plus keyboard, derived from the draft alone (so a restart can redraw it)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.assistant import keypair_texts, texts
from bot.assistant.drafts import Draft
from bot.assistant.flow import can_make_key, enabled_endpoints, key_type_of
from bot.assistant.results import Retry, RetryKind, Screen, ScreenKind
from bot.assistant.state import Mode, Step
from connectors.profiles import (
    ENDPOINT_LABELS,
    Endpoint,
    ExchangeProfile,
    all_exchange_ids,
    get_profile,
    popular_profiles,
)
from handlers.assistant.buttons import Action, button

PAGE_SIZE = 8


@dataclass(frozen=True, slots=True)
class View:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def _name(exchange_id: str) -> str:
    try:
        return get_profile(exchange_id).name
    except LookupError:
        return exchange_id


def exchange_page(page: int) -> tuple[list[str], bool]:
    """The ids on one page of the picker: the popular ones first, then the rest; and whether more follow."""
    popular = [profile.id for profile in popular_profiles()]
    if page == 0:
        return popular, True
    rest = [exchange_id for exchange_id in all_exchange_ids() if exchange_id not in popular]
    start = (page - 1) * PAGE_SIZE
    return rest[start : start + PAGE_SIZE], start + PAGE_SIZE < len(rest)


def picker(draft: Draft, exchange_ids: list[str] | None = None, has_more: bool | None = None) -> View:
    state = draft.state
    if exchange_ids is None:
        exchange_ids, has_more = exchange_page(state.page)
    rows: list[list[InlineKeyboardButton]] = []
    labels = [("✅ " if eid in state.picked else "") + _name(eid) for eid in exchange_ids]
    buttons = [button(label, draft.token, Action.TOGGLE, eid) for label, eid in zip(labels, exchange_ids, strict=True)]
    rows.extend(buttons[i : i + 2] for i in range(0, len(buttons), 2))
    paging = []
    if state.page > 0 or state.search:
        paging.append(button("‹ Back", draft.token, Action.PAGE, str(max(state.page - 1, 0))))
    if has_more and not state.search:
        paging.append(button("More exchanges ›", draft.token, Action.PAGE, str(state.page + 1)))
    if paging:
        rows.append(paging)
    rows.append([button("✔️ Confirm exchanges", draft.token, Action.CONFIRM)])
    rows.append([button("✖ Cancel", draft.token, Action.CANCEL)])
    selected = texts.selected_line([_name(eid) for eid in state.picked])
    return View(texts.PICK.format(selected=selected), InlineKeyboardMarkup(rows))


def key_types(draft: Draft, profile: ExchangeProfile) -> View:
    lines = [texts.CHOOSE_KEY_TYPE.format(exchange=profile.name)]
    choices = profile.pasted_key_types
    lines += [texts.key_type_line(key_type) for key_type in choices]
    rows = [[button(key_type.label, draft.token, Action.KEY_TYPE, key_type.id)] for key_type in choices]
    rows.append(
        [button("Skip this exchange", draft.token, Action.SKIP), button("✖ Cancel", draft.token, Action.CANCEL)]
    )
    return View("\n\n".join(lines), InlineKeyboardMarkup(rows))


def make_key_offer(draft: Draft, profile: ExchangeProfile) -> list[list[InlineKeyboardButton]]:
    """The "Let Tallybot make the key" row beside the first field, or no row where Tallybot cannot make the key."""
    if not can_make_key(draft, profile):
        return []
    return [[button(keypair_texts.MAKE_KEY_BUTTON, draft.token, Action.MAKE_KEY)]]


def public_key_view(draft: Draft, profile: ExchangeProfile, screen: Screen) -> View:
    made = key_type_of(draft, profile).generated
    steps = made.steps if made is not None else ()
    keyboard = InlineKeyboardMarkup(
        [
            [button(keypair_texts.OWN_KEY_BUTTON, draft.token, Action.OWN_KEY)],
            [button("✖ Cancel", draft.token, Action.CANCEL)],
        ]
    )
    return View(keypair_texts.public_key(profile.name, screen.key_kind, steps, screen.public_key), keyboard)


def ask_field(draft: Draft, profile: ExchangeProfile) -> View:
    key_type = profile.key_type(draft.state.key_type or profile.default_key_type.id)
    field = key_type.fields[draft.state.field_index]
    text = texts.ask_field(profile.name, field, draft.state.field_index + 1, len(key_type.fields))
    keyboard = InlineKeyboardMarkup([*make_key_offer(draft, profile), [button("✖ Cancel", draft.token, Action.CANCEL)]])
    return View(text, keyboard)


def review(draft: Draft, profile: ExchangeProfile, fingerprint: str) -> View:
    state = draft.state
    key_type = profile.key_type(state.key_type or profile.default_key_type.id)
    extras = ""
    # Typed by the user: escaped, or Telegram refuses the whole message (issue 12, finding 10).
    if state.subaccount:
        extras += f"\nSubaccount: {escape(state.subaccount)}"
    if state.sync_from:
        extras += f"\nSync from: {escape(state.sync_from)}"
    rows = [[button("✅ Check and connect", draft.token, Action.CHECK)]]
    if state.mode == Mode.CONNECT:
        # A replaced key keeps its account's options; they are changed from /keys.
        rows.append([button("⚙️ Advanced options", draft.token, Action.ADVANCED)])
    rows.append([button("✖ Cancel", draft.token, Action.CANCEL)])
    text = texts.review(profile, key_type, fingerprint, state.account_name or profile.name, extras)
    return View(text, InlineKeyboardMarkup(rows))


def advanced(draft: Draft, profile: ExchangeProfile) -> View:
    state = draft.state
    key_type = state.key_type or profile.default_key_type.id
    enabled = enabled_endpoints(draft, profile)
    rows = [
        [button("✏️ Account name", draft.token, Action.NAME), button("👤 Subaccount", draft.token, Action.SUBACCOUNT)],
        [button("📅 Sync from date", draft.token, Action.DATE)],
    ]
    if state.sync_from:
        rows[1].append(button("Clear date", draft.token, Action.CLEAR_DATE))
    for spec in profile.endpoints_for(key_type):
        mark = "☑️" if str(spec.endpoint) in enabled else "⬜"
        label = spec.label or ENDPOINT_LABELS[Endpoint(spec.endpoint)]
        rows.append([button(f"{mark} {label}", draft.token, Action.ENDPOINT, str(spec.endpoint))])
    back = "💾 Save" if state.mode == Mode.OPTIONS else "« Back"
    rows.append([button(back, draft.token, Action.BACK)])
    text = texts.advanced(state.account_name or profile.name, state.subaccount, state.sync_from)
    return View(text, InlineKeyboardMarkup(rows))


PROMPTS = {Step.ASK_NAME: texts.ASK_NAME, Step.ASK_SUBACCOUNT: texts.ASK_SUBACCOUNT, Step.ASK_DATE: texts.ASK_DATE}


def prompt_for(draft: Draft) -> View:
    keyboard = InlineKeyboardMarkup([[button("« Back", draft.token, Action.ADVANCED)]])
    return View(PROMPTS[draft.state.step], keyboard)


RETRY_LABELS = {
    RetryKind.FIELD_AGAIN: "Re-enter the passphrase",
    RetryKind.KEY_TYPE: "Choose the key type again",
    RetryKind.NEW_KEY: "Enter a new key",
    RetryKind.CHECK_AGAIN: "Check again",
}


def failure_keyboard(draft: Draft, retries: tuple[Retry, ...]) -> InlineKeyboardMarkup:
    rows = [[button(RETRY_LABELS[retry.kind], draft.token, retry.action, retry.argument)] for retry in retries]
    rows.append(
        [button("Skip this exchange", draft.token, Action.SKIP), button("✖ Cancel", draft.token, Action.CANCEL)]
    )
    return InlineKeyboardMarkup(rows)


def screen_view(draft: Draft, screen: Screen) -> View:
    """The view of a screen the Assistant asked for (all but CANCELLED, which replaces the menu by a sentence)."""
    if screen.kind == ScreenKind.PICKER:
        if screen.found is not None:
            return picker(draft, list(screen.found), has_more=False)
        return picker(draft)
    profile = get_profile(draft.state.exchange_id or "")
    views = {
        ScreenKind.KEY_TYPES: lambda: key_types(draft, profile),
        ScreenKind.FIELD: lambda: ask_field(draft, profile),
        ScreenKind.PUBLIC_KEY: lambda: public_key_view(draft, profile, screen),
        ScreenKind.REVIEW: lambda: review(draft, profile, screen.fingerprint),
        ScreenKind.ADVANCED: lambda: advanced(draft, profile),
        ScreenKind.PROMPT: lambda: prompt_for(draft),
    }
    return views[screen.kind]()
