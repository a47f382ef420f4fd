"""The conformance corpus: documented and recorded exchange API payloads, read from `../shared/api-examples/`.

Nothing here is written by Tallybot: each file holds a response from an exchange's own documentation or one an
open-source client recorded from the live API (see that folder's SOURCES.md). The tests enumerate the folders, so a
payload added later is checked too; a file no test knows how to check fails `test_corpus_is_claimed`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.records import RecordKind

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("TALLYBOT_SHARED_DIR", ROOT.parent / "shared"))
API_EXAMPLES = SHARED / "api-examples"

EXCHANGES = ("binance", "bybit", "okx", "bitget")


@dataclass(frozen=True)
class Example:
    """One payload of the corpus: the response and where it comes from."""

    path: Path
    exchange: str
    source: Any
    endpoint: str | None  # the REST path that answered, where the file says so (recorded/*)
    adjust: Any
    response: Any

    @property
    def name(self) -> str:
        """The file's name relative to api-examples/, e.g. 'okx/convert_history.docs.json'."""
        return self.path.relative_to(API_EXAMPLES).as_posix()

    @property
    def topic(self) -> str:
        """The part of the file name that names the endpoint: 'convert_history' for either
        'okx/convert_history.docs.json' or 'recorded/okx/fidelity.convert_history.docs.json'."""
        stem = self.path.name.removeprefix("fidelity.")
        return stem.split(".", 1)[0]


def example_files(exchange: str) -> list[Path]:
    """Every JSON payload of one exchange: its documented folder and its recorded folder."""
    if not API_EXAMPLES.is_dir():
        raise FileNotFoundError(
            f"the conformance corpus is missing: expected {API_EXAMPLES} (set TALLYBOT_SHARED_DIR to the shared folder)"
        )
    folders = (API_EXAMPLES / exchange, API_EXAMPLES / "recorded" / exchange)
    return sorted(path for folder in folders if folder.is_dir() for path in folder.glob("*.json"))


def load(path: Path) -> Example:
    # Decimals stay exact: a number in a payload is read as the exchange wrote it.
    raw = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    exchange = path.parent.name
    return Example(
        path=path,
        exchange=exchange,
        source=raw.get("_source"),
        endpoint=raw.get("endpoint"),
        adjust=raw.get("adjust"),
        response=raw["response"],
    )


def examples(exchange: str, topic: str | None = None) -> list[Example]:
    """The exchange's payloads, optionally only those about one endpoint (see `Example.topic`)."""
    found = [load(path) for path in example_files(exchange)]
    return [example for example in found if topic is None or example.topic == topic]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def shape_differences(
    documented: Any, emulated: Any, *, path: str = "$", extra_allowed: frozenset[str] = frozenset()
) -> list[str]:
    """How an emulated answer differs from a documented one in envelope, field names and JSON types.

    The schema comes from the documented example, never from the emulator: every documented field must be present with
    the same JSON type (a string stays a string, a number a number; a documented null admits any type), and a field the
    documentation does not show is a difference unless its dotted path is in `extra_allowed` (each such allowance must
    name its source where it is granted). Arrays: every emulated element is compared with the first documented one.
    """
    documented_type, emulated_type = json_type(documented), json_type(emulated)
    if documented_type == "null":
        return []
    if documented_type != emulated_type:
        return [f"{path}: documented {documented_type}, emulated {emulated_type}"]
    problems: list[str] = []
    if documented_type == "object":
        for key, value in documented.items():
            if key not in emulated:
                problems.append(f"{path}.{key}: documented, missing from the emulator")
            else:
                problems += shape_differences(value, emulated[key], path=f"{path}.{key}", extra_allowed=extra_allowed)
        for key in emulated.keys() - documented.keys():
            if _generic(f"{path}.{key}") not in extra_allowed:
                problems.append(f"{path}.{key}: emulated, not in the documented example")
    elif documented_type == "array" and documented:
        for index, element in enumerate(emulated):
            problems += shape_differences(documented[0], element, path=f"{path}[{index}]", extra_allowed=extra_allowed)
    return problems


def _generic(path: str) -> str:
    """'$.data[3].fee' -> '$.data[].fee': allowances name fields, not rows."""
    out, depth = [], 0
    for char in path:
        if char == "[":
            depth += 1
            out.append("[]")
        elif char == "]":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def field_paths(value: Any, path: str = "$") -> frozenset[str]:
    """Every field of a payload as a generic path ('$.result.rows[].id'), the form `extra_allowed` takes."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found |= {f"{path}.{key}"} | field_paths(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for inner in value:
            found |= field_paths(inner, f"{path}[]")
    return frozenset(found)


READ_FIELDS = (
    "kind",
    "occurred_at",
    "asset",
    "amount",
    "exchange_tx_id",
    "market",
    "side",
    "quote_asset",
    "quote_amount",
    "price",
    "fee_asset",
    "fee_amount",
)


def readable(record: Any) -> dict[str, Any]:
    """What a person reads off a fetched record, the form the hand-written expectations take."""
    return {name: getattr(record, name) for name in READ_FIELDS}


def move(
    kind: RecordKind, when: str, ident: str | None, asset: str, amount: str, fee: str | None = None
) -> dict[str, Any]:
    """A hand-written expected deposit, withdrawal or transfer (`when` ISO, UTC), fee in the moved coin if any."""
    return {
        "kind": kind,
        "occurred_at": datetime.fromisoformat(when).replace(tzinfo=UTC),
        "asset": asset,
        "amount": Decimal(amount),
        "exchange_tx_id": ident,
        "market": None,
        "side": None,
        "quote_asset": None,
        "quote_amount": None,
        "price": None,
        "fee_asset": asset if fee is not None else None,
        "fee_amount": Decimal(fee) if fee is not None else None,
    }
