"""The Assistant's messages, built from catalogue entries (HTML) in the reader's locale. Every value that came from a
user or an exchange is escaped here; a profile's texts are catalogue `Text`s, worded here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from html import escape

from bot.assistant.results import Intro
from connectors.profiles import CredentialField, ExchangeProfile, KeyType, get_profile
from i18n import Text, join, msgid, render, t


def value(item: Text | str, locale: str) -> str:
    """A profile's text (or a value a user typed), rendered in `locale` and escaped."""
    return escape(render(item, locale))


def escaped(text: Text) -> Text:
    """The text with every string argument escaped (they are values: names, labels, what the user typed); an
    argument that is itself a catalogue text is trusted HTML and only its own arguments are escaped."""
    return Text(text.id, {name: _escaped_argument(argument) for name, argument in text.args.items()})


def _escaped_argument(argument: object) -> object:
    if isinstance(argument, str):
        return escape(argument)
    if isinstance(argument, Text):
        return escaped(argument)
    return argument


def html(text: Text, locale: str) -> str:
    """A note of the Assistant as the HTML message that says it."""
    return render(escaped(text), locale)


ALERT_LIMIT = 200  # Telegram refuses a callback alert of more characters


def plain(text: Text, locale: str) -> str:
    """An alert (Telegram shows it as plain text: nothing is escaped), cut to what Telegram shows."""
    worded = render(text, locale)
    return worded if len(worded) <= ALERT_LIMIT else worded[: ALERT_LIMIT - 1] + "…"


def _names(names: Iterable[str], locale: str) -> str:
    """Names listed in join()'s unit style, "A, B, C" (no "and"): the list of names the Assistant always showed."""
    return join(names, locale, style="unit")


def _bold_names(names: Iterable[str], locale: str) -> str:
    return _names([f"<b>{escape(name)}</b>" for name in names], locale)


def picker_title(names: list[str], locale: str) -> str:
    selected = (
        t("assistant.pick.selected", locale=locale, names=_bold_names(names, locale))
        if names
        else t("assistant.pick.none", locale=locale)
    )
    return t("assistant.pick.title", locale=locale, selected=selected)


def _lines(items: Iterable[Text | str], locale: str, numbered: bool = False) -> str:
    if numbered:
        return "\n".join(f"{n}. {value(item, locale)}" for n, item in enumerate(items, 1))
    return "\n".join(f"• {value(item, locale)}" for item in items)


def offered_name(profile: ExchangeProfile, locale: str) -> str:
    """The exchange's name where it is offered (the picker, the intro): an untested one says so; account names and
    every later screen use the name alone."""
    return t("profile.generic.untested_name", locale=locale, name=profile.name) if profile.best_effort else profile.name


def exchange_intro(intro: Intro, locale: str) -> str:
    """Alerts first (they matter most), then how to make a read-only key, notes, and the safety reminder."""
    profile = get_profile(intro.exchange_id)
    exchange = escape(offered_name(profile, locale))
    parts = [t("assistant.intro.heading", locale=locale, exchange=exchange, position=intro.position, total=intro.total)]
    if profile.best_effort:
        parts.append(t("assistant.intro.best_effort", locale=locale))
    if profile.alerts:
        parts.append(t("assistant.intro.alerts", locale=locale, lines=_lines(profile.alerts, locale)))
    if profile.integration_steps:
        parts.append(
            t("assistant.intro.steps", locale=locale, lines=_lines(profile.integration_steps, locale, numbered=True))
        )
    if profile.api_management_url:
        parts.append(t("assistant.intro.api_page", locale=locale, url=escape(profile.api_management_url, quote=True)))
    if profile.important_notes:
        parts.append(t("assistant.intro.notes", locale=locale, lines=_lines(profile.important_notes, locale)))
    parts.append(t("assistant.intro.safety", locale=locale))
    return "\n\n".join(parts)


def key_types(profile: ExchangeProfile, choices: Iterable[KeyType], locale: str) -> str:
    lines = [t("assistant.key_type.choose", locale=locale, exchange=escape(profile.name))]
    lines += [f"<b>{value(key_type.label, locale)}</b>: {value(key_type.description, locale)}" for key_type in choices]
    return "\n\n".join(lines)


def ask_field(exchange: str, field: CredentialField, number: int, total: int, locale: str) -> str:
    hint = f"\n<i>{value(field.hint, locale)}</i>" if field.hint else ""
    label = value(field.label, locale)
    return t(
        "assistant.field.ask",
        locale=locale,
        exchange=escape(exchange),
        number=number,
        total=total,
        label=label,
        hint=hint,
    )


def review(
    profile: ExchangeProfile, key_type: KeyType, fingerprint: str, account: str, options: list[str], locale: str
) -> str:
    kind = "" if len(profile.key_types) == 1 else f" ({value(key_type.label, locale)})"
    extras = "".join("\n" + line for line in options)
    return t(
        "assistant.review",
        locale=locale,
        exchange=escape(profile.name),
        kind=kind,
        fingerprint=escape(fingerprint),
        account=escape(account),
        extras=extras,
    )


def review_options(subaccount: str | None, sync_from: str | None, locale: str) -> list[str]:
    """The options a review and an account's detail show, when set (typed by the user: escaped)."""
    lines = [t("assistant.option.subaccount", locale=locale, subaccount=escape(subaccount))] if subaccount else []
    if sync_from:
        lines.append(t("assistant.option.sync_from", locale=locale, date=escape(sync_from)))
    return lines


def advanced(account: str, subaccount: str | None, sync_from: str | None, locale: str) -> str:
    return t(
        "assistant.advanced",
        locale=locale,
        account=escape(account),
        subaccount=escape(subaccount) if subaccount else t("assistant.advanced.main_account", locale=locale),
        sync_from=escape(sync_from) if sync_from else t("assistant.advanced.all_history", locale=locale),
    )


def public_key(exchange: str, kind: str, steps: Iterable[Text | str], public_pem: str, locale: str) -> str:
    return t(
        "assistant.keypair.public_key",
        locale=locale,
        exchange=escape(exchange),
        kind=escape(kind),
        public_key=escape(public_pem),
        steps=_lines(steps, locale, numbered=True),
    )


def connected(
    account: str,
    exchange: str,
    verified: bool,
    expires_at: datetime | None,
    ip_restricted: bool | None,
    locale: str,
) -> str:
    lines = [t("assistant.connected", locale=locale, account=escape(account), exchange=escape(exchange))]
    lines.append(
        t("assistant.connected.read_only", locale=locale)
        if verified
        else t("assistant.connected.not_verifiable", locale=locale)
    )
    if expires_at is not None:
        lines.append(t("assistant.connected.expires", locale=locale, date=expires_at.date()))
    if ip_restricted is not None:
        lines.append(
            t("assistant.connected.ip_on", locale=locale)
            if ip_restricted
            else t("assistant.connected.ip_none", locale=locale)
        )
    return "\n".join(lines)


def warnings_block(warnings: Iterable[Text | str], locale: str) -> str:
    return "\n".join(f"⚠️ {value(warning, locale)}" for warning in warnings)


def failure(title: str, explanation: str, tips: Iterable[str], locale: str) -> str:
    text = t("assistant.failure", locale=locale, title=escape(title), explanation=escape(explanation))
    tip_lines = _lines(tips, locale)
    return text + "\n\n" + t("assistant.failure.tips", locale=locale, tips=tip_lines) if tip_lines else text


def summary(connected_names: list[str], skipped: list[str], locale: str) -> str:
    if not connected_names:
        return t("assistant.summary.nothing", locale=locale)
    lines = [
        t("assistant.summary.done", locale=locale),
        t("assistant.summary.connected", locale=locale, names=_bold_names(connected_names, locale)),
    ]
    if skipped:
        lines.append(
            t(
                "assistant.summary.skipped",
                locale=locale,
                names=_names([escape(name) for name in skipped], locale),
            )
        )
    lines.append(t("assistant.summary.manage", locale=locale))
    return "\n".join(lines)


# --- /keys -----------------------------------------------------------------------------------------------

STATUSES: Mapping[str, str] = {
    "never_synced": msgid("assistant.keys.status.never_synced"),
    "running": msgid("assistant.keys.status.running"),
    "ok": msgid("assistant.keys.status.ok"),
    "partial": msgid("assistant.keys.status.partial"),
    "failed": msgid("assistant.keys.status.failed"),
    "disconnected": msgid("assistant.keys.status.disconnected"),
}


def key_line(name: str, exchange: str, fingerprint: str | None, status: str, locale: str) -> str:
    key = (
        t("assistant.keys.key", locale=locale, fingerprint=escape(fingerprint))
        if fingerprint
        else t("assistant.keys.no_key", locale=locale)
    )
    shown = t(STATUSES[status], locale=locale) if status in STATUSES else escape(status)
    return t("assistant.keys.line", locale=locale, name=escape(name), exchange=escape(exchange), key=key, status=shown)


def key_detail(
    name: str, exchange: str, fingerprint: str | None, subaccount: str | None, sync_from: str | None, locale: str
) -> str:
    lines = [t("assistant.keys.detail", locale=locale, name=escape(name), exchange=escape(exchange))]
    if fingerprint:
        lines.append(t("assistant.keys.detail_key", locale=locale, fingerprint=escape(fingerprint)))
    else:
        lines.append(t("assistant.keys.detail_no_key", locale=locale))
    return "\n".join(lines + review_options(subaccount, sync_from, locale))
