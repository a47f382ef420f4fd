"""Point a ccxt exchange's REST calls somewhere else: testnets, mirrors, the sandbox emulators.

``EXCHANGE_URL_OVERRIDES="binance=http://127.0.0.1:1234,bybit=http://127.0.0.1:5678"`` replaces scheme and host of
every URL in ``exchange.urls['api']`` and keeps each path, so ``https://api.binance.com/sapi/v1`` becomes
``http://127.0.0.1:1234/sapi/v1``. Setting ``hostname`` alone is not enough: Bybit, OKX, Bitget and others keep
``{hostname}`` templates, others (Binance, KuCoin) spell their hosts out in full, some use several hosts.

This module imports nothing from ccxt, so parsing the setting costs nothing at start-up.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_EXCHANGE_ID = re.compile(r"[a-z][a-z0-9_]*")
_HTTP_SCHEMES = frozenset({"http", "https"})
_WS_SCHEMES = frozenset({"ws", "wss"})


def parse_url_overrides(spec: str | None) -> dict[str, str]:
    """Parse ``"id=scheme://host[:port],id=…"`` into ``{exchange id: base URL}``.

    Blank input means no overrides. Raises ``ValueError`` naming the faulty entry (by position and exchange id,
    never echoing the URL, which could carry credentials) when an entry is malformed or an id repeats.
    """
    overrides: dict[str, str] = {}
    if spec is None or not spec.strip():
        return overrides
    for position, raw_entry in enumerate(spec.split(","), start=1):
        entry = raw_entry.strip()
        if not entry:
            raise ValueError(f"EXCHANGE_URL_OVERRIDES entry {position} is empty (stray comma?)")
        exchange_id, separator, base = (part.strip() for part in entry.partition("="))
        if not separator or not exchange_id or not base:
            raise ValueError(f"EXCHANGE_URL_OVERRIDES entry {position} must look like id=scheme://host[:port]")
        if not _EXCHANGE_ID.fullmatch(exchange_id):
            raise ValueError(
                f"EXCHANGE_URL_OVERRIDES entry {position}: {exchange_id!r} is not a ccxt exchange id "
                "(lower-case letters, digits, underscores)"
            )
        if exchange_id in overrides:
            raise ValueError(f"EXCHANGE_URL_OVERRIDES names {exchange_id!r} more than once")
        try:
            scheme, netloc = split_base_url(base)
        except ValueError as exc:
            raise ValueError(f"EXCHANGE_URL_OVERRIDES entry {position} ({exchange_id}): {exc}") from None
        overrides[exchange_id] = f"{scheme}://{netloc}"
    return overrides


def split_base_url(base: str) -> tuple[str, str]:
    """Return ``(scheme, host[:port])`` of a base URL, refusing anything but ``http(s)://host[:port][/]``."""
    try:
        parts = urlsplit(base.strip())
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError:
        raise ValueError("base URL is not a valid URL") from None
    if parts.scheme.lower() not in _HTTP_SCHEMES:
        raise ValueError("base URL must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("base URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("base URL must not carry credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("base URL must be scheme://host[:port] only; the exchange's own paths are kept")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # urlsplit strips IPv6 brackets
    return parts.scheme.lower(), host if port is None else f"{host}:{port}"


def apply_url_override(exchange: Any, base: str) -> None:
    """Send every REST call of a ccxt ``exchange`` instance to ``base``, keeping each URL's path.

    Every leaf of ``exchange.urls['api']`` (a string, or nested dicts/lists of strings) is first resolved against
    the instance's ``hostname`` and then gets the scheme and host of ``base``; ``ws``/``wss`` leaves get the
    matching websocket scheme. When the exchange keeps a ``hostname`` it is set to the new host as well, because
    some exchanges (HTX) sign the hostname rather than the URL. Call it after ``set_sandbox_mode``, which swaps
    ``urls['api']``.
    """
    scheme, netloc = split_base_url(base)
    hostname = getattr(exchange, "hostname", None)
    urls = exchange.urls
    urls["api"] = _rewrite(urls.get("api"), scheme, netloc, hostname)
    if hostname is not None:
        exchange.hostname = netloc


def _rewrite(node: Any, scheme: str, netloc: str, hostname: str | None) -> Any:
    if isinstance(node, str):
        return _rewrite_url(node, scheme, netloc, hostname)
    if isinstance(node, dict):
        return {key: _rewrite(value, scheme, netloc, hostname) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return type(node)(_rewrite(value, scheme, netloc, hostname) for value in node)
    return node


def _rewrite_url(url: str, scheme: str, netloc: str, hostname: str | None) -> str:
    if hostname is not None:
        url = url.replace("{hostname}", hostname)
    parts = urlsplit(url)
    if not parts.netloc:
        return url  # a relative leaf: nothing to redirect
    websocket = "ws" if scheme == "http" else "wss"
    new_scheme = websocket if parts.scheme.lower() in _WS_SCHEMES else scheme
    return urlunsplit((new_scheme, netloc, parts.path, parts.query, parts.fragment))
