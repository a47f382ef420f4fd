"""Reading the cells of exchange exports: exact numbers, times in a stated or assumed zone, pairs and units."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.files.errors import BadTimezone, RowError
from connectors.records import Side
from i18n import Text

# Quote currencies of spot markets, longest first so "FDUSD" wins over "USD"; used only where a pair has no separator
# and the row names neither side's unit.
KNOWN_QUOTES: tuple[str, ...] = tuple(
    sorted(
        {
            "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USDP", "DAI", "USDE", "USD1", "PYUSD", "USDD", "UST", "USDS",
            "BTC", "ETH", "BNB", "TRX", "XRP", "DOGE", "DOT", "SOL", "EUR", "GBP", "TRY", "BRL", "AUD", "RUB", "UAH",
            "JPY", "ZAR", "PLN", "RON", "ARS", "IDRT", "BIDR", "NGN", "MXN", "CZK", "AEUR", "EURI", "USD", "BRZ",
        },
        key=lambda q: (-len(q), q),
    )
)  # fmt: skip

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_OFFSET = re.compile(
    r"(?:UTC|GMT)\s*(?P<s1>[+-])-?\s*(?P<h1>\d{1,2})(?::?(?P<m1>\d{2}))?"  # UTC+8, GMT-5, (UTC--6)
    r"|(?P<s2>[+-])\s*(?P<h2>\d{1,2})(?::?(?P<m2>\d{2}))?\s*(?:UTC|GMT)"  # +8 UTC
    r"|\b(?:UTC|GMT)\b",  # plain UTC
    re.IGNORECASE,
)
_WITH_UNIT = re.compile(r"([+-]?[\d.,]+(?:[eE][+-]?\d+)?)\s*([A-Za-z][A-Za-z0-9._-]*)?")
_ZONE_SUFFIX = re.compile(r"\s*\(?(UTC|GMT)\)?$", re.IGNORECASE)
_SECONDS = re.compile(r"\d:\d{2}:\d{2}")
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%H:%M:%S %Y-%m-%d",
    "%H:%M %Y-%m-%d",
    "%y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)
MINUTE_FORMATS = frozenset({"%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%H:%M %Y-%m-%d"})


def decimal_value(text: str, column: str, *, allow_empty: bool = False) -> Decimal | None:
    """An exact number from a cell: "1,234.5", " 0E-8 ", "-0.5"; never through a float."""
    if text and "," not in text and "_" not in text:
        try:  # the common case, fast: a plain number
            quick = Decimal(text)
        except InvalidOperation:
            pass
        else:
            if quick.is_finite():
                return quick
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned or cleaned in {"-", "--"}:
        if allow_empty:
            return None
        raise RowError(column, Text.of("file.row.empty_number"))
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    if not _NUMBER.fullmatch(cleaned):
        raise RowError(column, Text.of("file.row.not_a_number", text=text.strip()))
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only valid literals
        raise RowError(column, Text.of("file.row.not_a_number", text=text.strip())) from exc
    return value


def number(text: str, column: str) -> Decimal:
    value = decimal_value(text, column)
    if value is None:  # pragma: no cover - decimal_value raises on empty cells unless allow_empty
        raise RowError(column, Text.of("file.row.empty_number"))
    return value


def optional_number(text: str, column: str) -> Decimal | None:
    return decimal_value(text, column, allow_empty=True)


def with_unit(text: str, column: str, units: Iterable[str] = ()) -> tuple[Decimal, str]:
    """ "0.00100000BTC", "99.68 USDT", "100.0001INCH" → (number, unit). Expected units are tried first, longest
    first, because a unit may start with a digit (1INCH)."""
    cleaned = text.strip().replace("\u00a0", "")
    for unit in sorted(units, key=len, reverse=True):
        if not unit:
            continue
        if cleaned.upper().endswith(unit.upper()) and len(cleaned) > len(unit):
            head = cleaned[: -len(unit)].strip()
            try:
                return number(head, column), unit
            except RowError:
                continue
    match = _WITH_UNIT.fullmatch(cleaned)
    if match is None:
        raise RowError(column, Text.of("file.row.not_an_amount", text=text.strip()))
    return number(match.group(1), column), (match.group(2) or "").upper()


def side_value(text: str, column: str) -> Side:
    side = text.strip().lower()
    if side in {"buy", "b", "买入", "買い"}:
        return Side.BUY
    if side in {"sell", "s", "卖出", "売り"}:
        return Side.SELL
    raise RowError(column, Text.of("file.row.not_a_side", text=text.strip()))


def split_pair(text: str, column: str, *, base_hint: str = "", quote_hint: str = "") -> tuple[str, str]:
    """ "BTC/USDT", "BTC-USDT", "BTC_USDT", "BTCUSDT", "BTCUSDT_SPBL" → ("BTC", "USDT")."""
    pair = text.strip().upper()
    for suffix in ("_SPBL", "_SPOT"):
        if pair.endswith(suffix):
            pair = pair[: -len(suffix)]
    for separator in ("/", "-", "_"):
        if separator in pair:
            base, _, quote = pair.partition(separator)
            if base and quote:
                return base, quote
    if base_hint and quote_hint and pair == base_hint.upper() + quote_hint.upper():
        return base_hint.upper(), quote_hint.upper()
    if base_hint and pair.startswith(base_hint.upper()) and len(pair) > len(base_hint):
        return base_hint.upper(), pair[len(base_hint) :]
    if quote_hint and pair.endswith(quote_hint.upper()) and len(pair) > len(quote_hint):
        return pair[: -len(quote_hint)], quote_hint.upper()
    for quote in KNOWN_QUOTES:
        if pair.endswith(quote) and len(pair) > len(quote):
            return pair[: -len(quote)], quote
    raise RowError(column, Text.of("file.row.pair_unclear", pair=text.strip()))


def zone_named(name: str) -> tzinfo:
    if name.upper() in {"UTC", "Z", "GMT", "ETC/UTC"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadTimezone(Text.of("file.bad_timezone", name=name)) from exc


def zone_in_text(text: str) -> tzinfo | None:
    """The UTC offset a header, preamble or file name states: "Date(UTC+2)", "Time Zone:UTC+8", "(+8 UTC)"."""
    match = _OFFSET.search(text or "")
    if match is None:
        return None
    sign = match.group("s1") or match.group("s2")
    if sign is None:
        return UTC
    hours = int(match.group("h1") or match.group("h2") or 0)
    minutes = int(match.group("m1") or match.group("m2") or 0)
    if hours > 14 or minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    if offset == timedelta(0):
        return UTC
    return timezone(offset if sign == "+" else -offset)


def parse_time(text: str, column: str, zone: tzinfo) -> tuple[datetime, int]:
    """A time cell as aware UTC, with its precision in seconds (60 when the export writes minutes only).

    Times with their own offset or "Z" keep it; others are read in `zone`. Unix milliseconds and seconds work too.
    """
    raw = text.strip()
    cleaned = _ZONE_SUFFIX.sub("", raw).strip() if raw[-1:].isalpha() or raw.endswith(")") else raw
    if not cleaned:
        raise RowError(column, Text.of("file.row.empty_time"))
    if cleaned.isdigit() and len(cleaned) in (10, 13):
        seconds = int(cleaned) / (1000 if len(cleaned) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz=UTC), 1
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        parsed, precision = _strptime(cleaned, raw, column)
    else:
        precision = 1 if _SECONDS.search(cleaned) else 60 if ":" in cleaned else 86_400
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC), precision


def _strptime(cleaned: str, raw: str, column: str) -> tuple[datetime, int]:
    for pattern in TIME_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, pattern)  # the zone is applied by the caller
        except ValueError:
            continue
        precision = 86_400 if pattern == "%Y-%m-%d" else 60 if pattern in MINUTE_FORMATS else 1
        return parsed, precision
    raise RowError(column, Text.of("file.row.bad_time", text=raw))


def code_of(asset: str, codes: Mapping[str, str]) -> str:
    """The common code Tallybot stores (ccxt's, e.g. XBT → BTC) for an exchange's own asset id."""
    cleaned = asset.strip().upper()
    return codes.get(cleaned, cleaned)
