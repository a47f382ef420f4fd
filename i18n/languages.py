"""The languages a user can choose (/settings): one per catalogue, each named in its own language by CLDR."""

from __future__ import annotations

from babel import Locale

from i18n.catalogue import available_locales


def languages() -> tuple[str, ...]:
    """Every locale with a catalogue, English first (the source), then the others in a stable order."""
    return tuple(sorted(available_locales(), key=lambda locale: (locale != "en", locale)))


def autonym(locale: str) -> str:
    """The language's own name for itself ("English", "日本語"): what a reader of any language looks for in a list."""
    name = Locale.parse(locale).get_display_name(locale)
    return name[:1].upper() + name[1:] if name else locale
