"""Facts taken out of an exchange error: its type, exchange, HTTP status and the exchange's own code. No text.

ccxt puts the exchange's response body (and for HTTP errors the signed request URL) into the exception message.
This module is the one place that reads that message. It keeps only values of a known, harmless shape — a
ccxt exchange id, a three-digit status, a code made of digits or identifier characters — so nothing it
returns can carry an API key, a signature or a URL.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

_FACTS_ATTRIBUTE = "_tallybot_error_facts"
# Set on clients whose every answer is recorded per task (connectors.clients.keep_rate_limit_status).
ANSWERS_PER_TASK_ATTRIBUTE = "tallybot_answers_per_task"
_STATUS_ATTRIBUTE = "_tallybot_http_status"

# HTTP statuses that mean "not now" from any exchange, whatever the body says: 429 Too Many Requests, and 418,
# Binance's IP ban (also what some gateways answer). ccxt maps them per exchange, not always to a rate-limit
# error (OKX's 429 without OKX's JSON body is ExchangeNotAvailable), so the status decides.
RATE_LIMIT_STATUSES = frozenset({418, 429})

# Codes are numbers (-2015, 10003, "50111", "00000"), identifiers (INVALID_KEY, api-signature-not-valid) or
# Kraken's "EAPI:Invalid key". Anything else (a sentence, a URL, a key) is not a code and is dropped.
_NUMERIC_CODE = re.compile(r"-?\d{1,10}")
_IDENTIFIER_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{1,47}")
_KRAKEN_CODE = re.compile(r"[EW][A-Za-z]{2,20}:[A-Za-z][A-Za-z _-]{1,40}")
_EXCHANGE_ID = re.compile(r"[a-z][a-z0-9_]{1,30}")
_STATUS_AFTER_URL = re.compile(r"\b(?:GET|POST|PUT|DELETE|PATCH) \S+ ([1-5]\d\d)\b")
_BANNED_UNTIL = re.compile(r"banned until (\d{13})")
# Codes that mean success in the exchanges' envelopes; a body carrying one has no error code to report.
_SUCCESS_CODES = frozenset({"0", "00000", "200", "200000", "ok", "success"})
_MAX_JSON_STARTS = 8  # braces tried per message; ccxt messages hold one body


@dataclass(frozen=True, slots=True)
class ErrorFacts:
    """What may be logged or matched about an error: nothing in here comes from free text."""

    error_type: str
    exchange: str | None = None
    status: int | None = None
    code: str | None = None
    retry_after: float | None = None  # seconds, when the exchange said how long to wait
    network: bool = False  # the request never got an HTTP answer (connection refused, DNS, timeout)


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer as ccxt received it: status, body text and headers."""

    status: int | None = None
    body: str | None = None
    headers: Mapping[str, Any] | None = None


# The last answer received in this task. ccxt keeps only `client.last_http_response` / `last_response_headers`,
# which a request of another task on the same client (Binance's wallet endpoints run side by side) overwrites
# as soon as this task awaits anything; an asyncio task's context is its own.
_LAST_ANSWER: ContextVar[Answer | None] = ContextVar("tallybot_last_answer", default=None)


def record_answer(status: Any, body: Any, headers: Any) -> None:
    """Keep an answer as this task's last (the client pool calls it for every answer ccxt hands its handlers)."""
    _LAST_ANSWER.set(
        Answer(
            status if isinstance(status, int) and not isinstance(status, bool) else None,
            body if isinstance(body, str) else None,
            headers if isinstance(headers, Mapping) else None,
        )
    )


def task_answer() -> Answer | None:
    """The last answer this task received through any pool client (None before any)."""
    return _LAST_ANSWER.get()


def last_answer(client: Any) -> Answer | None:
    """The answer to this task's last request through `client` (None before any).

    A pool client records each answer in the task that asked for it. A client made elsewhere records none: its
    answer is the one ccxt keeps on the client, which is this task's only while no other task shares it.
    """
    if getattr(client, ANSWERS_PER_TASK_ATTRIBUTE, False):
        return task_answer()
    body, headers = getattr(client, "last_http_response", None), getattr(client, "last_response_headers", None)
    if body is None and headers is None:
        return None
    return Answer(None, body if isinstance(body, str) else None, headers if isinstance(headers, Mapping) else None)


def error_facts(error: BaseException) -> ErrorFacts:
    """The facts of an error: those attached by `attach_response_facts`, else what its message yields."""
    attached = getattr(error, _FACTS_ATTRIBUTE, None)
    if isinstance(attached, ErrorFacts):
        return attached
    return _facts_from_message(error)


def safe_summary(error: BaseException) -> str:
    """A one-line description for logs: type, exchange, HTTP status and exchange code — never the message."""
    facts = error_facts(error)
    parts = [facts.exchange] if facts.exchange else []
    if facts.status is not None:
        parts.append(f"HTTP {facts.status}")
    if facts.code is not None:
        parts.append(f"code {facts.code}")
    if facts.retry_after is not None:
        parts.append(f"retry after {facts.retry_after:.0f}s")
    if facts.network:
        parts.append("no response")
    return f"{facts.error_type} ({', '.join(parts)})" if parts else facts.error_type


def attach_response_facts(error: BaseException, client: Any) -> None:
    """Complete an error's facts from the ccxt client that raised it, and keep them on the error.

    Call it right after a failed call on `client`, before this task makes another request: ccxt keeps the
    response on the client, not on the exception, and the pool records it per task (`last_answer`). The body
    supplies the exchange code when ccxt's message lacks it, the status an HTTP error status the message lacks;
    the headers supply how long to wait (``Retry-After``, Bybit's limit reset time). Afterwards `error_facts`
    and `diagnose` see the completed facts wherever the error travels.
    """
    facts = _facts_from_message(error)
    answer = last_answer(client)
    if not facts.network and answer is not None:
        if facts.code is None and answer.body is not None:
            facts = replace(facts, code=_code_from_text(answer.body))
        if facts.status is None and answer.status is not None and answer.status >= 400:
            facts = replace(facts, status=answer.status)
        if facts.retry_after is None and answer.headers is not None:
            facts = replace(facts, retry_after=_retry_after_from_headers(answer.headers))
    # An exception type with __slots__ refuses the attribute: its facts stay computable from the message.
    with contextlib.suppress(AttributeError):
        setattr(error, _FACTS_ATTRIBUTE, facts)


def note_http_status(error: BaseException, status: int) -> None:
    """Record the HTTP status of the answer `error` was raised for, when ccxt's message may lack it.

    ccxt writes the status into its message only when its generic HTTP handler raises; an exchange's own handler
    that raises first on the body (Bybit, OKX: any JSON without their success code) leaves it out. The client
    pool calls this from around that handler (connectors.clients), so the status is known whatever the body.
    """
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        with contextlib.suppress(AttributeError):
            setattr(error, _STATUS_ATTRIBUTE, status)


# -------------------------------------------------------------------------------------------- internals


def _facts_from_message(error: BaseException) -> ErrorFacts:
    message = _message(error)
    exchange = _exchange_id(message)
    noted = getattr(error, _STATUS_ATTRIBUTE, None)
    status = noted if isinstance(noted, int) else _status(message, exchange)
    retry_after = _retry_after_from_text(message)
    return ErrorFacts(
        error_type=type(error).__name__,
        exchange=exchange,
        status=status,
        code=_code_from_text(message),
        retry_after=retry_after,
        network=_is_network_failure(error),
    )


def _message(error: BaseException) -> str:
    try:
        return str(error.args[0]) if error.args else ""
    except Exception:  # a hostile __str__ must not break diagnosis
        return ""


def _exchange_id(message: str) -> str | None:
    """ccxt starts every message with the exchange id; accept it only if ccxt knows such an exchange."""
    first = message.split(" ", 1)[0]
    if not _EXCHANGE_ID.fullmatch(first):
        return None
    ccxt = sys.modules.get("ccxt")
    known = getattr(ccxt, "exchanges", None)
    if isinstance(known, list) and first in known:
        return first
    return None


def _status(message: str, exchange: str | None) -> int | None:
    match = _STATUS_AFTER_URL.search(message)
    if match is not None:
        return int(match.group(1))
    if exchange is not None:
        # Some exchanges' handlers (Binance on 418/429) write "<id> <status> <reason> <body>".
        rest = message[len(exchange) + 1 :].split(" ", 1)[0]
        if len(rest) == 3 and rest.isdigit() and rest[0] in "12345":
            return int(rest)
    return None


def _json_objects(text: str) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    start = text.find("{")
    tried = 0
    while start != -1 and tried < _MAX_JSON_STARTS:
        tried += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        yield value
        start = text.find("{", end)


def _code_from_text(text: str) -> str | None:
    for body in _json_objects(text):
        if isinstance(body, dict):
            code = _code_from_body(body)
            if code is not None:
                return code
    return None


def _code_from_body(body: Mapping[str, Any]) -> str | None:
    """The exchange's own error code from a response body, or None when it holds none (or a success code)."""
    candidates: list[Any] = []
    if "retCode" in body:  # Bybit
        candidates.append(body["retCode"])
    elif "ret_code" in body:
        candidates.append(body["ret_code"])
    else:
        data = body.get("data")
        if isinstance(data, list):  # OKX puts per-item codes in data[i].sCode
            candidates.extend(item.get("sCode") for item in data if isinstance(item, dict))
        elif isinstance(data, dict) and "success" in body:  # bitbank: {"success": 0, "data": {"code": 20003}}
            candidates.append(data.get("code"))
        candidates.append(body.get("code"))
        candidates.append(body.get("err-code"))  # HTX v1
        candidates.append(body.get("err_code"))
        candidates.append(body.get("label"))  # Gate
        error = body.get("error")
        if isinstance(error, list):  # Kraken: ["EAPI:Invalid key"]
            candidates.extend(error[:1])
        else:
            candidates.append(error)  # Coinbase: "PERMISSION_DENIED"
        if "error_message" in body:  # bitFlyer: {"status": -500, "error_message": …, "data": null}
            candidates.append(body.get("status"))
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # Coinbase v2
            candidates.append(errors[0].get("id"))
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):  # GMO Coin: ERR-5012
            candidates.append(messages[0].get("message_code"))
    for candidate in candidates:
        code = _clean_code(candidate)
        if code is not None and code.lower() not in _SUCCESS_CODES:
            return code
    return None


def _clean_code(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if _NUMERIC_CODE.fullmatch(text) or _IDENTIFIER_CODE.fullmatch(text) or _KRAKEN_CODE.fullmatch(text):
        return text
    return None


def _retry_after_from_text(message: str) -> float | None:
    match = _BANNED_UNTIL.search(message)  # Binance 418: "IP banned until 1700000000000"
    if match is None:
        return None
    return max(0.0, int(match.group(1)) / 1000 - time.time())


def _retry_after_from_headers(headers: Mapping[str, Any]) -> float | None:
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    retry_after = lowered.get("retry-after", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    reset = lowered.get("x-bapi-limit-reset-timestamp", "").strip()  # Bybit: epoch ms when the budget refills
    status = lowered.get("x-bapi-limit-status", "").strip()
    if reset.isdigit() and status == "0":
        return max(0.0, int(reset) / 1000 - time.time())
    return None


def _is_network_failure(error: BaseException) -> bool:
    """True when no HTTP answer arrived: ccxt wraps aiohttp and timeout errors, raised `from` the original."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError | ConnectionError):
            return True
        module = type(current).__module__
        if module.startswith("aiohttp") or type(current).__name__ == "gaierror":
            return True
        if type(current).__name__ == "RequestTimeout" and module.startswith("ccxt"):
            return True
        current = current.__cause__
    return False
