"""Recognising a file's records among those already stored, and keying the new ones.

Where a file has the exchange's own id, its records carry the API sync's natural key and the unique constraint
does the rest. Where it has not (Binance's trade export has no trade id), a record is "already known" when a
stored record of the same integration has the same canonical content:

    kind, asset, quote asset, side, amount  — equal
    time                                    — equal to the second (to the minute for exports that write minutes)
    price, fee amount                       — equal where both have one

Each stored record vouches for one file row at most, so two identical trades in one second stay two trades.
Rows with a key are matched by key first, then by content. New rows without one get a content-hash key with an
ordinal, so importing the same file twice adds nothing. Where several stored records have a row's content (a file
that cannot tell two fills apart), the row takes the first unclaimed one: identical fills are interchangeable, and
the report says how many rows were matched that way (`Match`).

A withdrawal row whose amount includes the network fee (Binance's Transaction History writes "Withdraw fee is
included" beside it, and the fee nowhere) matches a stored withdrawal whose amount plus fee is that amount, as the
API's withdraw history has them (`amount`, `transactionFee`), and the other way round.

Files that do not say their time zone (Bitget's) are read in the user's zone, and the report suggests changing it
with /settings and importing again if that was wrong. Their rows are therefore keyed on the file's own wall time
("2024-06-01 09:00:00" as written), never on the UTC time the zone made of it: importing again under another zone
finds the same keys, and moves the stored rows to the corrected time instead of adding a second copy. Rows stored
by earlier versions (keyed on the UTC time) are recognised by the file row they keep in `raw`, and re-keyed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from connectors.records import NormalizedRecord, RecordKind, natural_key


class Comparable(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def natural_key(self) -> str: ...
    @property
    def asset(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def quote_asset(self) -> str | None: ...
    @property
    def side(self) -> str | None: ...
    @property
    def price(self) -> Decimal | None: ...
    @property
    def fee_amount(self) -> Decimal | None: ...


class ParsedRecordLike(Protocol):
    @property
    def record(self) -> NormalizedRecord: ...
    @property
    def keyed(self) -> bool: ...
    @property
    def precision(self) -> int: ...
    @property
    def fee_included(self) -> bool: ...


class Match(StrEnum):
    """How a file row was recognised as a stored record (the import report counts each)."""

    KEY = "key"  # the exchange's id in the file: the key the API sync stores
    CONTENT = "content"  # no id: kind, coins, side, amount, time to the second, price and fee
    CONTENT_MINUTE = "content-minute"  # the same, to the minute (the file writes minutes only)
    FEE_INCLUDED = "fee-included"  # a withdrawal whose amount includes its fee: amount + fee of the stored one
    TWIN = "twin"  # of the content matches, those with identical stored twins, taken one each in order
    FILE_ROW = "file-row"  # the same file row stored by an earlier import (a file without a zone read again)


Content = tuple[str, str, str, str, Decimal]

# A side a file reader stores that is neither a Side nor a Flow (Bybit's "Buy Crypto with Card" deposit): it is part
# of a row's content above and of its content-hash key, so its stored value never changes (a re-upload would no
# longer find the rows an earlier one stored, and would store them twice). A stored code, as Side's values are.
CARD_PURCHASE_WORDS = "card purchase"


def content_of(item: Comparable) -> Content:
    return (str(item.kind), item.asset, item.quote_asset or "", (item.side or "").lower(), item.amount)


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def canonical(record: NormalizedRecord) -> tuple[str, ...]:
    """The fields a content-hash key is made of, as text that does not depend on how a number was written."""
    return (
        "file",
        record.occurred_at.replace(microsecond=0).isoformat(),
        record.asset,
        record.quote_asset or "",
        (record.side or "").lower(),
        _plain(record.amount),
        _plain(record.price),
        record.fee_asset or "",
        _plain(record.fee_amount),
    )


def wall_canonical(record: NormalizedRecord, zone: tzinfo) -> tuple[str, ...]:
    """The key fields of a row from a file without a zone: its time as the file wrote it, not as UTC."""
    wall = record.occurred_at.astimezone(zone).replace(tzinfo=None, microsecond=0)
    return ("file-wall-time", wall.isoformat(), *canonical(record)[2:])


def raw_identity(kind: str, raw: Any) -> str | None:
    """A file row as the file wrote it (empty cells aside: older versions kept them), for rows stored before
    zone-less files were keyed on their wall time."""
    if not isinstance(raw, dict) or "file_format" not in raw:
        return None
    cells = {str(title): value for title, value in raw.items() if value != ""}
    return kind + "|" + json.dumps(cells, sort_keys=True, ensure_ascii=False, default=str)


def content_key(record: NormalizedRecord, ordinal: int, parts: tuple[str, ...] | None = None) -> str:
    """The natural key of a file record without an exchange id: a hash of its canonical content and its ordinal
    among identical rows (the n-th identical trade of that second)."""
    return natural_key(RecordKind(record.kind), None, *(parts or canonical(record)), ordinal)


@dataclass(slots=True)
class _Candidate:
    epoch: float
    price: Decimal | None
    fee: Decimal | None
    natural_key: str
    from_file: bool = False
    claimed: bool = False


def _compatible(left: Decimal | None, right: Decimal | None) -> bool:
    return left is None or right is None or left == right


class StoredRecords:
    """The stored records a file may overlap (one integration, the file's kinds and time range)."""

    def __init__(self, stored: Iterable[Comparable] = ()) -> None:
        self._by_content: dict[Content, list[_Candidate]] = {}
        self._by_key: dict[str, _Candidate] = {}
        self._by_raw: dict[str, list[_Candidate]] = {}
        self._by_gross: dict[tuple[str, str, Decimal], list[_Candidate]] = {}  # withdrawals by amount + fee
        for item in stored:
            self.add(item)

    def add(self, item: Comparable) -> None:
        self.add_values(
            kind=str(item.kind),
            occurred_at=item.occurred_at,
            natural_key=item.natural_key,
            asset=item.asset,
            amount=item.amount,
            quote_asset=item.quote_asset,
            side=item.side,
            price=item.price,
            fee_amount=item.fee_amount,
        )

    def add_values(
        self,
        *,
        kind: str,
        occurred_at: datetime,
        natural_key: str,
        asset: str,
        amount: Decimal,
        quote_asset: str | None,
        side: str | None,
        price: Decimal | None,
        fee_amount: Decimal | None,
        raw: Any = None,
        from_file: bool = False,
    ) -> None:
        """`raw` is given for stored file rows only when a file without a zone is imported (see raw_identity);
        `from_file`: the row was stored by a file import, not by the API sync."""
        candidate = _Candidate(occurred_at.timestamp(), price, fee_amount, natural_key, from_file)
        content = (kind, asset, quote_asset or "", (side or "").lower(), amount)
        self._by_content.setdefault(content, []).append(candidate)
        if kind == RecordKind.WITHDRAWAL:
            gross = amount + (fee_amount or Decimal(0))
            self._by_gross.setdefault((kind, asset, gross), []).append(candidate)
        self._by_key[natural_key] = candidate
        identity = raw_identity(kind, raw) if raw is not None else None
        if identity is not None:
            self._by_raw.setdefault(identity, []).append(candidate)

    def __len__(self) -> int:
        return len(self._by_key)

    def has_key(self, key: str) -> bool:
        return key in self._by_key

    def claim_key(self, key: str) -> bool:
        """A file record with this natural key is known; its stored twin cannot vouch for another row."""
        candidate = self._by_key.get(key)
        if candidate is None:
            return False
        candidate.claimed = True
        return True

    def claim_exact(self, key: str) -> _Candidate | None:
        """The unclaimed stored record under this key."""
        candidate = self._by_key.get(key)
        if candidate is not None and not candidate.claimed:
            candidate.claimed = True
            return candidate
        return None

    def claim_same_row(self, record: NormalizedRecord) -> _Candidate | None:
        """An unclaimed stored record an earlier version stored from the same file row."""
        identity = raw_identity(str(record.kind), record.raw)
        for candidate in self._by_raw.get(identity or "", ()):
            if not candidate.claimed:
                candidate.claimed = True
                return candidate
        return None

    def claim_content(self, record: NormalizedRecord, precision: int = 1, *, api_only: bool = False) -> bool:
        """Whether an unclaimed stored record has this record's content; if so it is claimed. `api_only`: only a
        record the API sync stored counts (a file row's identical twin is another trade, not the same one)."""
        return self.match_content(record, precision, api_only=api_only) is not None

    def match_content(
        self, record: NormalizedRecord, precision: int = 1, *, api_only: bool = False, fee_included: bool = False
    ) -> tuple[Match, bool] | None:
        """How an unclaimed stored record with this record's content was found and claimed, and whether it has
        identical twins in the same time window (claimed or not: the file cannot tell which one this row is);
        None when there is none. `fee_included`: the record is a withdrawal whose
        amount includes its fee (see the module docstring)."""
        window = max(precision, 1)
        bucket = int(record.occurred_at.timestamp() // window)

        def fits(candidate: _Candidate, fee: bool = True) -> bool:
            """Same time window and compatible price and fee; claimed or not."""
            if int(candidate.epoch // window) != bucket or (api_only and candidate.from_file):
                return False
            return _compatible(candidate.price, record.price) and (
                not fee or _compatible(candidate.fee, record.fee_amount)
            )

        same = [c for c in self._by_content.get(content_of(record), ()) if fits(c)]
        how = Match.CONTENT if window == 1 else Match.CONTENT_MINUTE
        if not any(not c.claimed for c in same) and record.kind == RecordKind.WITHDRAWAL:
            if fee_included and record.fee_amount is None:
                same = [c for c in self._by_gross.get((record.kind, record.asset, record.amount), ()) if fits(c)]
            elif record.fee_amount is not None:  # the stored row is one whose amount includes the fee
                gross = (str(record.kind), record.asset, "", "", record.amount + record.fee_amount)
                same = [c for c in self._by_content.get(gross, ()) if c.fee is None and fits(c, fee=False)]
            how = Match.FEE_INCLUDED
        free = next((c for c in same if not c.claimed), None)
        if free is None:
            return None
        free.claimed = True
        return how, len(same) > 1


@dataclass(slots=True)
class ImportPlan:
    """What to insert (rows ready for TransactionRepository.insert_missing) and how many rows were known.

    `moved` are stored rows of a file without a zone imported again under another zone, or stored by an earlier
    version under a key made of the UTC time: (stored key, key, time) to set. `dropped` are stored keys of such
    rows whose corrected time another stored record (the API sync's) already has: that record is the one copy
    kept."""

    new: list[dict[str, object]]
    known: int
    moved: list[tuple[str, str, datetime]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    retimed: int = 0  # of `moved` and `dropped`, those whose stored time differed (the rest are only re-keyed)
    matched: Counter[Match] = field(default_factory=Counter)  # known rows by how they were recognised

    def content_match(self, parsed: ParsedRecordLike, stored: StoredRecords, *, api_only: bool = False) -> bool:
        """Claim the stored record with this row's content, counting how it was found."""
        found = stored.match_content(
            parsed.record, parsed.precision, api_only=api_only, fee_included=parsed.fee_included
        )
        if found is None:
            return False
        how, twins = found
        self.matched[how] += 1
        self.matched[Match.TWIN] += twins
        return True


def plan_import(
    records: Iterable[ParsedRecordLike],
    stored: StoredRecords,
    integration_id: int,
    *,
    wall_zone: tzinfo | None = None,
) -> ImportPlan:
    """Split a file's records into known ones and new rows with their natural keys. Pure CPU work: services run it
    in a worker thread for large files. `wall_zone` is the zone a file without one was read in (the user's)."""
    plan = ImportPlan([], 0)
    taken: set[str] = set()
    unkeyed: list[ParsedRecordLike] = []
    unmatched: list[ParsedRecordLike] = []
    for parsed in records:
        if not parsed.keyed:
            unkeyed.append(parsed)
            continue
        key = parsed.record.natural_key
        if key in taken or stored.claim_key(key):
            plan.known += 1  # stored already, or the same row twice in the file
            plan.matched[Match.KEY] += 1
        else:
            unmatched.append(parsed)
        taken.add(key)
    # A keyed row whose key is not stored may still be a stored record under another key (an export's id that is
    # not the API's, or a record an earlier file stored by content): recognise it by content too.
    for parsed in unmatched:
        if plan.content_match(parsed, stored):
            plan.known += 1
        else:
            plan.new.append(parsed.record.to_row(integration_id, "file"))
    if wall_zone is not None:
        return _plan_wall_time(unkeyed, stored, integration_id, wall_zone, plan)
    ordinals: dict[str, int] = {}  # per identical content: the next ordinal
    for parsed in unkeyed:
        if plan.content_match(parsed, stored):
            plan.known += 1
            continue
        parts = canonical(parsed.record)
        group = f"{parsed.record.kind}|" + "|".join(parts)
        ordinal = ordinals.get(group, 0)
        key = content_key(parsed.record, ordinal, parts)
        while key in taken or stored.has_key(key):
            ordinal += 1
            key = content_key(parsed.record, ordinal, parts)
        ordinals[group] = ordinal + 1
        taken.add(key)
        row = parsed.record.to_row(integration_id, "file")
        row["natural_key"] = key
        plan.new.append(row)
    return plan


def _plan_wall_time(
    unkeyed: list[ParsedRecordLike], stored: StoredRecords, integration_id: int, zone: tzinfo, plan: ImportPlan
) -> ImportPlan:
    """Rows of a file without a zone: the n-th identical row of a wall time always gets ordinal n, so a second
    import finds each row under its key whatever zone it was read in.

    Every row claims its exact key before any row looks for its stored twin by file row (identical rows have the
    same file row), so no row takes a record another row is stored under."""
    ordinals: dict[str, int] = {}
    keyed: list[tuple[ParsedRecordLike, str]] = []
    for parsed in unkeyed:
        parts = wall_canonical(parsed.record, zone)
        group = f"{parsed.record.kind}|" + "|".join(parts)
        ordinal = ordinals.get(group, 0)
        ordinals[group] = ordinal + 1
        keyed.append((parsed, content_key(parsed.record, ordinal, parts)))
    exact = [stored.claim_exact(key) for _, key in keyed]
    matches = [found or stored.claim_same_row(p.record) for found, (p, _) in zip(exact, keyed, strict=True)]
    for (parsed, key), same in zip(keyed, matches, strict=True):
        record = parsed.record
        if same is not None:
            plan.known += 1
            plan.matched[Match.FILE_ROW] += 1
            same_time = same.epoch == record.occurred_at.timestamp()
            if same_time and same.natural_key == key:
                continue
            plan.retimed += not same_time
            if stored.claim_content(record, parsed.precision, api_only=True):
                plan.dropped.append(same.natural_key)  # e.g. the API sync stored it at the right time meanwhile
            else:
                plan.moved.append((same.natural_key, key, record.occurred_at))
            continue
        if plan.content_match(parsed, stored):
            plan.known += 1
            continue
        row = record.to_row(integration_id, "file")
        row["natural_key"] = key
        plan.new.append(row)
    return plan
