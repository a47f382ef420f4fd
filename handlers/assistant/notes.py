"""The Assistant's notes and alerts (message ids with arguments, from bot/assistant) as the text Telegram shows.

Notes are HTML: every value that came from a user or an exchange is escaped here. Alerts are plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from bot.assistant import keypair_texts, texts
from bot.assistant.results import Note
from connectors.profiles import get_profile


def _escaped(template: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda args: escape(template.format(**args))


def _named(template: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda args: template.format(name=escape(args["name"]))


def _problem(value: Note | str) -> str:
    return plain(value) if isinstance(value, Note) else value


def _rejected(args: Mapping[str, Any]) -> str:
    text = texts.FIELD_REJECTED.format(problem=escape(_problem(args["problem"])), label=escape(args["label"]))
    return text if args["deleted"] else text + "\n\n" + texts.UNEXPECTED_KEY_NOT_DELETED


def _received(args: Mapping[str, Any]) -> str:
    shown = args["fingerprint"] if "fingerprint" in args else f"({args['length']} characters)"
    template = texts.FIELD_RECEIVED if args["deleted"] else texts.FIELD_RECEIVED_NOT_DELETED
    # The fingerprint is the end of what the user pasted: escaped like any user value.
    return template.format(label=escape(args["label"]), fingerprint=escape(shown))


def _intro(args: Mapping[str, Any]) -> str:
    return texts.exchange_intro(get_profile(args["exchange"]), args["position"], args["total"])


def _resumed(args: Mapping[str, Any]) -> str:
    return escape(texts.RESUMED.format(exchange=get_profile(args["exchange"]).name))


PLAIN: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "assistant.field.inner_spaces": lambda args: texts.FIELD_INNER_SPACES.format(**args),
    "assistant.field.duplicate": lambda args: texts.FIELD_DUPLICATE.format(**args),
    "assistant.alert.nothing_picked": lambda args: texts.NOTHING_PICKED,
    "assistant.alert.unsupported": lambda args: texts.UNSUPPORTED.format(**args),
    "assistant.alert.no_endpoint": lambda args: texts.NO_ENDPOINT,
    "assistant.alert.expired_menu": lambda args: texts.EXPIRED_MENU,
}

HTML: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "assistant.intro": _intro,
    "assistant.field.rejected": _rejected,
    "assistant.field.received": _received,
    "assistant.pick.no_match": lambda args: texts.NO_MATCH,
    "assistant.use_buttons": lambda args: texts.USE_BUTTONS,
    "assistant.problem": lambda args: escape(args["message"]),
    "assistant.date.unreadable": _escaped(texts.BAD_DATE),
    "assistant.date.future": _escaped(texts.FUTURE_DATE),
    "assistant.subaccount.invalid": _escaped(texts.BAD_SUBACCOUNT),
    "assistant.keys.renamed": _named(texts.RENAMED),
    "assistant.keys.options_saved": _named(texts.OPTIONS_SAVED),
    "assistant.keys.rename_ask": _named(texts.RENAME_ASK),
    "assistant.keys.replace_intro": _named(texts.REPLACE_INTRO),
    "assistant.keypair.not_offered": lambda args: keypair_texts.NOT_OFFERED,
    "assistant.resumed": _resumed,
    "assistant.resumed_pick": _escaped(texts.RESUMED_PICK),
}


def plain(note: Note) -> str:
    """An alert, or a part of a note, as plain text."""
    return PLAIN[note.id](note.args)


def html(note: Note) -> str:
    """A note as the HTML message that says it."""
    return HTML[note.id](note.args)
