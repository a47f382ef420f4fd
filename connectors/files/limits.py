"""How much of an upload Tallybot reads, and the workbook checks made before openpyxl sees a byte.

An XLSX file is a ZIP of XML parts: 20 MB on the wire can unpack to gigabytes, and openpyxl trusts what the parts
declare (a `<dimension ref="A1:XFD250000"/>` makes read-only mode pad every row to 16,384 cells; every shared
string becomes a Python object of ~100 bytes however short its XML). So every bound here is on what is *read*,
not on what the file says: the unpacked size of each part is counted as it is inflated (declared sizes are
checked first, actual ones while reading), shared strings are counted in the inflated XML, and rows, columns,
cells and seconds are counted while the rows are read. Whatever slips past these meets the worker process's hard
memory and time limits (connectors/files/isolated.py).
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from connectors.files.errors import FileTooLarge, WrongFileType
from i18n import Text, msgid

# Telegram lets a bot download files up to 20 MB, so no upload can be larger; the same bound guards other callers.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 250_000
MAX_COLUMNS = 256  # the widest export Tallybot reads has 17 columns; spreadsheets add a few of their own
# Cells read, the empty ones a workbook pads its rows with included: 250,000 rows of 20 columns.
MAX_CELLS = 5_000_000
MAX_SHARED_STRINGS = MAX_CELLS  # a workbook has no more distinct texts than text cells
# The text of the cells read, in UTF-8 bytes. One shared string is stored once and may be referenced by every cell,
# so a tiny workbook can hold gigabytes of text (one 32,767-character string in 30,000 cells is 1 GB): this bounds
# what the worker sends back and the bot parses. 250,000 rows of 17 cells of ~12 characters are about 50 MB.
MAX_TEXT_BYTES = 200 * 1024 * 1024
# A 20 MB workbook of real rows unpacks to about 150 MB of XML (XML compresses about 8:1).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 1_000
MAX_READ_SECONDS = 120.0


class Reading(StrEnum):
    """What is being read, for the refusals (`Budget.what`)."""

    FILE = "file"
    WORKBOOK = "workbook"


WHAT = {Reading.FILE: msgid("file.what.file"), Reading.WORKBOOK: msgid("file.what.workbook")}

_CHUNK = 1024 * 1024
_OVERLAP = 32  # bytes kept between chunks so a tag split across two chunks is still seen
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _what(what: Reading) -> Text:
    return Text(WHAT[what])


def too_many_rows(what: Reading) -> FileTooLarge:
    return FileTooLarge(Text.of("file.limit.rows", what=_what(what), limit=MAX_ROWS), MAX_FILE_BYTES)


def too_wide(what: Reading, line: int, width: int) -> FileTooLarge:
    return FileTooLarge(
        Text.of("file.limit.columns", what=_what(what), line=line, width=width, limit=MAX_COLUMNS), MAX_FILE_BYTES
    )


def too_many_cells(what: Reading) -> FileTooLarge:
    return FileTooLarge(Text.of("file.limit.cells", what=_what(what), limit=MAX_CELLS), MAX_FILE_BYTES)


def too_much_text(what: Reading) -> FileTooLarge:
    return FileTooLarge(Text.of("file.limit.text", what=_what(what), size=mb(MAX_TEXT_BYTES)), MAX_FILE_BYTES)


def too_slow(what: Reading, seconds: float) -> FileTooLarge:
    return FileTooLarge(Text.of("file.limit.seconds", what=_what(what), seconds=round(seconds)), MAX_FILE_BYTES)


@dataclass(slots=True)
class Budget:
    """Rows, cells and time left while one file is read; raises the refusal as soon as one runs out."""

    what: Reading
    max_seconds: float = MAX_READ_SECONDS
    rows: int = 0
    cells: int = 0
    text_bytes: int = 0
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.monotonic()

    def row(self, width: int, used_width: int, line: int, texts: Sequence[str] = ()) -> None:
        """Count one row of `width` cells read, of which the first `used_width` hold something, with the text of
        its cells (given where the text can be larger than the file: a workbook's shared strings)."""
        self.rows += 1
        self.cells += width
        self.text_bytes += sum(len(text) if text.isascii() else len(text.encode()) for text in texts)
        if self.text_bytes > MAX_TEXT_BYTES:
            raise too_much_text(self.what)
        if self.rows > MAX_ROWS + 20:  # a few lines above the header and below the last row are not records
            raise too_many_rows(self.what)
        if used_width > MAX_COLUMNS:
            raise too_wide(self.what, line, used_width)
        if self.cells > MAX_CELLS:
            raise too_many_cells(self.what)
        if self.rows % 1_000 == 0:
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() - self.started > self.max_seconds:
            raise too_slow(self.what, self.max_seconds)


def check_workbook_archive(data: bytes, budget: Budget) -> None:
    """Refuse a workbook whose parts unpack past the limits, before openpyxl reads it.

    Declared sizes are checked first (cheap), then every part is inflated chunk by chunk and its real size counted,
    so a part that lies about its size is caught too; nothing inflated is kept.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_a_workbook() from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise WrongFileType(Text.of("file.zip_members", count=len(members)))
        if sum(member.file_size for member in members) > MAX_UNZIPPED_BYTES:
            raise _unpacks_too_large()
        unpacked = 0
        for member in members:
            unpacked = _inflate(archive, member, unpacked, budget)


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, unpacked: int, budget: Budget) -> int:
    """Inflate one part, counting its size, shared strings and DTDs. Every part is checked, whatever its name: the
    workbook's relationships, not the names, say which part openpyxl reads as a sheet or as the string table."""
    strings = 0
    tail = b""
    try:
        with archive.open(member) as part:
            while chunk := part.read(_CHUNK):
                unpacked += len(chunk)
                if unpacked > MAX_UNZIPPED_BYTES:
                    raise _unpacks_too_large()
                window = tail + chunk
                if _DTD.search(window):
                    raise WrongFileType(Text.of("file.workbook_dtd"))
                # Matches wholly inside the overlap were counted with the previous chunk.
                strings += sum(1 for m in _SHARED_STRING.finditer(window) if m.end() > len(tail))
                if strings > MAX_SHARED_STRINGS:
                    raise too_many_cells(budget.what)
                tail = window[-_OVERLAP:]
                budget.check_time()
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _not_a_workbook() from exc
    return unpacked


def _unpacks_too_large() -> FileTooLarge:
    return FileTooLarge(Text.of("file.workbook_unpacks", size=mb(MAX_UNZIPPED_BYTES)), MAX_FILE_BYTES)


def _not_a_workbook() -> WrongFileType:
    return WrongFileType(Text.of("file.zip_not_workbook"))
