"""What can be wrong with an uploaded file. Every message is written for the person who sent it.

Messages are catalogue texts (`i18n.Text`: an id and its arguments), rendered where the user reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from i18n import Text, render


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row of a recognised file that could not be read: 1-based line (spreadsheet row), column, why."""

    line: int
    column: str
    reason: Text

    @property
    def text(self) -> Text:
        """The whole line for the user: where, and why."""
        if self.column:
            return Text.of("file.rejected_row.column", line=self.line, column=self.column, reason=self.reason)
        return Text.of("file.rejected_row", line=self.line, reason=self.reason)

    def __str__(self) -> str:
        return render(self.text)


def message_as_json(message: Text) -> object:
    """A message as JSON values, for the worker process that reads workbooks (connectors/files/isolated.py)."""
    return {"id": message.id, "args": {name: _arg_as_json(value) for name, value in message.args.items()}}


def message_from_json(value: object) -> Text:
    if not isinstance(value, dict):
        raise TypeError(f"not a message as message_as_json writes one: {type(value).__name__}")
    args = value.get("args", {})
    return Text(str(value["id"]), {name: _arg_from_json(arg) for name, arg in args.items()})


def _arg_as_json(value: object) -> object:
    return {"text": message_as_json(value)} if isinstance(value, Text) else value


def _arg_from_json(value: object) -> object:
    return message_from_json(value["text"]) if isinstance(value, dict) and "text" in value else value


class RowError(ValueError):
    """Raised by a format's row reader; becomes a RejectedRow with the line number added."""

    def __init__(self, column: str, reason: Text) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"{column}: {render(reason)}")


class FileProblem(Exception):
    """A file Tallybot will not import. Nothing was written; `text` is the message for the user (`str(error)` its
    English)."""

    def __init__(self, message: Text) -> None:
        self.text = message
        super().__init__(render(message))


class WrongFileType(FileProblem):
    pass


class EmptyFile(FileProblem):
    pass


class FileTooLarge(FileProblem):
    def __init__(self, message: Text, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        super().__init__(message)


class BrokenEncoding(FileProblem):
    pass


class UnknownFormat(FileProblem):
    """No header row of a known export; `known` lists the titles of the formats Tallybot reads."""

    def __init__(self, message: Text, known: Sequence[str]) -> None:
        self.known = tuple(known)
        super().__init__(message)


class AmbiguousFormat(FileProblem):
    """The header fits several formats (Binance writes deposits and withdrawals with the same columns).

    Ask the user which one it is and call again with `format_name` set to one of `candidates` (format names).
    """

    def __init__(self, message: Text, candidates: Sequence[str]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message)


class WrongExchange(FileProblem):
    """An export of one exchange uploaded to an account of another."""

    def __init__(self, message: Text, file_exchange: str, account_exchange: str) -> None:
        self.file_exchange = file_exchange
        self.account_exchange = account_exchange
        super().__init__(message)


class BadTimezone(FileProblem):
    pass
