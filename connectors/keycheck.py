"""Check a freshly pasted API key: does it work, can it read, and can it do more than read?

`check_key` makes the fewest authenticated requests that answer those questions — on most exchanges the
key-permission endpoint itself, which fails for a bad key and describes a good one — on a fresh client that is
closed afterwards. A key that can withdraw is always refused; one that can trade is refused unless the operator
allows it. Where an exchange cannot tell (MEXC, BigONE, generic profiles) the check says so instead of pretending.

The `parse_*` functions read each exchange's permission payload; they are pure so they can be tested with the
shapes the exchanges document.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from connectors.clients import ClientPool, fit_required_credentials
from connectors.diagnosis import (
    Diagnosis,
    DiagnosisCode,
    attach_response_facts,
    diagnose,
    diagnosis_for,
    safe_summary,
)
from connectors.diagnosis import texts as t
from connectors.profiles import ExchangeProfile, KeyType

log = logging.getLogger(__name__)

DAY_MS = 86_400_000


class SecretValue(Protocol):
    """A masked credential (`bot.secret.Secret`): connectors only ever call `reveal()` to sign with it."""

    def reveal(self) -> str: ...


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """The outcome of a key check. Permission flags are None when the exchange cannot tell."""

    ok: bool
    can_read: bool | None
    can_trade: bool | None
    can_withdraw: bool | None
    permissions_verified: bool
    ip_restricted: bool | None
    expires_at: datetime | None  # UTC
    warnings: tuple[str, ...]
    diagnosis: Diagnosis | None
    requests: int = 0  # HTTP requests this check made with the key (the shared market list is not counted)


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What one exchange said about a key, in exchange-neutral terms."""

    can_read: bool | None
    can_trade: bool | None
    can_withdraw: bool | None
    ip_restricted: bool | None = None
    expires_at: datetime | None = None
    verified: bool = True  # False: the rights are assumed or unknown, not reported by the exchange
    unknown_permissions: tuple[str, ...] = ()  # names we do not recognise; counted as trading rights
    note: str = ""  # a warning specific to how this key was checked (Bitget Tax API keys)


# ---------------------------------------------------------------------------------------------- the check


async def check_key(
    profile: ExchangeProfile,
    credentials: Mapping[str, SecretValue],
    *,
    pool: ClientPool,
    credential_id: str,
    key_type: str | None = None,
    allow_trading: bool = False,
) -> KeyCheck:
    """Prove the key works and find out what it may do. Never raises for an exchange's answer: any failure comes
    back as ``ok=False`` with a diagnosis. Raises ``UnknownKeyType`` for a key type the profile does not define.

    The check runs on a throwaway client (derived from `credential_id`, forgotten afterwards), so a key that is
    not stored yet never shares a client, a nonce or ccxt's per-client state with a stored credential.
    """
    kind = profile.key_type(key_type) if key_type else profile.default_key_type
    values: dict[str, str] = {
        f.name: credentials[f.name].reveal().strip() for f in kind.fields if f.name in credentials
    }
    missing = [f.name for f in kind.fields if not values.get(f.name)]
    if missing:
        cause = DiagnosisCode.WRONG_PASSPHRASE if missing == ["password"] else DiagnosisCode.INVALID_KEY
        return _failed(diagnosis_for(cause, profile), requests=0)

    throwaway = f"keycheck:{credential_id}:{secrets.token_hex(6)}"
    counter = _RequestCounter()
    try:
        async with pool.client(profile.ccxt_id, throwaway, values) as client:
            counter.install(client)
            # The same fitting `ClientPool.client(key_fields=...)` does for syncs; applied here on the yielded
            # client so that any pool-like object (tests hand in recorders) gets a client that signs.
            fit_required_credentials(client, kind.field_names)
            facts = await _probe(profile, kind, client, values.get("apiKey", ""))
    except Exception as error:  # every failure is a diagnosis; cancellation still propagates
        log.info("key check on %s failed after %d request(s): %s", profile.id, counter.requests, safe_summary(error))
        return _failed(diagnose(error, profile, key_type=kind.id), requests=counter.requests)
    finally:
        await pool.forget(profile.ccxt_id, throwaway)

    result = judge(profile, facts, allow_trading=allow_trading, requests=counter.requests)
    log.info(
        "key check on %s: ok=%s verified=%s requests=%d",
        profile.id,
        result.ok,
        result.permissions_verified,
        result.requests,
    )
    return result


def judge(profile: ExchangeProfile, facts: KeyFacts, *, allow_trading: bool, requests: int = 0) -> KeyCheck:
    """Decide on a key from what the exchange said about it."""
    name = profile.name
    can_trade = facts.can_trade
    if facts.unknown_permissions:
        can_trade = True  # unknown rights are treated as the dangerous kind
    warnings: list[str] = []
    if not facts.verified:
        note = facts.note or profile.permission_check.user_note or t.NOT_VERIFIED_FALLBACK
        warnings.append(note.format(name=name))
    if facts.unknown_permissions:
        warnings.append(t.WARN_UNKNOWN_PERMISSIONS.format(name=name))
    if facts.ip_restricted:
        warnings.append(t.WARN_IP_RESTRICTED)
    if facts.expires_at is not None:
        warnings.append(t.WARN_EXPIRES.format(name=name, date=facts.expires_at.strftime("%d %B %Y")))

    diagnosis: Diagnosis | None = None
    if facts.can_read is False:
        diagnosis = diagnosis_for(DiagnosisCode.MISSING_PERMISSION, profile)
    elif facts.can_withdraw:
        diagnosis = diagnosis_for(DiagnosisCode.TOO_MANY_PERMISSIONS, profile, variant="withdraw")
    elif can_trade and not allow_trading:
        diagnosis = diagnosis_for(DiagnosisCode.TOO_MANY_PERMISSIONS, profile, variant="trade")
    elif can_trade:
        warnings.insert(0, t.WARN_TRADING_ALLOWED)
    return KeyCheck(
        ok=diagnosis is None,
        can_read=facts.can_read,
        can_trade=can_trade,
        can_withdraw=facts.can_withdraw,
        permissions_verified=facts.verified,
        ip_restricted=facts.ip_restricted,
        expires_at=facts.expires_at,
        warnings=tuple(warnings),
        diagnosis=diagnosis,
        requests=requests,
    )


def _failed(diagnosis: Diagnosis, *, requests: int) -> KeyCheck:
    return KeyCheck(
        ok=False,
        can_read=None,
        can_trade=None,
        can_withdraw=None,
        permissions_verified=False,
        ip_restricted=None,
        expires_at=None,
        warnings=(),
        diagnosis=diagnosis,
        requests=requests,
    )


class _RequestCounter:
    """Counts the HTTP requests of one client by wrapping its `fetch` (every ccxt REST call goes through it)."""

    def __init__(self) -> None:
        self.requests = 0

    def install(self, client: Any) -> None:
        original = client.fetch

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.requests += 1
            return await original(*args, **kwargs)

        client.fetch = counted


async def _call(client: Any, method: str, params: Mapping[str, Any] | None = None) -> Any:
    """One ccxt implicit-API call; a failure keeps the response's code and wait time on the exception."""
    try:
        return await getattr(client, method)(dict(params or {}))
    except Exception as error:
        attach_response_facts(error, client)
        raise


# ---------------------------------------------------------------------------------------------- probes

Probe = Callable[[ExchangeProfile, KeyType, Any, str], Awaitable[KeyFacts]]


async def _probe(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    probe = _PROBES.get(profile.ccxt_id)
    if probe is not None and profile.permission_check.available:
        return await probe(profile, kind, client, api_key)
    method = profile.permission_check.method
    if method is not None:
        # A permission endpoint we cannot read yet: it still proves the key, but says nothing we trust.
        await _call(client, method)
        return KeyFacts(can_read=True, can_trade=None, can_withdraw=None, verified=False)
    # No way to ask (MEXC, BigONE, generic profiles): the balance is the cheapest private read.
    try:
        await client.fetch_balance()
    except Exception as error:
        attach_response_facts(error, client)
        raise
    return KeyFacts(can_read=True, can_trade=None, can_withdraw=None, verified=False)


async def _permission_payload(profile: ExchangeProfile, client: Any, params: Mapping[str, Any] | None = None) -> Any:
    method = profile.permission_check.method
    if method is None:  # guarded by _probe
        raise RuntimeError(f"{profile.id} has no permission endpoint")
    return await _call(client, method, params)


async def _probe_binance(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    return parse_binance(await _permission_payload(profile, client))


async def _probe_bybit(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    return parse_bybit(await _permission_payload(profile, client))


async def _probe_okx(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    return parse_okx(await _permission_payload(profile, client))


async def _probe_bitget(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    if "password" not in kind.field_names:
        # A Tax API key only opens the tax records; ask for one day of them, one row.
        now = int(time.time() * 1000)
        params = {"startTime": str(now - DAY_MS), "endTime": str(now), "limit": "1"}
        await _call(client, "privateTaxGetV2TaxSpotRecord", params)
        return KeyFacts(can_read=True, can_trade=None, can_withdraw=None, verified=False, note=t.WARN_TAX_KEY)
    return parse_bitget(await _permission_payload(profile, client))


async def _probe_kucoin(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    return parse_kucoin(await _permission_payload(profile, client))


async def _probe_kraken(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    return parse_kraken(await _permission_payload(profile, client))


async def _probe_coinbase(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    return parse_coinbase(await _permission_payload(profile, client))


async def _probe_htx(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    # GET /v2/user/api-key needs the account's uid, which only GET /v2/user/uid gives.
    uid = _dig(await _call(client, "v2PrivateGetUserUid"), "data")
    payload = await _permission_payload(profile, client, {"uid": uid, "accessKey": api_key})
    return parse_htx(payload, api_key)


async def _probe_gate(profile: ExchangeProfile, kind: KeyType, client: Any, api_key: str) -> KeyFacts:
    return parse_gate(await _permission_payload(profile, client), api_key)


_PROBES: Mapping[str, Probe] = {
    "binance": _probe_binance,
    "bybit": _probe_bybit,
    "okx": _probe_okx,
    "bitget": _probe_bitget,
    "kucoin": _probe_kucoin,
    "kraken": _probe_kraken,
    "coinbase": _probe_coinbase,
    "htx": _probe_htx,
    "gate": _probe_gate,
}


# ---------------------------------------------------------------------------------------------- parsers


def parse_binance(payload: Mapping[str, Any]) -> KeyFacts:
    """GET /sapi/v1/account/apiRestrictions."""
    # Not `enablePortfolioMarginTrading`: it is the key's Portfolio Margin API tag (Binance's own example of a key
    # that may only read says true), usable only through `papi` on accounts that opened Portfolio Margin, never a
    # right to trade or move funds on the spot and wallet API (docs/exchange-apis/binance.md, "key check").
    trade_flags = (
        "enableSpotAndMarginTrading",
        "enableMargin",
        "enableFutures",
        "enableVanillaOptions",
        "enableFixApiTrade",
        "enableInternalTransfer",
        "permitsUniversalTransfer",
    )
    essential = ("enableReading", "enableWithdrawals", "enableSpotAndMarginTrading")
    return KeyFacts(
        can_read=_flag(payload.get("enableReading")),
        can_trade=any(_flag(payload.get(name)) for name in trade_flags),
        can_withdraw=_flag(payload.get("enableWithdrawals")),
        ip_restricted=_flag(payload.get("ipRestrict")) if "ipRestrict" in payload else None,
        verified=all(name in payload for name in essential),
    )


def parse_bybit(payload: Mapping[str, Any]) -> KeyFacts:
    """GET /v5/user/query-api: `readOnly` 1 makes every listed permission read-only; `ips` ["*"] means any IP."""
    result = _dig(payload, "result")
    if not isinstance(result, Mapping) or "readOnly" not in result:
        return _unreadable()
    read_only = str(result.get("readOnly")) == "1"
    scopes = result.get("permissions")
    scopes = scopes if isinstance(scopes, Mapping) else {}
    wallet = scopes.get("Wallet") or []
    ips = [ip for ip in result.get("ips") or [] if ip]
    return KeyFacts(
        can_read=any(bool(v) for v in scopes.values()),
        can_trade=not read_only,
        can_withdraw=not read_only and "Withdraw" in wallet,
        ip_restricted=bool(ips) and ips != ["*"],
        expires_at=_iso_datetime(result.get("expiredAt")),
    )


def parse_okx(payload: Mapping[str, Any]) -> KeyFacts:
    """GET /api/v5/account/config: `perm` is "read_only", "trade", "withdraw" joined by commas; `ip` may be ""."""
    rows = _dig(payload, "data")
    row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], Mapping) else None
    if row is None or "perm" not in row:
        return _unreadable()
    perms = _split(row.get("perm"))
    return KeyFacts(
        can_read="read_only" in perms,
        can_trade="trade" in perms,
        can_withdraw="withdraw" in perms,
        ip_restricted=bool(str(row.get("ip") or "").strip()),
        unknown_permissions=_unknown(perms, {"read_only", "trade", "withdraw"}),
    )


# Bitget authorities: read-only ones end in "r" (stor, coor, taxr…), read-write ones in "w" (stow, wwow…).
_BITGET_WITHDRAW = frozenset({"wwow", "withdraw"})
_BITGET_WRITE_WORDS = frozenset({"trade", "transfer", "p2p"})
_BITGET_READ_WORDS = frozenset({"readonly", "read"})


def parse_bitget(payload: Mapping[str, Any]) -> KeyFacts:
    """GET /api/v2/spot/account/info: `authorities` and `ips` (a comma-separated string)."""
    data = _dig(payload, "data")
    if not isinstance(data, Mapping) or not isinstance(data.get("authorities"), list):
        return _unreadable()
    perms = [str(p).strip().lower() for p in data["authorities"] if str(p).strip()]
    reads = [p for p in perms if p in _BITGET_READ_WORDS or (p.endswith("r") and p not in _BITGET_WRITE_WORDS)]
    writes = [p for p in perms if p in _BITGET_WRITE_WORDS or p in _BITGET_WITHDRAW or p.endswith("w")]
    unknown = tuple(p for p in perms if p not in reads and p not in writes)
    return KeyFacts(
        can_read=bool(reads or writes),
        can_trade=bool(writes),
        can_withdraw=any(p in _BITGET_WITHDRAW for p in perms),
        ip_restricted=bool(str(data.get("ips") or "").strip()),
        unknown_permissions=unknown,
    )


_KUCOIN_READ = frozenset({"general"})
_KUCOIN_WITHDRAW = frozenset({"withdrawal", "withdraw"})
_KUCOIN_TRADE = frozenset({"spot", "margin", "futures", "earn", "innertransfer", "transfer", "leveragetoken"})


def parse_kucoin(payload: Mapping[str, Any]) -> KeyFacts:
    """GET /api/v1/user/api-key: `permission` like "General,Spot"; `ipWhitelist` a comma-separated string."""
    data = _dig(payload, "data")
    if not isinstance(data, Mapping) or "permission" not in data:
        return _unreadable()
    perms = {p.lower() for p in _split(data.get("permission"))}
    return KeyFacts(
        can_read=bool(perms & _KUCOIN_READ),
        can_trade=bool(perms & _KUCOIN_TRADE),
        can_withdraw=bool(perms & _KUCOIN_WITHDRAW),
        ip_restricted=bool(str(data.get("ipWhitelist") or "").strip()),
        unknown_permissions=_unknown(perms, _KUCOIN_READ | _KUCOIN_WITHDRAW | _KUCOIN_TRADE),
    )


_KRAKEN_WITHDRAW = frozenset({"withdraw-funds"})
_KRAKEN_TRADE = frozenset(
    {"modify-trades", "cancel-close-trades", "modify-orders", "cancel-close-orders", "earn-funds"}
)
_KRAKEN_HARMLESS = frozenset({"deposit-funds", "export-data", "access-websockets"})  # no funds leave or move


def parse_kraken(payload: Mapping[str, Any]) -> KeyFacts:
    """POST /0/private/GetApiKeyInfo: `permissions` like "query-funds", `ipAllowlist`, `validUntil` (0: never)."""
    result = _dig(payload, "result")
    if not isinstance(result, Mapping) or not isinstance(result.get("permissions"), list):
        return _unreadable()
    perms = {str(p).strip().lower() for p in result["permissions"] if str(p).strip()}
    reads = {p for p in perms if p.startswith("query-")}
    known = reads | _KRAKEN_WITHDRAW | _KRAKEN_TRADE | _KRAKEN_HARMLESS
    valid_until = _int(result.get("validUntil"))
    return KeyFacts(
        can_read=bool(reads),
        can_trade=bool(perms & _KRAKEN_TRADE),
        can_withdraw=bool(perms & _KRAKEN_WITHDRAW),
        ip_restricted=bool(result.get("ipAllowlist")),
        expires_at=datetime.fromtimestamp(valid_until, UTC) if valid_until else None,
        unknown_permissions=_unknown(perms, known),
    )


def parse_coinbase(payload: Mapping[str, Any]) -> KeyFacts:
    """GET /api/v3/brokerage/key_permissions: `can_view`, `can_trade`, `can_transfer` (sending funds out)."""
    if not all(name in payload for name in ("can_view", "can_trade", "can_transfer")):
        return _unreadable()
    return KeyFacts(
        can_read=_flag(payload.get("can_view")),
        can_trade=_flag(payload.get("can_trade")),
        can_withdraw=_flag(payload.get("can_transfer")),
    )


_HTX_KNOWN = frozenset({"readonly", "trade", "withdraw"})


def parse_htx(payload: Mapping[str, Any], api_key: str) -> KeyFacts:
    """GET /v2/user/api-key: `permission` "readOnly,trade,withdraw", `ipAddresses`, `validDays` (-1: forever).

    The expiry is taken as creation time plus `validDays`, HTX's validity period; a key whose `status` is not
    "normal" is reported as unable to read.
    """
    rows = _dig(payload, "data")
    rows = [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []
    row = next((r for r in rows if r.get("accessKey") == api_key), rows[0] if len(rows) == 1 else None)
    if row is None or "permission" not in row:
        return _unreadable()
    perms = {p.lower() for p in _split(row.get("permission"))}
    valid_days = _int(row.get("validDays"))
    created = _int(row.get("createTime"))
    expires_at = None
    if valid_days is not None and valid_days >= 0 and created:
        expires_at = datetime.fromtimestamp(created / 1000, UTC) + timedelta(days=valid_days)
    status = str(row.get("status") or "normal").lower()
    return KeyFacts(
        can_read="readonly" in perms and status == "normal",
        can_trade="trade" in perms,
        can_withdraw="withdraw" in perms,
        ip_restricted=bool(str(row.get("ipAddresses") or "").strip()),
        expires_at=expires_at,
        unknown_permissions=_unknown(perms, _HTX_KNOWN),
    )


def parse_gate(payload: Any, api_key: str) -> KeyFacts:
    """GET /api/v4/account/main_keys: `perms` [{name, read_only}], `ip_whitelist`; a list or a single key.

    Gate's "wallet" permission with write access includes withdrawals, so it counts as withdrawing.
    """
    rows = payload if isinstance(payload, list) else [payload]
    rows = [r for r in rows if isinstance(r, Mapping)]
    row = next((r for r in rows if r.get("key") == api_key), rows[0] if len(rows) == 1 else None)
    if row is None or not isinstance(row.get("perms"), list):
        return _unreadable()
    perms = [p for p in row["perms"] if isinstance(p, Mapping)]
    writable = {str(p.get("name", "")).lower() for p in perms if not _flag(p.get("read_only"))}
    return KeyFacts(
        can_read=bool(perms),
        can_trade=bool(writable),
        can_withdraw="wallet" in writable,
        ip_restricted=bool(row.get("ip_whitelist")),
    )


# ---------------------------------------------------------------------------------------------- helpers


def _unreadable() -> KeyFacts:
    """The key worked, but the payload was not what the exchange documents: say we could not verify."""
    return KeyFacts(can_read=True, can_trade=None, can_withdraw=None, verified=False)


def _dig(payload: Any, key: str) -> Any:
    return payload.get(key) if isinstance(payload, Mapping) else None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _split(value: Any) -> set[str]:
    return {part.strip() for part in str(value or "").split(",") if part.strip()}


def _unknown(perms: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    known_lower = {k.lower() for k in known}
    return tuple(sorted(p for p in perms if p.lower() not in known_lower))


def _iso_datetime(value: Any) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
