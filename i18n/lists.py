"""Lists in a sentence through CLDR (Babel): "A, B, and C" in English, the locale's own pattern elsewhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from babel.lists import format_list

from i18n.catalogue import SOURCE_LOCALE, resolve_locale
from i18n.render import Text, render

ListStyle = Literal["standard", "standard-short", "or", "or-short", "unit", "unit-short", "unit-narrow"]


def join(items: Iterable[str | Text], locale: str = SOURCE_LOCALE, style: ListStyle = "standard") -> str:
    """`items` as one phrase; a `Text` item is rendered first. "and" is `standard`, "or" is `or`."""
    words = [render(item, locale) for item in items]
    return format_list(words, style=style, locale=resolve_locale(locale))
