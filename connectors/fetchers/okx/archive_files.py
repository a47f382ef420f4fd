"""OKX's quarterly files of the trading account's bills (bills-history-archive): apply, ask for the link, download
and read. Shared by the endpoints of one sync (realized P&L, funding fees, interest), so a quarter is applied for
and downloaded once per sync whichever endpoint asks first. Rules and their sources: docs/exchange-apis/okx.md,
"bills-history-archive".

- `POST /api/v5/account/bills-history-archive` {year, quarter}: applies; `result` "true" when a link exists, "false"
  while OKX generates the file ("can check the download link after 2 hours"). 12 requests a day per User ID: the
  request goes past ccxt's throttler, whose cost for it (72000 units) would hold every other request of the client
  for two hours; a day's limit reached is OKX's 50011 answer, after which this sync applies for nothing more.
- `GET` the same path: `state` finished / ongoing / failed ("Failed, please apply again") and `fileHref`.
- An application holds for 30 days ("If you already apply the files for the same quarter, then it don't need to apply
  again within 30 days"): a later sync asks for the link without applying again.
- The file: a compressed CSV ("decompressed CSV file"; a zip, or gzip) with a header row of the documented columns.
  It has no `type` column: the bill type is read from `subType` (SUBTYPE_BILL_TYPES). Every other column is kept as
  written, `posBalChg` and `mgnMode` among them: an isolated position's bill changes the holding by `balChg +
  posBalChg` (derivatives.py), in a file as in bills-archive. It is unpacked in chunks up to
  MAX_CSV_BYTES: a file past that (a huge quarter, or a zip bomb) would otherwise exhaust memory at every retry; the
  quarter is then said as a gap of each endpoint that wanted it ("sync.gap.okx.archive_too_large").
- `fileHref` is presigned (the link alone downloads the bills): registered for log redaction as soon as it is read.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import aiohttp
import ccxt

from connectors.fetchers.base import CoverageGap, FetchReport
from connectors.fetchers.windows import call, is_rate_limit, now_ms
from connectors.profiles import Endpoint
from connectors.records import ms_to_utc
from connectors.redaction import credential_values
from i18n import Text

APPLICATION_HOLDS_MS = 30 * 86_400_000
_APPLY_PATH = "account/bills-history-archive"
# ccxt's cost of the GET of the same path (`account/bills-history-archive`: 2), given to the POST instead of 72000.
_APPLY_COST = 2
MAX_FILE_BYTES = 512 * 1024 * 1024
# The unpacked CSV: a quarter's bills of a very active account stay well below this; a bomb stops here.
MAX_CSV_BYTES = 1024 * 1024 * 1024
_UNPACK_CHUNK = 1 << 20
_DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=600)
# Bill subtypes (bills-archive's table, copy of okx.com/docs-v5 in rosssaunders/coincise) and the type each belongs
# to, for the types the bill readers take (derivatives.py): 2 trade (1-6 buy, sell, open/close long/short), 3
# delivery (112/113 delivery long/short, 117 delivery/exercise clawback, 170-172 exercised, counterparty exercised,
# expired OTM), 5 liquidation (100-107, 110/111 liquidation transfer in/out), 7 interest deduction (9 market loans,
# 14 VIP loans), 8 funding fee (173 expense, 174 income), 9 ADL (125-128), 10 clawback (108), 13 DDH (131 ddh buy,
# 132 ddh sell), 14 block trade (204-209
# block trade buy, sell, open/close long/short), 24 spread trading (270-275 the same six), 32 move position (324-329
# the same six), 34 settlement (355).
SUBTYPE_BILL_TYPES: Mapping[str, str] = {
    **dict.fromkeys(("1", "2", "3", "4", "5", "6"), "2"),
    **dict.fromkeys(("112", "113", "117", "170", "171", "172"), "3"),
    **dict.fromkeys(("100", "101", "102", "103", "104", "105", "106", "107", "110", "111"), "5"),
    **dict.fromkeys(("9", "14"), "7"),
    **dict.fromkeys(("173", "174"), "8"),
    **dict.fromkeys(("125", "126", "127", "128"), "9"),
    "108": "10",
    **dict.fromkeys(("131", "132"), "13"),
    **dict.fromkeys(map(str, range(204, 210)), "14"),
    **dict.fromkeys(map(str, range(270, 276)), "24"),
    **dict.fromkeys(map(str, range(324, 330)), "32"),
    "355": "34",
}


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    year: int
    number: int

    @property
    def name(self) -> str:
        return f"{self.year}Q{self.number}"

    @classmethod
    def parse(cls, name: str) -> Quarter:
        return cls(int(name[:4]), int(name[5]))

    @classmethod
    def of(cls, ms: int) -> Quarter:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    @property
    def start_ms(self) -> int:
        return _ms(datetime(self.year, 3 * self.number - 2, 1, tzinfo=UTC))

    @property
    def end_ms(self) -> int:
        """The first millisecond of the next quarter ("The begin date is included, The end date is excluded")."""
        return self.next().start_ms

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)


def quarters_over(start_ms: int, end_ms: int) -> list[Quarter]:
    """The quarters that hold some of [start_ms, end_ms)."""
    if end_ms <= start_ms:
        return []
    found, quarter, last = [], Quarter.of(start_ms), Quarter.of(end_ms - 1)
    while quarter <= last:
        found.append(quarter)
        quarter = quarter.next()
    return found


class FileState(StrEnum):
    FINISHED = "finished"
    TOO_LARGE = "too_large"  # downloaded, but unpacked it holds more than MAX_CSV_BYTES: a gap, not retried
    ONGOING = "ongoing"  # applied for; OKX is generating the file
    FAILED = "failed"  # OKX's generation failed twice: said as a gap with its own reason
    NOT_APPLIED = "not_applied"  # the day's 12 applications are spent: the next sync applies


@dataclass(slots=True)
class QuarterFile:
    state: FileState
    applied_ms: int | None = None
    failures: int = 0
    rows: list[dict[str, str]] = field(default_factory=list)


class ArchiveFiles:
    """One sync's quarterly files, by quarter name."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._files: dict[str, QuarterFile] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._applications_spent = False

    async def quarter(
        self, quarter: Quarter, applied_ms: int | None, failures: int, endpoint: Endpoint, report: FetchReport
    ) -> QuarterFile:
        lock = self._locks.setdefault(quarter.name, asyncio.Lock())
        async with lock:
            known = self._files.get(quarter.name)
            if known is None:
                known = self._files[quarter.name] = await self._obtain(quarter, applied_ms, failures, endpoint, report)
        if known.state is FileState.TOO_LARGE:  # each endpoint asking says it: the quarter is missing from each
            reason = Text.of("sync.gap.okx.archive_too_large", quarter=f"{quarter.year} Q{quarter.number}")
            report.gaps.append(CoverageGap(endpoint, ms_to_utc(quarter.start_ms), ms_to_utc(quarter.end_ms), reason))
            # Read as done by the caller: retrying would download and unpack the same file at every sync.
            return QuarterFile(FileState.FINISHED, known.applied_ms, known.failures)
        return known

    async def _obtain(
        self, quarter: Quarter, applied_ms: int | None, failures: int, endpoint: Endpoint, report: FetchReport
    ) -> QuarterFile:
        if applied_ms is None or now_ms() - applied_ms >= APPLICATION_HOLDS_MS:
            applied = await self._apply(quarter, report)
            if applied is None:
                return QuarterFile(FileState.NOT_APPLIED, failures=failures)
            applied_ms, exists = applied
            if not exists:
                return QuarterFile(FileState.ONGOING, applied_ms, failures)
        params = {"year": str(quarter.year), "quarter": f"Q{quarter.number}"}
        body = await call(self.client, "privateGetAccountBillsHistoryArchive", params, endpoint=endpoint, report=report)
        answer = (body.get("data") or [{}])[0]
        state = str(answer.get("state", ""))
        if state == FileState.FINISHED and answer.get("fileHref"):
            href = str(answer["fileHref"])
            credential_values.remember(href)
            try:
                rows = read_file(await self._download(href, report))
            except FileTooLarge:
                return QuarterFile(FileState.TOO_LARGE, applied_ms, failures)
            return QuarterFile(FileState.FINISHED, applied_ms, failures, rows)
        if state == FileState.ONGOING:
            return QuarterFile(FileState.ONGOING, applied_ms, failures)
        # "failed": Failed, please apply again (or no application known to OKX any more): apply once more now.
        again = await self._apply(quarter, report)
        if again is None:
            return QuarterFile(FileState.NOT_APPLIED, failures=failures + 1)
        state_now = FileState.FAILED if failures + 1 >= 2 else FileState.ONGOING
        return QuarterFile(state_now, again[0], failures + 1)

    async def _apply(self, quarter: Quarter, report: FetchReport) -> tuple[int, bool] | None:
        """(the application's time, whether a link exists), or None once the day's applications are spent."""
        if self._applications_spent:
            return None
        report.requests += 1
        params = {"year": str(quarter.year), "quarter": f"Q{quarter.number}"}
        try:
            body = await self.client.request(_APPLY_PATH, ["private"], "POST", params, {"cost": _APPLY_COST})
        except Exception as error:
            if not is_rate_limit(error):
                raise
            self._applications_spent = True
            return None
        answer = (body.get("data") or [{}])[0]
        first = answer.get("ts")
        return (int(first) if first else now_ms()), str(answer.get("result")) == "true"

    async def _download(self, href: str, report: FetchReport) -> bytes:
        """The file behind the link: a plain HTTP GET, outside the signed API (the link is the authorisation)."""
        report.requests += 1
        content = bytearray()
        # The link carries its own authorisation: errors name the status, never the link.
        try:
            async with aiohttp.ClientSession(timeout=_DOWNLOAD_TIMEOUT) as session, session.get(href) as response:
                if response.status != 200:
                    raise ccxt.ExchangeNotAvailable(f"okx bill archive download answered HTTP {response.status}")
                async for chunk in response.content.iter_chunked(1 << 16):
                    content += chunk
                    if len(content) > MAX_FILE_BYTES:
                        raise ccxt.ExchangeError("okx bill archive file is larger than Tallybot reads")
        except (aiohttp.ClientError, TimeoutError):
            raise ccxt.NetworkError("okx bill archive download failed") from None
        return bytes(content)


def read_file(content: bytes) -> list[dict[str, str]]:
    """The CSV's rows as bills-archive rows: every documented column as OKX wrote it (`balChg`, `posBalChg`,
    `mgnMode`, ...), and `type` from `subType`."""
    text = _decompressed(content).decode("utf-8-sig")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        clean = {str(k).strip(): (v or "").strip() for k, v in row.items() if k is not None}
        clean["type"] = SUBTYPE_BILL_TYPES.get(clean.get("subType", ""), "")
        rows.append(clean)
    return rows


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class FileTooLarge(Exception):
    """The archive unpacks to more than MAX_CSV_BYTES."""


def _decompressed(content: bytes) -> bytes:
    limit = MAX_CSV_BYTES  # read at call time: tests lower it to try a small bomb
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [n for n in archive.namelist() if n.lower().endswith(".csv")] or archive.namelist()
            with archive.open(members[0]) as member:
                return _read_capped(member, limit)
    if content[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as unpacked:
            return _read_capped(unpacked, limit)
    if len(content) > limit:
        raise FileTooLarge
    return content


def _read_capped(stream: _Readable, limit: int) -> bytes:
    """Chunk by chunk, never trusting the size an archive declares (a bomb declares what it likes)."""
    out = bytearray()
    while chunk := stream.read(_UNPACK_CHUNK):
        out += chunk
        if len(out) > limit:
            raise FileTooLarge
    return bytes(out)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
