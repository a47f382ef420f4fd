"""The text catalogue: every user-facing text by message id, English in `locales/en/LC_MESSAGES/tallybot.po`.

Services and results carry `Text` (an id and its arguments) or codes, never English; the edge that talks to the
user renders them with `render`, `t` or `tn` in the user's locale. docs/TEXTS.md says how to add a text.
"""

from __future__ import annotations

from i18n.catalogue import SOURCE_LOCALE, UnknownText, resolve_locale
from i18n.dates import local_datetime
from i18n.languages import autonym, languages
from i18n.lists import ListStyle, join
from i18n.render import Alternatives, Bullets, Text, from_stored, render, t, tn


def msgid(identifier: str, /) -> str:
    """Marks a literal as a message id where it is not rendered on the spot (gettext's `N_`).

    A table of ids (code -> id) is written with it so the catalogue tests see every id used, exactly like `t("...")`.
    """
    return identifier


__all__ = [
    "SOURCE_LOCALE",
    "Alternatives",
    "Bullets",
    "ListStyle",
    "Text",
    "UnknownText",
    "autonym",
    "from_stored",
    "join",
    "languages",
    "local_datetime",
    "msgid",
    "render",
    "resolve_locale",
    "t",
    "tn",
]
