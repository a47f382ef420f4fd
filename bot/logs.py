"""Logging set-up and redaction of secrets from every record, whichever logger wrote it."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from bot.secret import KEY_LIKE, registry

REDACTED = "[REDACTED]"
NOISY_LIBRARIES = (
    "httpx",
    "httpcore",
    "telegram",
    "ccxt",
    "aiosqlite",
    "apscheduler",
    "hpack",
    "alembic.runtime.plugins",
)
# Bot tokens look like 123456789:AAH… (BotFather's format); strike any, not only ours.
BOT_TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
# Signed exchange URLs carry signature=… and apiKey-like query values.
SIGNATURE_PATTERN = re.compile(r"(?i)\b(signature|sign|apikey|api_key|passphrase)=[^&\s'\"]+")
# ccxt logs request headers at DEBUG: signatures (X-BAPI-SIGN, OK-ACCESS-SIGN, ACCESS-SIGN, KC-API-SIGN,
# API-Sign), passphrases (KuCoin's v2 one is derived from the secret and never changes) and key headers.
HEADER_PATTERN = re.compile(
    r"(?i)(['\"]?[\w-]*(?:sign|passphrase|api-?key|access-key)[\w-]*['\"]?\s*[:=]\s*['\"]?)([^'\",}\s]+)"
)

# OKX's bill archive answer carries a presigned download link (`fileHref`); ccxt logs the body at DEBUG before the
# fetcher could register the link (connectors/redaction.py), so the field's value is struck by name.
PRESIGNED_LINK_PATTERN = re.compile(r"(?i)(['\"]?filehref['\"]?\s*[:=]\s*['\"]?)([^'\",}\s]+)")


# Loggers that write what users sent (PTB logs whole updates at DEBUG), before any handler could register a
# pasted key as a secret: everything key-like is struck from them.
USER_CONTENT_LOGGERS = ("telegram", "httpx", "httpcore")


# PTB's DEBUG records quote what users sent (text='…', "text": "…", caption …); a passphrase the user chose need
# not look like a key, so the quoted texts themselves are struck from those loggers' records.
USER_TEXT_PATTERN = re.compile(r"""(\b(?:text|caption)['"]?\s*[=:]\s*)(['"])((?:\\.|(?!\2).)*)\2""", re.DOTALL)


def redact(text: str) -> str:
    for value in registry.values():
        if value in text:
            text = text.replace(value, REDACTED)
    text = BOT_TOKEN_PATTERN.sub(REDACTED, text)
    text = SIGNATURE_PATTERN.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = PRESIGNED_LINK_PATTERN.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return HEADER_PATTERN.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not hide the rest of the record
        message = f"{record.msg!r} {record.args!r}"
    message = redact(message)
    if record.name.startswith(USER_CONTENT_LOGGERS):
        message = USER_TEXT_PATTERN.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", message)
        message = KEY_LIKE.sub(REDACTED, message)
    record.msg = message
    record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        # Exception texts (ccxt's especially) can quote signed URLs: render now, redacted.
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_installed_factory: Any = None


def install_redaction() -> None:
    """Redact at record creation, so every handler (ours, pytest's, a library's) sees clean records."""
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is _installed_factory:
        return
    base = current

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        _redact_record(record)
        return record

    _installed_factory = factory
    logging.setLogRecordFactory(factory)


def configure_logging(level: str = "INFO") -> None:
    """Root at `level`; chatty libraries at WARNING unless the operator asked for more of them."""
    install_redaction()
    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for name in NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
