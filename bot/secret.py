"""A masked secret type and the registry of every live secret, which the log redaction reads."""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Iterator

from connectors.redaction import credential_values

MASK = "****"
# Below this length a value is not redacted by substring: a 3-character "secret" would mangle every log line.
MIN_REDACTABLE_LENGTH = 6

_KEY_CHARS = r"A-Za-z0-9_\-+/="
# A run of 20+ key-like characters mixing letters and digits: what API keys, secrets and signatures look like.
KEY_LIKE = re.compile(
    rf"(?<![{_KEY_CHARS}])(?=[{_KEY_CHARS}]*\d)(?=[{_KEY_CHARS}]*[A-Za-z])[{_KEY_CHARS}]{{20,}}(?![{_KEY_CHARS}])"
)


def looks_like_secret(text: str | None) -> bool:
    """Whether a message holds something that could be a key: treat it as one (delete it, never echo it)."""
    return bool(text) and KEY_LIKE.search(text or "") is not None


# Short credentials: Bybit's API keys are 18 characters; OKX and Bitget passphrases are chosen by the user, 8 to 32
# characters of letters and digits (OKX adds symbols). One whitespace-free token of 8+ such characters that mixes
# letters with digits could be one. Dots, slashes and colons are left out: file names, time zones ("Etc/GMT+12")
# and links are not passphrases.
MIN_SHORT_KEY_LENGTH = 8
_SHORT_KEY_TOKEN = re.compile(r"[A-Za-z0-9_\-+=!@#$%^&*?~]{8,}")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_HAS_DIGIT = re.compile(r"\d")


def short_key_tokens(text: str | None) -> list[str]:
    """The whitespace-separated tokens of `text` shaped like a short key or passphrase."""
    return [
        token
        for token in (text or "").split()
        if _SHORT_KEY_TOKEN.fullmatch(token) and _HAS_LETTER.search(token) and _HAS_DIGIT.search(token)
    ]


def holds_key_material(text: str | None, ordinary: Callable[[str], bool] = lambda token: False) -> bool:
    """A long key anywhere, or a short key-shaped token that is not `ordinary` (a name the bot itself knows, like
    "Binance-1", which must not be deleted as a key)."""
    return looks_like_secret(text) or any(not ordinary(token) for token in short_key_tokens(text))


class SecretRegistry:
    """Every secret value the process has seen, so a log filter can strike it from any record.

    Values are held only as long as some `Secret` holding them is alive (the registry keeps weak
    references), so a replaced key does not linger in memory because of redaction.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_value: weakref.WeakValueDictionary[str, Secret] = weakref.WeakValueDictionary()
        self._pinned: set[str] = set()

    def register(self, secret: Secret) -> None:
        if len(secret.reveal()) >= MIN_REDACTABLE_LENGTH:
            with self._lock:
                self._by_value[secret.reveal()] = secret

    def pin(self, value: str) -> None:
        """Redact a value for the life of the process (the bot token)."""
        if len(value) >= MIN_REDACTABLE_LENGTH:
            with self._lock:
                self._pinned.add(value)

    def values(self) -> Iterator[str]:
        """Every value to strike: the live secrets, the pinned ones and the connectors' (presigned links)."""
        with self._lock:
            current = set(self._by_value.keys()) | self._pinned
        current |= {value for value in credential_values.values() if len(value) >= MIN_REDACTABLE_LENGTH}
        # Longest first, so a secret that contains another is struck whole.
        yield from sorted(current, key=len, reverse=True)

    def clear(self) -> None:
        with self._lock:
            self._by_value.clear()
            self._pinned.clear()
        credential_values.clear()


registry = SecretRegistry()


class Secret:
    """A credential value whose `repr`/`str` never show it; `reveal()` is the one explicit way out."""

    __slots__ = ("__value", "__weakref__")

    def __init__(self, value: str) -> None:
        self.__value = value
        registry.register(self)

    def reveal(self) -> str:
        return self.__value

    def fingerprint(self) -> str:
        """The last four characters, for "API key …7f3a received"; nothing for short values."""
        if len(self.__value) < 12:
            return "…"
        return "…" + self.__value[-4:]

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.__value == self.__value

    def __hash__(self) -> int:
        return hash((Secret, self.__value))

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the value into persistence; a Secret must never get there.
        raise TypeError("a Secret cannot be pickled")

    def __len__(self) -> int:
        return len(self.__value)
