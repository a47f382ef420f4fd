"""Rows of an XLSX workbook as text, and the `Sheet` every reader of a file's rows shares.

Text cells stay as written; numeric cells (Excel keeps IEEE doubles, 15 significant digits) are written with
Python's shortest round-trip repr, which is the number Excel shows at full precision; date cells become
"YYYY-MM-DD HH:MM:SS[.ffffff]" in the zone the spreadsheet was written in (a format decides which that is).

Its own module so that both the bot's reader (reading.py) and the worker process that reads a workbook under hard
limits (isolated.py) use it without importing each other.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from connectors.files.errors import EmptyFile, WrongFileType
from connectors.files.limits import MAX_READ_SECONDS, Budget, Reading, check_workbook_archive
from i18n import Text


@dataclass(frozen=True, slots=True)
class Sheet:
    """The rows of a file as text (the first sheet with content, for a workbook)."""

    rows: list[list[str]]
    encoding: str | None = None  # CSV only: the encoding it was read with


def trimmed(rows: list[list[str]]) -> list[list[str]]:
    """Drop trailing empty rows; keep the others (their line numbers are what the user sees)."""
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return rows


def read_workbook(data: bytes, max_seconds: float = MAX_READ_SECONDS) -> list[Sheet]:
    """The sheets of an XLSX workbook, read within the limits (see connectors/files/limits.py)."""
    budget = Budget(Reading.WORKBOOK, max_seconds)
    check_workbook_archive(data, budget)
    # openpyxl is imported here so that CSV imports (and the bot's start-up) never pay for it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise WrongFileType(Text.of("file.zip_not_workbook")) from exc
    sheets: list[Sheet] = []
    try:
        for worksheet in workbook.worksheets:
            # The sheet's declared <dimension> would make openpyxl pad every row to its width (A1:XFD… is 16,384
            # cells a row): rows are read as wide as their own cells instead.
            reset = getattr(worksheet, "reset_dimensions", None)
            if reset is not None:
                reset()
            rows: list[list[str]] = []
            for line, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                used = len(values)
                while used and values[used - 1] is None:
                    used -= 1
                texts = [_cell_text(value) for value in values[:used]]
                budget.row(len(values), used, line, texts)
                rows.append(texts)
            rows = trimmed(rows)
            if rows:
                sheets.append(Sheet(rows))
    except (zipfile.BadZipFile, EOFError) as exc:
        raise WrongFileType(Text.of("file.workbook_damaged")) from exc
    finally:
        workbook.close()
    if not sheets:
        raise EmptyFile(Text.of("file.workbook_no_rows"))
    return sheets


def _cell_text(value: Any) -> str:
    formatters: dict[type, Callable[[Any], str]] = {
        bool: lambda v: "TRUE" if v else "FALSE",
        int: str,
        float: _float_text,
        Decimal: lambda v: format(v, "f"),
        datetime: lambda v: v.isoformat(sep=" "),
        date: lambda v: v.isoformat() + " 00:00:00",
        time: lambda v: v.isoformat(),
    }
    if value is None:
        return ""
    formatter = formatters.get(type(value))
    return formatter(value) if formatter is not None else str(value)


def _float_text(value: float) -> str:
    """The shortest text that reads back as this double, without an exponent (1e-08 → 0.00000001)."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return format(Decimal(repr(value)), "f")
