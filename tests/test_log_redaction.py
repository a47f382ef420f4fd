"""Redaction: a secret the vault has seen never reaches a log line, whichever logger writes it."""

from __future__ import annotations

import logging

import pytest

from bot.logs import REDACTED, configure_logging, redact
from bot.secret import Secret, registry

CANARY = "CANARY-7f3a9c1e5b2d4f60a8e1"


@pytest.fixture
def debug_everywhere(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    configure_logging("DEBUG")
    for name in ("", "telegram", "httpx", "ccxt", "some.library"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    return caplog


def test_a_live_secret_is_struck_from_messages_args_and_tracebacks(debug_everywhere: pytest.LogCaptureFixture) -> None:
    secret = Secret(CANARY)
    logger = logging.getLogger("some.library")

    logger.debug("request headers %s", {"X-API-KEY": CANARY})
    # A library formatting the secret into the message itself must still be caught.
    logger.info(f"inline {CANARY}")
    try:
        raise RuntimeError(f"GET https://api.example.com/v1/account?key={CANARY}")
    except RuntimeError:
        logger.exception("request failed")

    output = debug_everywhere.text + "".join(record.exc_text or "" for record in debug_everywhere.records)
    assert CANARY not in output
    assert output.count(REDACTED) >= 3
    del secret


def test_bot_tokens_and_signatures_are_struck_even_when_never_registered() -> None:
    line = "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe?signature=abcdef123"

    cleaned = redact(line)

    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in cleaned
    assert "abcdef123" not in cleaned


def test_a_secret_no_longer_alive_is_no_longer_tracked() -> None:
    value = "transient-secret-value-123"
    Secret(value)  # dropped at once

    assert value not in set(registry.values())
