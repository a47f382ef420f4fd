"""Each Assistant step as text plus keyboard, derived from the draft alone (so a restart can redraw it)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.assistant import texts
from bot.assistant.drafts import Draft
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
from handlers.assistant.keypair_offer import make_key_offer

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


def enabled_endpoints(draft: Draft, profile: ExchangeProfile) -> list[str]:
    key_type = draft.state.key_type or profile.default_key_type.id
    if draft.state.endpoints is not None:
        return list(draft.state.endpoints)
    return [str(spec.endpoint) for spec in profile.default_endpoints(key_type)]


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


def prompt_for(draft: Draft, step: Step) -> View:
    keyboard = InlineKeyboardMarkup([[button("« Back", draft.token, Action.ADVANCED)]])
    text = {Step.ASK_NAME: texts.ASK_NAME, Step.ASK_SUBACCOUNT: texts.ASK_SUBACCOUNT, Step.ASK_DATE: texts.ASK_DATE}
    return View(text[step], keyboard)


def failure_keyboard(draft: Draft, profile: ExchangeProfile, retry: list[tuple[str, str, str]]) -> InlineKeyboardMarkup:
    rows = [[button(label, draft.token, action, argument)] for label, action, argument in retry]
    rows.append(
        [button("Skip this exchange", draft.token, Action.SKIP), button("✖ Cancel", draft.token, Action.CANCEL)]
    )
    return InlineKeyboardMarkup(rows)
