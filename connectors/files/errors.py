"""What can be wrong with an uploaded file. Every message is written for the person who sent it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row of a recognised file that could not be read: 1-based line (spreadsheet row), column, why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column “{self.column}”" if self.column else "")
        return f"{where}: {self.reason}"


class RowError(ValueError):
    """Raised by a format's row reader; becomes a RejectedRow with the line number added."""

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"{column}: {reason}")


class FileProblem(Exception):
    """A file Tallybot will not import. Nothing was written; `str(error)` is the message for the user."""


class WrongFileType(FileProblem):
    pass


class EmptyFile(FileProblem):
    pass


class FileTooLarge(FileProblem):
    def __init__(self, message: str, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        super().__init__(message)


class BrokenEncoding(FileProblem):
    pass


class UnknownFormat(FileProblem):
    """No header row of a known export; `known` lists the titles of the formats Tallybot reads."""

    def __init__(self, message: str, known: Sequence[str]) -> None:
        self.known = tuple(known)
        super().__init__(message)


class AmbiguousFormat(FileProblem):
    """The header fits several formats (Binance writes deposits and withdrawals with the same columns).

    Ask the user which one it is and call again with `format_name` set to one of `candidates` (format names).
    """

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message)


class WrongExchange(FileProblem):
    """An export of one exchange uploaded to an account of another."""

    def __init__(self, message: str, file_exchange: str, account_exchange: str) -> None:
        self.file_exchange = file_exchange
        self.account_exchange = account_exchange
        super().__init__(message)


class BadTimezone(FileProblem):
    pass
