"""Turning ids into text: `t`, `tn`, `Text` and `render`.

Arguments fill python brace fields (`{name}`). An argument that is itself a `Text` is rendered in the same locale
first, so a result can carry a label id inside a sentence id; a tuple of texts is rendered as one CLDR list ("A, B,
and C"), so a list inside a sentence follows the reader's locale too; a `date` is worded by CLDR's long pattern
("March 5, 2026", "2026年3月5日"), for a text that is shown, not stored. Entries may hold HTML (the bot sends HTML);
escaping an argument that came from a user or an exchange is the caller's job, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal, TypeGuard

from babel.dates import format_date
from babel.lists import format_list

from i18n.catalogue import SOURCE_LOCALE, UnknownText, entry, resolve_locale, translations


@dataclass(frozen=True, slots=True)
class Text:
    """What a service or a result carries instead of English: a message id and its arguments.

    A plural entry needs a `count` argument; `render` picks the form from it.
    """

    id: str
    args: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Frozen means frozen: a caller's dict changed later must not change this text.
        object.__setattr__(self, "args", MappingProxyType(dict(self.args)))

    @classmethod
    def of(cls, msgid: str, /, **args: object) -> Text:
        return cls(msgid, args)

    def to_json(self) -> dict[str, Any]:
        """The text as stored in the database (a JSON object): the id and its arguments, never the English.

        Arguments must be JSON values or `Text`; anything else (a Decimal, a datetime) is formatted by the caller
        into the argument it means, so that what is stored reads the same in every locale.
        """
        args: dict[str, Any] = {}
        for name, value in self.args.items():
            if isinstance(value, Text):
                args[name] = value.to_json()
            elif value is None or isinstance(value, str | int | float | bool):
                args[name] = value
            else:
                raise TypeError(f"{self.id}: argument {name!r} is a {type(value).__name__}, not a JSON value")
        return {"id": self.id, "args": args}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Text:
        args = {
            name: cls.from_json(value) if _is_stored_text(value) else value
            for name, value in dict(data.get("args") or {}).items()
        }
        return cls(str(data["id"]), args)

    def __repr__(self) -> str:
        return f"Text({self.id!r}, {dict(self.args)!r})"

    def __hash__(self) -> int:
        return hash((self.id, tuple(sorted(self.args.items()))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Text):
            return NotImplemented
        return self.id == other.id and dict(self.args) == dict(other.args)


def from_stored(value: object) -> Text | str | None:
    """A text read back from the database: a `Text.to_json()` object, or a plain string (a row written before the
    catalogue, or by a module not migrated yet), or None."""
    if _is_stored_text(value):
        return Text.from_json(value)
    return value if isinstance(value, str) else None


def _is_stored_text(value: object) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping) and isinstance(value.get("id"), str)


def t(msgid: str, /, *, locale: str = SOURCE_LOCALE, **args: object) -> str:
    """One singular entry, filled. An unknown id, or a plural entry, raises `UnknownText`."""
    if entry(msgid).plural:
        raise UnknownText(f"{msgid!r} is a plural entry: use tn() or a Text with count")
    return translations(locale).gettext(msgid).format(**_rendered(args, locale))


def tn(msgid: str, count: int, /, *, locale: str = SOURCE_LOCALE, **args: object) -> str:
    """One plural entry in the form `count` asks for (gettext ngettext); `{count}` is filled with it too."""
    if not entry(msgid).plural:
        raise UnknownText(f"{msgid!r} is not a plural entry: use t()")
    form = translations(locale).ngettext(msgid, msgid, count)
    return form.format(**_rendered(args, locale), count=count)


def render(text: Text | str, locale: str = SOURCE_LOCALE) -> str:
    """A `Text` in `locale`: a plural entry takes its form from the `count` argument, which it must carry.

    A `str` is returned as it is: a name, or English from a module not migrated yet (tests/catalogue_debt.txt
    counts those), so views can take either while the migration lasts.
    """
    if isinstance(text, str):
        return text
    if not entry(text.id).plural:
        return t(text.id, locale=locale, **text.args)
    args = dict(text.args)
    count = args.pop("count", None)
    if not isinstance(count, int) or isinstance(count, bool):
        raise UnknownText(f"{text.id!r} is a plural entry and needs an integer count, got {count!r}")
    return tn(text.id, count, locale=locale, **args)


def _rendered(args: Mapping[str, Any], locale: str) -> dict[str, Any]:
    return {name: _argument(value, locale) for name, value in args.items()}


class Alternatives(tuple[Text | str, ...]):
    """An argument rendered as an "or" list in the reader's locale ("A, B, or C"); a plain tuple is an "and" list."""


class Bullets(tuple[Text | str, ...]):
    """An argument rendered one item a line, each after a bullet ("• A\n• B"), in the reader's locale."""


def _argument(value: object, locale: str) -> object:
    if isinstance(value, Text):
        return render(value, locale)
    if isinstance(value, Bullets):
        return "\n".join(f"• {render(item, locale)}" for item in value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date(value, "long", locale=resolve_locale(locale))
    if isinstance(value, tuple) and all(isinstance(item, Text | str) for item in value):
        style: Literal["or", "standard"] = "or" if isinstance(value, Alternatives) else "standard"
        return format_list([render(item, locale) for item in value], style=style, locale=resolve_locale(locale))
    return value
