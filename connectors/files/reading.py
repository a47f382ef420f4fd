"""Bytes to rows of text: CSV (UTF-8, UTF-8 with BOM, UTF-16) and XLSX, with the limits that keep a bot safe.

Every cell becomes a string, so formats parse amounts the same way whatever the container:

- CSV cells stay exactly as written.
- XLSX cells as connectors/files/workbook.py writes them (in a worker process under hard limits, isolated.py).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from pathlib import PurePath

from connectors.files.errors import BrokenEncoding, EmptyFile, FileTooLarge, WrongFileType
from connectors.files.isolated import read_workbook_isolated
from connectors.files.limits import (
    MAX_FILE_BYTES,
    MAX_READ_SECONDS,
    MAX_ROWS,
    Budget,
    Reading,
)
from connectors.files.workbook import Sheet, read_workbook, trimmed
from i18n import Text, msgid, t, tn
from i18n.catalogue import SOURCE_LOCALE

__all__ = ["MAX_FILE_BYTES", "MAX_ROWS", "Sheet", "decode_text", "read_sheets", "size_limit_text"]
# File-name endings matched to tell a text file from a workbook.
CSV_SUFFIX_WORDS = frozenset({".csv", ".txt", ".tsv", ""})
XLSX_SUFFIX_WORDS = frozenset({".xlsx", ".xlsm"})
DELIMITERS = (",", ";", "\t", "|")

# Magic numbers of files people send by mistake.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", msgid("file.kind.pdf")),
    (b"\x89PNG", msgid("file.kind.png")),
    (b"\xff\xd8\xff", msgid("file.kind.jpeg")),
    (b"GIF8", msgid("file.kind.gif")),
    (b"\x1f\x8b", msgid("file.kind.gzip")),
    (b"Rar!", msgid("file.kind.rar")),
    (b"7z\xbc\xaf", msgid("file.kind.7z")),
    (b"\xd0\xcf\x11\xe0", msgid("file.kind.xls")),
)


def size_limit_text(size: int, locale: str = SOURCE_LOCALE) -> str:
    """ "20 MB", "1.5 MB", "300 KB", "100 bytes" (units.po)."""
    mega = 1024 * 1024
    if size >= mega:
        if size % mega == 0:
            return t("unit.size.megabytes_whole", locale=locale, megabytes=size / mega)
        return t("unit.size.megabytes", locale=locale, megabytes=size / mega)
    if size >= 1024:
        return t("unit.size.kilobytes", locale=locale, kilobytes=size / 1024)
    return tn("unit.size.bytes", size, locale=locale)


def too_large(size: int, limit: int) -> Text:
    """The refusal of a file larger than `limit` bytes."""
    return Text.of("file.too_large", size=size_limit_text(size), limit=size_limit_text(limit))


def read_sheets(
    filename: str,
    data: bytes,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_seconds: float = MAX_READ_SECONDS,
    isolated: bool = False,
) -> list[Sheet]:
    """Every sheet of the file with content (one for a CSV); raises a FileProblem for files it cannot read, or
    past the limits in connectors/files/limits.py (rows, columns, cells, unpacked size, seconds).

    `isolated` reads a workbook in a child process with hard memory and CPU limits (connectors/files/isolated.py),
    as the bot does with uploads."""
    if len(data) > max_bytes:
        raise FileTooLarge(too_large(len(data), max_bytes), max_bytes)
    if not data.strip():
        raise EmptyFile(Text.of("file.empty"))
    suffix = PurePath(filename or "").suffix.lower()
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise WrongFileType(Text.of("file.wrong_type", what=Text(what)))
    if data.startswith(b"PK\x03\x04"):
        if isolated:
            return read_workbook_isolated(data, max_seconds)
        return read_workbook(data, max_seconds)
    if suffix in XLSX_SUFFIX_WORDS:
        raise WrongFileType(Text.of("file.bad_xlsx", name=filename))
    if suffix not in CSV_SUFFIX_WORDS:
        raise WrongFileType(Text.of("file.not_csv_or_xlsx", name=filename))
    text, encoding = decode_text(data)
    rows = _csv_rows(text, Budget(Reading.FILE, max_seconds))
    if not rows:
        raise EmptyFile(Text.of("file.no_rows"))
    return [Sheet(rows, encoding)]


def decode_text(data: bytes) -> tuple[str, str]:
    """Text of a CSV in UTF-8 (with or without BOM) or UTF-16; anything else is refused with a clear message."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8"]
        head = data[:4096]
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        if head.count(0) > len(head) // 4:
            candidates = ["utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, encoding
    raise BrokenEncoding(Text.of("file.broken_encoding"))


def _delimiter(text: str) -> str:
    """The separator used in the first lines: exchanges write commas, European spreadsheets semicolons."""
    # Only the start is split into lines: splitting 20 MB of text would copy all of it.
    lines = [line for line in text[:65_536].splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    counts = {d: max(line.count(d) for line in lines) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings, one at a time: what io.StringIO(text, newline="") gives csv, without
    the copy of the whole text StringIO keeps (four bytes a character)."""
    for line in _LINE.finditer(text):
        yield line.group()


def _csv_rows(text: str, budget: Budget) -> list[list[str]]:
    reader = csv.reader(_lines(text), delimiter=_delimiter(text))
    rows: list[list[str]] = []
    try:
        for row in reader:
            used = len(row)
            while used and not row[used - 1].strip():  # spreadsheets pad lines with empty cells
                used -= 1
            budget.row(len(row), used, reader.line_num)
            rows.append(row)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise FileTooLarge(
                Text.of("file.cell_too_long", line=reader.line_num, limit=csv.field_size_limit()), MAX_FILE_BYTES
            ) from exc
        raise WrongFileType(Text.of("file.bad_csv", line=reader.line_num, error=str(exc))) from exc
    return trimmed(rows)
