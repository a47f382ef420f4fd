"""File uploads: exchange exports (CSV, XLSX) and Tallybot's own CSV read into normalized records.

Layouts and their sources are listed in docs/FILE-FORMATS.md. `parse` is synchronous CPU work: run it in a worker
thread (the ImportService does).
"""

from connectors.files.codes import currency_codes
from connectors.files.errors import (
    AmbiguousFormat,
    BadTimezone,
    BrokenEncoding,
    EmptyFile,
    FileProblem,
    FileTooLarge,
    RejectedRow,
    UnknownFormat,
    WrongExchange,
    WrongFileType,
)
from connectors.files.formats import FileFormat, ParsedRecord
from connectors.files.limits import MAX_FILE_BYTES, MAX_ROWS
from connectors.files.matching import StoredRecords, content_key
from connectors.files.parse import FORMATS, ParsedFile, Progress, format_named, known_formats_text, parse
from connectors.files.reading import size_limit_text
from connectors.files.tallybot import COLUMNS as TALLYBOT_COLUMNS
from connectors.files.tallybot import template_csv

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "TALLYBOT_COLUMNS",
    "AmbiguousFormat",
    "BadTimezone",
    "BrokenEncoding",
    "EmptyFile",
    "FileFormat",
    "FileProblem",
    "FileTooLarge",
    "ParsedFile",
    "ParsedRecord",
    "Progress",
    "RejectedRow",
    "StoredRecords",
    "UnknownFormat",
    "WrongExchange",
    "WrongFileType",
    "content_key",
    "currency_codes",
    "format_named",
    "known_formats_text",
    "parse",
    "size_limit_text",
    "template_csv",
]
