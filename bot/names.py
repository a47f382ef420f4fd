"""Names users type: account names that cannot be keys or impersonate an exchange, and the words the bot knows.

Issue 12: a Bybit API key (18 characters) or a passphrase could be stored in plain text as an account name, and
full-width ("Ｂｉｎａｎｃｅ") or Cyrillic look-alike exchange names were accepted. Names are normalised (NFKC, which
folds full-width and other compatibility forms to their plain letters), then refused when they could be key
material, mix scripts within a word, spell an exchange's name with look-alike letters, or name another exchange.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from bot.secret import holds_key_material
from connectors.profiles import all_exchange_ids, get_profile
from i18n import Text

# Why a name is refused (catalogue texts).
NAME_LOOKS_LIKE_A_KEY = Text.of("names.looks_like_a_key")
NAME_LOOK_ALIKE = Text.of("names.look_alike")
NAME_OTHER_EXCHANGE = Text.of("names.other_exchange")

# Letters of other scripts drawn like Latin ones (Unicode's confusables for the Cyrillic and Greek letters that
# matter in exchange names), mapped to the Latin letter they pass for.
_CONFUSABLES = str.maketrans(
    "АВЕЅІЈКМНОРСТХУаеіјорсхуѕԁһӏԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοκνρτυχ",
    "ABESIJKMHOPCTXYaeijopcxysdhlqwABEZHIKMNOPTYXokvptux",
)
_NUMBERED = re.compile(r"^(?P<base>.*?)[\s\-_#]*\d*$")
# The only numbered form a key-shaped token may take and still be a name: the one the bot suggests ("Binance-1"),
# an exchange's name, one separator and at most three digits. "okx20240101" or "Bitget1234567" is a passphrase.
_SUGGESTED_NUMBER = re.compile(r"^(?P<base>.+?)[\s\-_#]\d{1,3}$")


@cache
def exchange_words() -> dict[str, str]:
    """Every exchange's id, name and aliases, casefolded, to the exchange's id."""
    words: dict[str, str] = {}
    for exchange_id in all_exchange_ids():
        profile = get_profile(exchange_id)
        for word in (profile.id, profile.name, *profile.aliases):
            words.setdefault(word.casefold(), profile.id)
    return words


def exchange_named(text: str) -> str | None:
    """The exchange `text` names, with or without a number ("Binance", "bybit-2", "OKX #3"), or None."""
    match = _NUMBERED.match(text.strip().casefold())
    base = match.group("base") if match else ""
    return exchange_words().get(base.strip())


def is_ordinary_word(token: str, account_names: tuple[str, ...] = ()) -> bool:
    """A token the bot knows that is not a key even though it mixes letters and digits: an exchange's name with a
    number ("Binance-1", the names the bot suggests) or one of the user's own account names."""
    folded = token.strip().casefold()
    suggested = _SUGGESTED_NUMBER.match(folded)
    base = suggested.group("base") if suggested else folded
    return base.strip() in exchange_words() or any(folded == name.casefold() for name in account_names)


def _scripts(word: str) -> set[str]:
    return {unicodedata.name(char, "UNKNOWN").split(" ", 1)[0] for char in word if char.isalpha()}


def refusal(name: str, exchange_id: str | None = None) -> Text | None:
    """Why `name` (already NFKC-normalised) cannot be an account name, or None. `exchange_id`: the account's own
    exchange, when known, so that naming it after another exchange is refused too."""
    if holds_key_material(name, is_ordinary_word):
        return NAME_LOOKS_LIKE_A_KEY
    if any(len(_scripts(word)) > 1 for word in name.split()):
        return NAME_LOOK_ALIKE
    skeleton = name.translate(_CONFUSABLES)
    if skeleton != name and exchange_named(skeleton) is not None:
        return NAME_LOOK_ALIKE
    named = exchange_named(name)
    if exchange_id is not None and named is not None and named != exchange_id:
        return NAME_OTHER_EXCHANGE
    return None


def normalised(name: str) -> str:
    """NFKC (full-width and compatibility letters to plain ones), single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).split())
