"""The gettext catalogues, read with Babel at import, keyed by dotted message id.

A locale's catalogue is every `.po` file in `locales/<locale>/LC_MESSAGES/` (`tallybot.po`, and one file per area
such as `diagnosis.po`, so that people working on different areas do not edit one file), merged into one gettext
domain; an id defined in two files is an error. The English files are the source of every text: the msgid is the
id (`diagnosis.invalid_key.title`), the msgstr the English. They are parsed with Babel and compiled to a `.mo` in
memory, so a fresh clone needs no build step and no file can go stale. Another locale (issue 19:
`locales/ja/LC_MESSAGES/*.po`) is read the same way with English as its gettext fallback, so an id not yet
translated shows English rather than the id.
"""

from __future__ import annotations

import gettext
import io
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "tallybot"
SOURCE_LOCALE = "en"


class UnknownText(LookupError):
    """A message id the English catalogue does not hold, or a singular/plural mix-up.

    Raised everywhere, production included: an id reaches `t()` either as a literal (the catalogue tests prove
    every literal exists) or built from a code (the tests enumerate the codes). Showing the bare id to a user would
    hide the defect from the logs and the tests; raising sends it to the error handler, which logs it.
    """


@dataclass(frozen=True, slots=True)
class Entry:
    msgid: str
    forms: tuple[str, ...]  # one form, or the plural forms in the catalogue's Plural-Forms order

    @property
    def plural(self) -> bool:
        return len(self.forms) > 1

    @property
    def placeholders(self) -> frozenset[str]:
        """The `{name}` fields of every form (attribute and index access count as their root name)."""
        return frozenset(name for form in self.forms for name in placeholders_of(form))


def placeholders_of(template: str) -> frozenset[str]:
    names: set[str] = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split(".", 1)[0].split("[", 1)[0])
    return frozenset(names)


def po_paths(locale: str) -> tuple[Path, ...]:
    return tuple(sorted((LOCALES_DIR / locale / "LC_MESSAGES").glob("*.po")))


def read_catalog(locale: str) -> Catalog:
    """Every `.po` of `locale` as one catalogue (plural rules from the locale's CLDR data)."""
    merged = Catalog(locale=locale, domain=DOMAIN)
    seen: dict[str, Path] = {}
    for path in po_paths(locale):
        with path.open("rb") as po:
            part = read_po(po, locale=locale, domain=DOMAIN)
        for message in part:
            if not message.id:
                continue  # the file's header
            identifier = message.id if isinstance(message.id, str) else message.id[0]
            if identifier in seen:
                raise ValueError(f"{identifier!r} is defined in both {seen[identifier].name} and {path.name}")
            seen[identifier] = path
            merged[message.id] = message
    return merged


@cache
def entries() -> Mapping[str, Entry]:
    """Every id of the English catalogue: the set of ids that exist at all."""
    found: dict[str, Entry] = {}
    for message in read_catalog(SOURCE_LOCALE):
        if not message.id:
            continue  # the header
        msgid, forms = id_and_forms(message)
        found[msgid] = Entry(msgid, forms)
    return found


def id_and_forms(message: Message) -> tuple[str, tuple[str, ...]]:
    """A Babel message as (id, forms): a plural message's id is the first of its (msgid, msgid_plural) pair."""
    identifier = message.id if isinstance(message.id, str) else message.id[0]
    string = message.string
    forms = (string,) if isinstance(string, str) else tuple(form or "" for form in string or ())
    return identifier, forms


@cache
def available_locales() -> tuple[str, ...]:
    return tuple(sorted({path.parent.parent.name for path in LOCALES_DIR.glob("*/LC_MESSAGES/*.po")}))


def resolve_locale(locale: str) -> str:
    """The catalogue a user's language tag reads: `ja-JP` and `ja_JP` read `ja`; a language we lack reads English."""
    tag = locale.replace("-", "_")
    known = available_locales()
    for candidate in (tag, tag.split("_", 1)[0].lower()):
        if candidate in known:
            return candidate
    return SOURCE_LOCALE


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of `locale` (English for a locale we have no catalogue for)."""
    locale = resolve_locale(locale)
    compiled = _compile(read_catalog(locale))
    if locale != SOURCE_LOCALE:
        compiled.add_fallback(translations(SOURCE_LOCALE))
    return compiled


def _compile(catalog: Catalog) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def entry(msgid: str) -> Entry:
    try:
        return entries()[msgid]
    except KeyError:
        raise UnknownText(f"no catalogue entry {msgid!r}") from None
