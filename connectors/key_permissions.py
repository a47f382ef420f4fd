"""What each exchange's key-permission answer says about a key, in exchange-neutral terms (`KeyFacts`).

The `parse_*` functions are pure, so they can be tested with the shapes the exchanges document; `connectors.keycheck`
calls them on live answers (and re-exports them). A payload not in the documented shape raises
`PermissionsUnreadable`: the key is refused rather than guessed to be unable to withdraw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.profiles.catalog.bybit import earn_note
from connectors.profiles.catalog.gate import PERMISSION_NAMES as GATE_PERMISSION_NAMES
from i18n import Text, msgid


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What one exchange said about a key, in exchange-neutral terms."""

    can_read: bool | None
    can_trade: bool | None
    can_withdraw: bool | None
    ip_restricted: bool | None = None
    expires_at: datetime | None = None
    verified: bool = True  # False: the rights are assumed or unknown, not reported by the exchange
    unknown_permissions: tuple[str, ...] = ()  # names we do not recognise: trading rights, withdrawing if so named
    # A warning specific to how this key was checked (a Bitget Tax API key, a unified account, a Kraken date range);
    # its `{name}` (the exchange) is filled where it is shown.
    note_text: Text | None = None


class PermissionsUnreadable(Exception):
    """The permission endpoint answered, but not in the shape the exchange documents (a field missing or of the
    wrong type, an empty object, null data, an error envelope sent with HTTP 200). The key is refused: accepting
    it would mean guessing that it cannot withdraw. The message names the field, never a value."""


# How a refusal names the whole answer, as JSONPath names the root; a field below it is named by its dotted path.
ANSWER = "$"


# ---------------------------------------------------------------------------------------------- parsers
#
# Each parser reads the fields the exchange documents and refuses (PermissionsUnreadable) anything else: a missing
# field, a value of another JSON type, an empty or null object, an error envelope. Fields that do not bear on what
# the key may do are not required.


# Not `enablePortfolioMarginTrading`: it is the key's Portfolio Margin API tag (Binance's own example of a key that
# may only read says true), usable only through `papi` on accounts that opened Portfolio Margin, never a right to
# trade or move funds on the spot and wallet API (docs/exchange-apis/binance.md, "key check").
_BINANCE_TRADE_FLAGS = (
    "enableSpotAndMarginTrading",
    "enableMargin",
    "enableFutures",
    "enableVanillaOptions",
    "enableFixApiTrade",
    "enableInternalTransfer",
    "permitsUniversalTransfer",
)


def parse_binance(payload: Any) -> KeyFacts:
    """GET /sapi/v1/account/apiRestrictions (Binance wallet docs, "Get API Key Permission"): a flat object of
    booleans. `enableReading`, `enableWithdrawals` and `enableSpotAndMarginTrading` must be there; the other
    trading flags are newer and may be absent on old keys (absent: not granted), but present they are booleans."""
    body = _object(payload, ANSWER)
    trade = [_boolean(body, name, required=name == "enableSpotAndMarginTrading") for name in _BINANCE_TRADE_FLAGS]
    ip_restrict = _boolean(body, "ipRestrict", required=False) if "ipRestrict" in body else None
    return KeyFacts(
        can_read=_boolean(body, "enableReading"),
        can_trade=any(trade),
        can_withdraw=_boolean(body, "enableWithdrawals"),
        ip_restricted=ip_restrict,
    )


def parse_bybit(payload: Any) -> KeyFacts:
    """GET /v5/user/query-api (bybit-exchange/docs, docs/v5/user/apikey-info.mdx): `retCode` 0; `result.readOnly`
    0 or 1 (1 makes every listed permission read-only); `result.permissions` an object of lists of strings, with
    `Wallet` among them; `ips` a list (["*"] means any IP); `expiredAt` an ISO time."""
    body = _object(payload, ANSWER)
    _envelope(body, "retCode", 0)
    result = _object(body.get("result"), "result")
    read_only = result.get("readOnly")
    if type(read_only) is not int or read_only not in (0, 1):
        raise PermissionsUnreadable("result.readOnly is not 0 or 1")
    scopes = _object(result.get("permissions"), "result.permissions")
    if "Wallet" not in scopes:
        raise PermissionsUnreadable("result.permissions has no Wallet")
    lists = {scope: _strings(granted, f"result.permissions.{scope}") for scope, granted in scopes.items()}
    ips = [ip for ip in _strings(result.get("ips"), "result.ips") if ip]
    expired_at = result.get("expiredAt")
    if expired_at is not None and not isinstance(expired_at, str):
        raise PermissionsUnreadable("result.expiredAt is not a string")
    # Only keys with no IP bound expire (apikey-info.mdx); the docs' example of one that never does says the epoch.
    expires_at = _iso_datetime(expired_at)
    if expires_at is not None and expires_at.timestamp() <= 0:
        expires_at = None
    return KeyFacts(
        can_read=any(lists.values()),
        can_trade=read_only != 1,
        can_withdraw=read_only != 1 and "Withdraw" in lists["Wallet"],
        ip_restricted=bool(ips) and ips != ["*"],
        expires_at=expires_at,
        note_text=earn_note(lists),  # a key without Earn: accepted, warned that Earn cannot be read
    )


def parse_okx(payload: Any) -> KeyFacts:
    """GET /api/v5/account/config (okx.com/docs-v5, Get account configuration): `code` "0"; `data` a list of one
    object whose `perm` is "read_only", "trade", "withdraw" joined by commas and whose `ip` may be ""."""
    body = _object(payload, ANSWER)
    _envelope(body, "code", "0")
    rows = body.get("data")
    if not isinstance(rows, list) or len(rows) != 1:
        raise PermissionsUnreadable("data is not a list of one account")
    row = _object(rows[0], "data[0]")
    perm = row.get("perm")
    if not isinstance(perm, str) or not perm.strip():
        raise PermissionsUnreadable("data[0].perm is not a non-empty string")
    ip = row.get("ip", "")
    if not isinstance(ip, str):
        raise PermissionsUnreadable("data[0].ip is not a string")
    perms = _split(perm)
    return KeyFacts(
        can_read="read_only" in perms,
        can_trade="trade" in perms,
        can_withdraw="withdraw" in perms,
        ip_restricted=bool(ip.strip()),
        unknown_permissions=_unknown(perms, {"read_only", "trade", "withdraw"}),
    )


# Bitget authorities: read-only ones end in "r" (stor, coor, taxr…), read-write ones in "w" (stow, wwow…).
_BITGET_WITHDRAW = frozenset({"wwow", "withdraw"})
_BITGET_WRITE_WORDS = frozenset({"trade", "transfer", "p2p"})
_BITGET_READ_WORDS = frozenset({"readonly", "read"})


# A unified trading account (UTA) refuses the v2 history lists (40085, "Classic Account API not supported"); the
# fetcher then reads v3, which covers less: said at connect (keycheck.note.bitget_unified).
_BITGET_UTA_PERMISSIONS = frozenset({"uta_mgt", "uta_trade", "withdraw", "copy_futures_position", "copy_futures_order"})


def parse_bitget(payload: Any) -> KeyFacts:
    """GET /api/v2/spot/account/info (bitget.com/api-doc, Get Account Information): `code` "00000";
    `data.authorities` a list of strings; `data.ips` a comma-separated string. For a unified account,
    GET /api/v3/account/info (uta/account/Get-Account-Info): `permType` "read-only" or "read-and-write",
    `permissions` a list (uta_mgt, uta_trade, withdraw, copy_futures_position, copy_futures_order), `ips`."""
    body = _object(payload, ANSWER)
    _envelope(body, "code", "00000")
    data = _object(body.get("data"), "data")
    if "permType" in data:
        perm_type = data.get("permType")
        if perm_type not in ("read-only", "read-and-write"):
            raise PermissionsUnreadable("data.permType is not read-only or read-and-write")
        granted = [p.strip().lower() for p in _strings(data.get("permissions"), "data.permissions") if p.strip()]
        uta_ips = data.get("ips", "")
        if uta_ips is not None and not isinstance(uta_ips, str):
            raise PermissionsUnreadable("data.ips is not a string")
        return KeyFacts(
            can_read=bool(granted),
            can_trade=perm_type == "read-and-write",
            can_withdraw="withdraw" in granted,
            ip_restricted=bool((uta_ips or "").strip()),
            unknown_permissions=tuple(p for p in granted if p not in _BITGET_UTA_PERMISSIONS),
            note_text=Text.of(msgid("keycheck.note.bitget_unified")),
        )
    authorities = _strings(data.get("authorities"), "data.authorities")
    ips = data.get("ips", "")
    if ips is not None and not isinstance(ips, str):
        raise PermissionsUnreadable("data.ips is not a string")
    perms = [p.strip().lower() for p in authorities if p.strip()]
    reads = [p for p in perms if p in _BITGET_READ_WORDS or (p.endswith("r") and p not in _BITGET_WRITE_WORDS)]
    writes = [p for p in perms if p in _BITGET_WRITE_WORDS or p in _BITGET_WITHDRAW or p.endswith("w")]
    unknown = tuple(p for p in perms if p not in reads and p not in writes)
    return KeyFacts(
        can_read=bool(reads or writes),
        can_trade=bool(writes),
        can_withdraw=any(p in _BITGET_WITHDRAW for p in perms),
        ip_restricted=bool((ips or "").strip()),
        unknown_permissions=unknown,
    )


_KUCOIN_READ = frozenset({"general"})
# Get Apikey Info lists General, Spot, Margin, Futures, InnerTransfer, Transfer, Earn; "Transfer" is the right to move
# funds out, "including deposit and withdrawal" (KuCoin's docs, docs/exchange-apis/kucoin.md). "Withdrawal" is the
# name KuCoin's key page shows for it.
_KUCOIN_WITHDRAW = frozenset({"withdrawal", "withdraw", "transfer"})
_KUCOIN_TRADE = frozenset({"spot", "margin", "futures", "earn", "innertransfer", "leveragetoken"})


def parse_kucoin(payload: Any) -> KeyFacts:
    """GET /api/v1/user/api-key: `permission` like "General,Spot"; `ipWhitelist` a comma-separated string."""
    body = _object(payload, ANSWER)
    if "code" in body:
        _envelope(body, "code", "200000")
    data = _object(body.get("data"), "data")
    permission = data.get("permission")
    if not isinstance(permission, str) or not permission.strip():
        raise PermissionsUnreadable("data.permission is not a non-empty string")
    perms = {p.lower() for p in _split(permission)}
    return KeyFacts(
        can_read=bool(perms & _KUCOIN_READ),
        can_trade=bool(perms & _KUCOIN_TRADE),
        can_withdraw=bool(perms & _KUCOIN_WITHDRAW),
        ip_restricted=bool(str(data.get("ipWhitelist") or "").strip()),
        unknown_permissions=_unknown(perms, _KUCOIN_READ | _KUCOIN_WITHDRAW | _KUCOIN_TRADE),
    )


# Kraken's Get API Key Info page lists every permission value (docs/exchange-apis/kraken.md, "key check"). Adding or
# changing withdrawal addresses prepares a withdrawal to an address of someone else's choosing: counted as withdrawing.
_KRAKEN_WITHDRAW = frozenset({"withdraw-funds", "add-withdraw-address", "update-withdraw-address"})
# "earn-funds" (Funds - Earn) moves funds into and out of Earn strategies: not out of the account, but not reading
# either, so it counts as a trading right. The last three names are not on the docs' page (older keys, Kraken.Net).
_KRAKEN_TRADE = {"modify-trades", "close-trades", "earn-funds", "cancel-close-trades", "modify-orders"}
_KRAKEN_TRADE |= {"cancel-close-orders"}
# No funds leave or move: balances, open orders, deposit addresses ("add-funds", Funds - Deposit), "export-data"
# (Data - Export data: reports of the same history), a websocket token (which can only do what the key's other rights
# allow). The last two names are not on the docs' page.
_KRAKEN_HARMLESS = {"query-funds", "query-open-trades", "add-funds", "export-data", "create-ws-token"}
_KRAKEN_HARMLESS |= {"deposit-funds", "access-websockets"}
# What a sync reads: TradesHistory needs "Query closed orders & trades", Ledgers "Query ledger entries".
_KRAKEN_NEEDED = frozenset({"query-closed-trades", "query-ledger"})


# A Kraken key can be limited to history between a query start and end date (`queryFrom`/`queryTo`, unix seconds,
# "0" for none): Kraken then answers as if nothing outside that range existed, which a sync cannot tell apart
# (keycheck.note.kraken_query_range says so at connect).


def _kraken_field(result: Mapping[str, Any], name: str, *, required: bool) -> Any:
    """The field as Kraken's docs name it (camelCase) or as Kraken.Net's recorded answer does (snake_case): the two
    disagree (docs/exchange-apis/kraken.md). A limit Tallybot must see (expiry, query range) under neither name
    refuses the key: a key limited to a date range must not pass as unlimited."""
    for spelling in (name, "".join(f"_{c.lower()}" if c.isupper() else c for c in name)):
        if spelling in result:
            return result[spelling]
    if required:
        raise PermissionsUnreadable(f"result.{name} is missing")
    return None


def _kraken_time(result: Mapping[str, Any], name: str) -> datetime | None:
    """Unix seconds as Kraken writes them ("0": none); not a number, or a time no calendar holds: not an answer."""
    raw = _kraken_field(result, name, required=True)
    seconds = _int(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if seconds is None:
        raise PermissionsUnreadable(f"result.{name} is not unix seconds")
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise PermissionsUnreadable(f"result.{name} is not a time") from None


def _kraken_query_range(result: Mapping[str, Any]) -> Text | None:
    start, end = _kraken_time(result, "queryFrom"), _kraken_time(result, "queryTo")
    if start and end:
        return Text.of("keycheck.kraken_range.between", start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}")
    if start:
        return Text.of("keycheck.kraken_range.from", start=f"{start:%Y-%m-%d}")
    return Text.of("keycheck.kraken_range.until", end=f"{end:%Y-%m-%d}") if end else None


def parse_kraken(payload: Any) -> KeyFacts:
    """POST /0/private/GetApiKeyInfo (docs.kraken.com, Get API Key Info; docs/exchange-apis/kraken.md): `permissions`
    a list like "query-funds"; `ipAllowlist` a list of addresses (empty, or one empty string, when unrestricted);
    `validUntil` unix seconds as a string, "0" for never; `queryFrom` and `queryTo` the key's history range ("0":
    unlimited), said in a note when set. The snake_case names of Kraken.Net's recorded answer are read too. The key
    can read only with both permissions a sync uses (_KRAKEN_NEEDED)."""
    body = _object(payload, ANSWER)
    if body.get("error"):
        raise PermissionsUnreadable("error is not empty")
    result = _object(body.get("result"), "result")
    perms = {p.strip().lower() for p in _strings(result.get("permissions"), "result.permissions") if p.strip()}
    known = _KRAKEN_NEEDED | _KRAKEN_WITHDRAW | _KRAKEN_TRADE | _KRAKEN_HARMLESS
    ips = _kraken_field(result, "ipAllowlist", required=False)
    allowlist = [ip for ip in _strings([] if ips is None else ips, "result.ipAllowlist") if ip.strip()]
    expires_at, limited = _kraken_time(result, "validUntil"), _kraken_query_range(result)
    return KeyFacts(
        can_read=perms >= _KRAKEN_NEEDED,
        can_trade=bool(perms & _KRAKEN_TRADE),
        can_withdraw=bool(perms & _KRAKEN_WITHDRAW),
        ip_restricted=bool(allowlist),
        expires_at=expires_at,
        unknown_permissions=_unknown(perms, known),
        note_text=Text.of(msgid("keycheck.note.kraken_query_range"), range=limited) if limited else None,
    )


def parse_coinbase(payload: Any) -> KeyFacts:
    """GET /api/v3/brokerage/key_permissions: `can_view`, `can_trade`, `can_transfer` (sending funds out)."""
    body = _object(payload, ANSWER)
    return KeyFacts(
        can_read=_boolean(body, "can_view"),
        can_trade=_boolean(body, "can_trade"),
        can_withdraw=_boolean(body, "can_transfer"),
    )


_HTX_KNOWN = frozenset({"readonly", "trade", "withdraw"})


def parse_htx(payload: Any, api_key: str, *, now: datetime | None = None) -> KeyFacts:
    """GET /v2/user/api-key: `permission` "readOnly,trade,withdraw", `ipAddresses`, `validDays` (-1: forever),
    `status` normal/expired. `validDays` is "API key expire in (days)", the days left at `now` (htx.md: the docs'
    example, 7 days on a key made 2021-06-08 and still normal after 2021-08-25, fits no count from `createTime`;
    HTX's rounding is not stated). A status other than "normal" cannot read; a row without one, or naming another
    key, is unreadable (the check fails closed)."""
    body = _object(payload, ANSWER)
    if "code" in body:
        _envelope(body, "code", 200)
    rows = body.get("data")
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise PermissionsUnreadable("data is not a list of keys")
    row = next((r for r in rows if r.get("accessKey") == api_key), rows[0] if len(rows) == 1 else None)
    if row is None:
        raise PermissionsUnreadable("data does not list this key")
    if row.get("accessKey") is not None and row.get("accessKey") != api_key:
        raise PermissionsUnreadable("data lists another key")
    permission = row.get("permission")
    if not isinstance(permission, str) or not permission.strip():
        raise PermissionsUnreadable("permission is not a non-empty string")
    perms = {p.lower() for p in _split(permission)}
    valid_days = _int(row.get("validDays"))
    expires_at = None
    if valid_days is not None and valid_days >= 0:
        expires_at = (now or datetime.now(UTC)) + timedelta(days=valid_days)
    status = row.get("status")
    if not isinstance(status, str) or not status.strip():
        raise PermissionsUnreadable("status is not a non-empty string")
    status = status.lower()
    return KeyFacts(
        can_read="readonly" in perms and status == "normal",
        can_trade="trade" in perms,
        can_withdraw="withdraw" in perms,
        ip_restricted=bool(str(row.get("ipAddresses") or "").strip()),
        expires_at=expires_at,
        unknown_permissions=_unknown(perms, _HTX_KNOWN),
    )


def parse_gate(payload: Any, api_key: str) -> KeyFacts:
    """GET /api/v4/account/main_keys: every key, each with `perms` [{name, read_only}] and `ip_whitelist` (a list or
    one key). `key` is masked ("c5dcfbf1f3a7*****" in the docs' example): a row is this key when its visible start
    is (exactly one may). Write to "wallet" includes fund transfers (withdrawing); to an undocumented name, unknown."""
    rows = payload if isinstance(payload, list) else [payload]
    if not rows or not all(isinstance(r, Mapping) for r in rows):
        raise PermissionsUnreadable("the answer is not a list of keys")
    row = next((r for r in rows if r.get("key") == api_key), None)
    if row is None:
        visible = [r for r in rows if _gate_masked_match(r.get("key"), api_key)]
        # A lone row that names no key at all is the key's own answer; one that names another key is not.
        unnamed = len(rows) == 1 and not isinstance(rows[0].get("key"), str)
        row = visible[0] if len(visible) == 1 else (rows[0] if unnamed else None)
    if row is None:
        raise PermissionsUnreadable("the answer does not list this key")
    perms = row.get("perms")
    if not isinstance(perms, list) or not perms or not all(isinstance(p, Mapping) for p in perms):
        raise PermissionsUnreadable("perms is not a list of permissions")
    if not all(isinstance(p.get("name"), str) and p["name"] for p in perms):
        raise PermissionsUnreadable("a permission has no name")
    writable = {str(p["name"]).lower() for p in perms if not _boolean(p, "read_only")}
    return KeyFacts(
        can_read=True,
        can_trade=bool(writable),
        can_withdraw="wallet" in writable,
        ip_restricted=bool(row.get("ip_whitelist")),
        unknown_permissions=_unknown(writable, GATE_PERMISSION_NAMES),
    )


def _gate_masked_match(shown: Any, api_key: str) -> bool:
    """Whether a masked key ("c5dcfbf1f3a7*****") shows the start of `api_key`."""
    if not isinstance(shown, str) or not shown.endswith("*"):
        return False
    visible = shown.rstrip("*")
    return bool(visible) and api_key.startswith(visible)


# ---------------------------------------------------------------------------------------------- helpers


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise PermissionsUnreadable(f"{where} is not a non-empty object")
    return value


def _boolean(body: Mapping[str, Any], name: str, *, required: bool = True) -> bool:
    """A documented JSON boolean. Absent and not required: not granted. Anything else is refused, "true" too:
    an exchange that changed its types may have changed their meaning."""
    if name not in body and not required:
        return False
    value = body.get(name)
    if not isinstance(value, bool):
        raise PermissionsUnreadable(f"{name} is not a boolean")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PermissionsUnreadable(f"{where} is not a list of strings")
    return value


def _envelope(body: Mapping[str, Any], field: str, success: object) -> None:
    """An error envelope sent with HTTP 200 (ccxt raises only for the codes it knows) is not a permission answer."""
    if body.get(field) != success or type(body.get(field)) is not type(success):
        raise PermissionsUnreadable(f"{field} is not the success code")


def dig(payload: Any, key: str) -> Any:
    return payload.get(key) if isinstance(payload, Mapping) else None


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
