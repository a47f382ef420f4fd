"""OKX v5's quarterly bill archive of the trading account (bills-history-archive), over the derivatives script.

Pages (okx.com/docs-v5, Trading account, "Apply bills details (since 2021)" and "Get bills details (since 2021)";
docs/exchange-apis/okx.md names the copies read):

- ``POST /api/v5/account/bills-history-archive`` with ``year`` (4 digits) and ``quarter`` (Q1-Q4): "bill data since
  1 February, 2021 except for the current quarter"; answers ``result`` "true" (a link exists) or "false" ("is
  generating, can check the download link after 2 hours") and ``ts``, "the first request time when the server
  receives". 12 requests per day per User ID.
- ``GET`` the same path with ``year`` and ``quarter``: ``fileHref`` (a link that expires after 5 and a half hours),
  ``state`` finished / ongoing / failed, ``ts``. 10 requests per 2 seconds per User ID.
- The file: a compressed CSV of the documented columns (CSV_COLUMNS), "in reverse chronological order using billId",
  the quarter's range "[2024-07-01, 2024-10-01)" with the begin included and the end excluded. The docs say
  "decompressed CSV file" without naming the compression: the emulator serves a zip archive holding one CSV, as a
  third-party note describes OKX's files ("CSV.zip", find_string id 65958212821); the header row carries the
  column names.

Not documented, so chosen here: a GET for a quarter never applied for answers an empty list (Tallybot applies
first); the links live on the emulator's own host under ``/archive-files/``, outside the signed API.
"""

from __future__ import annotations

import csv
import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from sandbox.exchanges.base import HOUR_MS, MINUTE_MS
from sandbox.exchanges.okx_derivatives import OkxDerivatives
from sandbox.exchanges.okx_protocol import Call, Json, invalid, missing

# "Check the file link from the "Get bills details (since 2021)" endpoint in 2 hours to allow for data generation."
READY_AFTER_MS = 2 * HOUR_MS
# "The expiration of every link is 5 and a half hours."
LINK_LIFETIME_MS = 5 * HOUR_MS + 30 * MINUTE_MS
ARCHIVE_SINCE = datetime(2021, 2, 1, tzinfo=UTC)
FILES_PATH = "/archive-files"
# "Field descriptions in the decompressed CSV file", in the page's order. There is no `type` column.
CSV_COLUMNS = (
    "instType",
    "billId",
    "subType",
    "ts",
    "balChg",
    "posBalChg",
    "bal",
    "posBal",
    "sz",
    "px",
    "ccy",
    "pnl",
    "fee",
    "mgnMode",
    "instId",
    "ordId",
    "execType",
    "interest",
    "tag",
    "fillTime",
    "tradeId",
    "clOrdId",
    "fillIdxPx",
    "fillMarkPx",
    "fillPxVol",
    "fillPxUsd",
    "fillMarkVol",
    "fillFwdPx",
)


def quarter_range(year: int, quarter: int) -> tuple[int, int]:
    """[first ms, first ms of the next quarter) in UTC."""
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
    end = datetime(year + quarter // 4, 3 * quarter % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


@dataclass
class _Application:
    first_ms: int  # "The first request time when the server receives"
    failed: bool = False


class OkxArchive:
    """Applications per quarter, their state by the server's clock, and the files behind their links.

    ``ready_after_ms`` is the documented two hours; a test that means "two hours later" sets it to 0 between
    syncs. ``failing`` counts, per quarter, the applications whose generation fails ("failed": Failed, please apply
    again) before one succeeds."""

    def __init__(self, derivatives: OkxDerivatives, *, ready_after_ms: int = READY_AFTER_MS) -> None:
        self.derivatives = derivatives
        self.ready_after_ms = ready_after_ms
        self.failing: dict[str, int] = {}
        self.applications: dict[str, _Application] = {}
        self.links: dict[str, tuple[str, int]] = {}  # token -> (quarter name, expiry ms)
        self.downloads = 0
        self.application_requests = 0
        self.base_url = ""

    # -- the two endpoints ----------------------------------------------------------------------------------

    def apply(self, call: Call) -> list[Json]:
        name, _ = self._quarter(call)
        self.application_requests += 1
        known = self.applications.get(name)
        if known is None or known.failed:
            known = self.applications[name] = _Application(call.now_ms)
            if self.failing.get(name, 0) > 0:
                self.failing[name] -= 1
                known.failed = True
            return [{"result": "false", "ts": str(known.first_ms)}]
        ready = self._state(known, call.now_ms) == "finished"
        return [{"result": "true" if ready else "false", "ts": str(known.first_ms)}]

    def link(self, call: Call) -> list[Json]:
        name, _ = self._quarter(call)
        known = self.applications.get(name)
        if known is None:
            return []
        state = self._state(known, call.now_ms)
        href = ""
        if state == "finished":
            token = secrets.token_hex(12)
            self.links[token] = (name, call.now_ms + LINK_LIFETIME_MS)
            href = f"{self.base_url}{FILES_PATH}/{token}.zip"
        return [{"fileHref": href, "state": state, "ts": str(known.first_ms)}]

    def _state(self, application: _Application, now_ms: int) -> str:
        if now_ms - application.first_ms < self.ready_after_ms:
            return "ongoing"
        return "failed" if application.failed else "finished"

    @staticmethod
    def _quarter(call: Call) -> tuple[str, tuple[int, int]]:
        year, quarter = call.params.get("year", ""), call.params.get("quarter", "")
        if not year:
            raise missing("year")
        if not quarter:
            raise missing("quarter")
        if len(year) != 4 or not year.isdigit():
            raise invalid("year")
        if quarter not in ("Q1", "Q2", "Q3", "Q4"):
            raise invalid("quarter")
        span = quarter_range(int(year), int(quarter[1]))
        since = int(ARCHIVE_SINCE.timestamp() * 1000)
        # "since 1 February, 2021 except for the current quarter": earlier and current or later quarters are not
        # offered. The page names no error code for them; 51000 is the docs' answer to a parameter out of range.
        if span[1] <= since or span[1] > call.now_ms:
            raise invalid("quarter")
        return f"{year}{quarter}", span

    # -- the file -------------------------------------------------------------------------------------------

    def file(self, token: str, now_ms: int) -> bytes | None:
        """The zip behind a link, or None for an unknown or expired one."""
        found = self.links.get(token)
        if found is None or found[1] <= now_ms:
            return None
        name = found[0]
        start, end = quarter_range(int(name[:4]), int(name[5]))
        rows = [r for r in self.derivatives.rows if start <= r.ts < end]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in sorted(rows, key=lambda r: int(r.bill_id), reverse=True):
            writer.writerow({column: row.bill.get(column, "") for column in CSV_COLUMNS})
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"bills-{name}.csv", text.getvalue())
        self.downloads += 1
        return packed.getvalue()
