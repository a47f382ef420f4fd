"""Each Assistant step as text plus keyboard, derived from the draft alone (so a restart can redraw it), in the
reader's locale."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.assistant.drafts import Draft
from bot.assistant.flow import can_make_key, enabled_endpoints, key_type_of
from bot.assistant.results import Retry, RetryKind, Screen, ScreenKind
from bot.assistant.state import Mode, Step
from connectors.profiles import ExchangeProfile, all_exchange_ids, get_profile, popular_profiles
from handlers.assistant import texts
from handlers.assistant.buttons import Action, button
from i18n import msgid, render, t

PAGE_SIZE = 8


@dataclass(frozen=True, slots=True)
class View:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def _name(exchange_id: str, locale: str) -> str:
    try:
        return texts.offered_name(get_profile(exchange_id), locale)
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


def picker(draft: Draft, locale: str, exchange_ids: list[str] | None = None, has_more: bool | None = None) -> View:
    state = draft.state
    if exchange_ids is None:
        exchange_ids, has_more = exchange_page(state.page)
    rows: list[list[InlineKeyboardButton]] = []
    labels = [("✅ " if eid in state.picked else "") + _name(eid, locale) for eid in exchange_ids]
    buttons = [button(label, draft.token, Action.TOGGLE, eid) for label, eid in zip(labels, exchange_ids, strict=True)]
    rows.extend(buttons[i : i + 2] for i in range(0, len(buttons), 2))
    paging = []
    if state.page > 0 or state.search:
        paging.append(
            button(
                t("assistant.button.back_page", locale=locale), draft.token, Action.PAGE, str(max(state.page - 1, 0))
            )
        )
    if has_more and not state.search:
        paging.append(button(t("assistant.button.more", locale=locale), draft.token, Action.PAGE, str(state.page + 1)))
    if paging:
        rows.append(paging)
    rows.append([button(t("assistant.button.confirm", locale=locale), draft.token, Action.CONFIRM)])
    rows.append([_cancel(draft, locale)])
    return View(texts.picker_title([_name(eid, locale) for eid in state.picked], locale), InlineKeyboardMarkup(rows))


def _cancel(draft: Draft, locale: str) -> InlineKeyboardButton:
    return button(t("assistant.button.cancel", locale=locale), draft.token, Action.CANCEL)


def _skip_or_cancel(draft: Draft, locale: str) -> list[InlineKeyboardButton]:
    return [button(t("assistant.button.skip", locale=locale), draft.token, Action.SKIP), _cancel(draft, locale)]


def key_types(draft: Draft, profile: ExchangeProfile, locale: str) -> View:
    choices = profile.pasted_key_types
    rows = [[button(render(key_type.label, locale), draft.token, Action.KEY_TYPE, key_type.id)] for key_type in choices]
    rows.append(_skip_or_cancel(draft, locale))
    return View(texts.key_types(profile, choices, locale), InlineKeyboardMarkup(rows))


def make_key_offer(draft: Draft, profile: ExchangeProfile, locale: str) -> list[list[InlineKeyboardButton]]:
    """The "Let Tallybot make the key" row beside the first field, or no row where Tallybot cannot make the key."""
    if not can_make_key(draft, profile):
        return []
    return [[button(t("assistant.button.make_key", locale=locale), draft.token, Action.MAKE_KEY)]]


def public_key_view(draft: Draft, profile: ExchangeProfile, screen: Screen, locale: str) -> View:
    made = key_type_of(draft, profile).generated
    steps = made.steps if made is not None else ()
    keyboard = InlineKeyboardMarkup(
        [[button(t("assistant.button.own_key", locale=locale), draft.token, Action.OWN_KEY)], [_cancel(draft, locale)]]
    )
    return View(texts.public_key(profile.name, screen.key_kind, steps, screen.public_key, locale), keyboard)


def ask_field(draft: Draft, profile: ExchangeProfile, locale: str) -> View:
    key_type = key_type_of(draft, profile)
    field = key_type.fields[draft.state.field_index]
    text = texts.ask_field(profile.name, field, draft.state.field_index + 1, len(key_type.fields), locale)
    return View(text, InlineKeyboardMarkup([*make_key_offer(draft, profile, locale), [_cancel(draft, locale)]]))


def review(draft: Draft, profile: ExchangeProfile, fingerprint: str, locale: str) -> View:
    state = draft.state
    rows = [[button(t("assistant.button.check", locale=locale), draft.token, Action.CHECK)]]
    if state.mode == Mode.CONNECT:
        # A replaced key keeps its account's options; they are changed from /keys.
        rows.append([button(t("assistant.button.advanced", locale=locale), draft.token, Action.ADVANCED)])
    rows.append([_cancel(draft, locale)])
    # Typed by the user: escaped, or Telegram refuses the whole message (issue 12, finding 10).
    options = texts.review_options(state.subaccount, state.sync_from, locale)
    account = state.account_name or profile.name
    text = texts.review(profile, key_type_of(draft, profile), fingerprint, account, options, locale)
    return View(text, InlineKeyboardMarkup(rows))


def advanced(draft: Draft, profile: ExchangeProfile, locale: str) -> View:
    state = draft.state
    key_type = state.key_type or profile.default_key_type.id
    enabled = enabled_endpoints(draft, profile)
    rows = [
        [
            button(t("assistant.button.name", locale=locale), draft.token, Action.NAME),
            button(t("assistant.button.subaccount", locale=locale), draft.token, Action.SUBACCOUNT),
        ],
        [button(t("assistant.button.date", locale=locale), draft.token, Action.DATE)],
    ]
    if state.sync_from:
        rows[1].append(button(t("assistant.button.clear_date", locale=locale), draft.token, Action.CLEAR_DATE))
    for spec in profile.endpoints_for(key_type):
        mark = "☑️" if str(spec.endpoint) in enabled else "⬜"
        label = render(spec.label_text, locale)
        rows.append(
            [
                button(
                    t("assistant.button.endpoint", locale=locale, mark=mark, label=label),
                    draft.token,
                    Action.ENDPOINT,
                    str(spec.endpoint),
                )
            ]
        )
    back = (
        t("assistant.button.save", locale=locale)
        if state.mode == Mode.OPTIONS
        else t("assistant.button.back", locale=locale)
    )
    rows.append([button(back, draft.token, Action.BACK)])
    text = texts.advanced(state.account_name or profile.name, state.subaccount, state.sync_from, locale)
    return View(text, InlineKeyboardMarkup(rows))


PROMPTS = {
    Step.ASK_NAME: msgid("assistant.prompt.name"),
    Step.ASK_SUBACCOUNT: msgid("assistant.prompt.subaccount"),
    Step.ASK_DATE: msgid("assistant.prompt.date"),
}


def prompt_for(draft: Draft, locale: str) -> View:
    keyboard = InlineKeyboardMarkup([[button(t("assistant.button.back", locale=locale), draft.token, Action.ADVANCED)]])
    return View(t(PROMPTS[draft.state.step], locale=locale), keyboard)


RETRY_LABELS = {
    RetryKind.FIELD_AGAIN: msgid("assistant.retry.field_again"),
    RetryKind.KEY_TYPE: msgid("assistant.retry.key_type"),
    RetryKind.NEW_KEY: msgid("assistant.retry.new_key"),
    RetryKind.CHECK_AGAIN: msgid("assistant.retry.check_again"),
}


def failure_keyboard(draft: Draft, retries: tuple[Retry, ...], locale: str) -> InlineKeyboardMarkup:
    rows = [
        [button(t(RETRY_LABELS[retry.kind], locale=locale), draft.token, retry.action, retry.argument)]
        for retry in retries
    ]
    rows.append(_skip_or_cancel(draft, locale))
    return InlineKeyboardMarkup(rows)


def screen_view(draft: Draft, screen: Screen, locale: str) -> View:
    """The view of a screen the Assistant asked for (all but CANCELLED, which replaces the menu by a sentence)."""
    if screen.kind == ScreenKind.PICKER:
        if screen.found is not None:
            return picker(draft, locale, list(screen.found), has_more=False)
        return picker(draft, locale)
    profile = get_profile(draft.state.exchange_id or "")
    views = {
        ScreenKind.KEY_TYPES: lambda: key_types(draft, profile, locale),
        ScreenKind.FIELD: lambda: ask_field(draft, profile, locale),
        ScreenKind.PUBLIC_KEY: lambda: public_key_view(draft, profile, screen, locale),
        ScreenKind.REVIEW: lambda: review(draft, profile, screen.fingerprint, locale),
        ScreenKind.ADVANCED: lambda: advanced(draft, profile, locale),
        ScreenKind.PROMPT: lambda: prompt_for(draft, locale),
    }
    return views[screen.kind]()
