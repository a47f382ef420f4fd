"""The troubleshooting guide: common problems in plain words, with each exchange's own tips added.

The words are catalogue entries (i18n/locales/en/LC_MESSAGES/troubleshooting.po); a topic names them by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from html import escape

from connectors.profiles import ExchangeProfile, TipCode
from i18n import msgid, render, t
from i18n.catalogue import SOURCE_LOCALE


class TopicId(StrEnum):
    """A topic's id: a code in the menu buttons' callback data, never shown (each topic's title is its text)."""

    INVALID = "invalid"
    STOPPED = "stopped"
    OLDER = "older"
    FEWER = "fewer"
    MULTIPLE = "multiple"
    IP = "ip"
    REGENERATED = "regenerated"
    PASSPHRASE = "passphrase"  # noqa: S105 - the topic about passphrases, not one
    TAX = "tax"


@dataclass(frozen=True, slots=True)
class Topic:
    id: TopicId
    title: str  # message ids
    answer: tuple[str, ...]
    tip_codes: tuple[TipCode, ...] = ()  # the profiles' tips that belong under this topic


TOPICS: tuple[Topic, ...] = (
    Topic(
        TopicId.INVALID,
        msgid("troubleshooting.invalid.title"),
        (
            msgid("troubleshooting.invalid.answer_1"),
            msgid("troubleshooting.invalid.answer_2"),
            msgid("troubleshooting.invalid.answer_3"),
            msgid("troubleshooting.invalid.answer_4"),
        ),
        (TipCode.INVALID_KEY, TipCode.WRONG_KEY_TYPE, TipCode.KEY_EXPIRED),
    ),
    Topic(
        TopicId.STOPPED,
        msgid("troubleshooting.stopped.title"),
        (msgid("troubleshooting.stopped.answer_1"), msgid("troubleshooting.stopped.answer_2")),
        (TipCode.KEY_EXPIRED,),
    ),
    Topic(
        TopicId.OLDER,
        msgid("troubleshooting.older.title"),
        (msgid("troubleshooting.older.answer_1"), msgid("troubleshooting.older.answer_2")),
        (TipCode.MISSING_HISTORY,),
    ),
    Topic(
        TopicId.FEWER,
        msgid("troubleshooting.fewer.title"),
        (
            msgid("troubleshooting.fewer.answer_1"),
            msgid("troubleshooting.fewer.answer_2"),
            msgid("troubleshooting.fewer.answer_3"),
        ),
        (TipCode.FEWER_TRANSACTIONS, TipCode.RATE_LIMITED),
    ),
    Topic(
        TopicId.MULTIPLE,
        msgid("troubleshooting.multiple.title"),
        (msgid("troubleshooting.multiple.answer_1"),),
    ),
    Topic(
        TopicId.IP,
        msgid("troubleshooting.ip.title"),
        (msgid("troubleshooting.ip.answer_1"),),
        (TipCode.IP_NOT_ALLOWED,),
    ),
    Topic(
        TopicId.REGENERATED,
        msgid("troubleshooting.regenerated.title"),
        (msgid("troubleshooting.regenerated.answer_1"),),
    ),
    Topic(
        TopicId.PASSPHRASE,
        msgid("troubleshooting.passphrase.title"),
        (msgid("troubleshooting.passphrase.answer_1"),),
        (TipCode.WRONG_PASSPHRASE,),
    ),
    Topic(
        TopicId.TAX,
        msgid("troubleshooting.tax.title"),
        (msgid("troubleshooting.tax.answer_1"),),
    ),
)


def topic(topic_id: str) -> Topic | None:
    return next((t for t in TOPICS if t.id == topic_id), None)


def title(chosen: Topic, locale: str = SOURCE_LOCALE) -> str:
    return t(chosen.title, locale=locale)


def answer(chosen: Topic, profiles: list[ExchangeProfile], locale: str = SOURCE_LOCALE) -> str:
    """The answer (HTML), then the tips of the user's own exchanges that belong to it."""
    lines = [f"🛟 <b>{escape(title(chosen, locale))}</b>", ""]
    lines += [f"• {escape(t(paragraph, locale=locale))}" for paragraph in chosen.answer]
    for profile in profiles:
        tips = [tip for code in chosen.tip_codes if (tip := profile.tip(code)) is not None]
        if tips:
            lines += ["", t("troubleshooting.on_exchange", locale=locale, name=escape(profile.name))]
            for tip in tips:
                lines += [f"• {escape(render(fix, locale))}" for fix in tip.fixes]
    return "\n".join(lines)
