"""What to say about a file whose header Tallybot does not know: which exchange it looks like, which of that
exchange's exports to download instead, and the header as the user sees it in a spreadsheet (never a line such
as "UID: …" written above it, never invisible byte-order marks)."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Characters a spreadsheet does not show: byte-order marks, zero-width spaces and joiners.
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")
# A preamble cell: "UID: 567248024", "Company Name: ", "Time Zone:UTC+8", "Account Type:Main".
_LABELLED = re.compile(r"^[A-Za-z][\w ]{0,30}:")

# Words that give an export's exchange away: in the file name, the lines above the header, or the header.
EXCHANGE_SIGNS: dict[str, tuple[str, ...]] = {
    "Binance": ("binance", "user_id", "operation", "executed", "txid"),
    "Bybit": ("bybit", "assetchangedetails", "company name", "spot pairs", "contract", "fee paid", "cash flow"),
    "OKX": ("okx", "okex", "account type", "trade type", "balance unit", "bill"),
    "Bitget": ("bitget", "trading pair", "creation time"),
}
INSTEAD: dict[str, str] = {
    "Binance": (
        "the Transaction History statement (it lists every balance change: trades, converts, deposits, withdrawals, "
        "rewards), or the spot trade history and the deposit and withdrawal histories"
    ),
    "Bybit": (
        "the Account Change Details of the unified trading account and the Asset Change Details of the funding "
        "account (both from Bybit's data export), or the spot trade history"
    ),
    "OKX": "the trading account history and the funding account history",
    "Bitget": "the spot trade history and the spot financial record",
}


def visible(text: str) -> str:
    return _INVISIBLE.sub("", text).strip().strip('"').strip()


def header_guess(rows: Sequence[Sequence[str]]) -> list[str]:
    """The first row that looks like column titles: two or more cells, not a "Label: value" preamble line."""
    for row in rows:
        cells = [visible(cell) for cell in row]
        filled = [cell for cell in cells if cell]
        if len(filled) >= 2 and not any(_LABELLED.match(cell) for cell in filled):
            return filled
    return []


def exchange_guess(filename: str, rows: Sequence[Sequence[str]]) -> str | None:
    text = " ".join([filename, *(" ".join(row) for row in rows)]).lower()
    text = _INVISIBLE.sub("", text)
    scores = {name: sum(sign in text for sign in signs) for name, signs in EXCHANGE_SIGNS.items()}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] else None


def unknown_file_text(filename: str, rows: Sequence[Sequence[str]], known: str) -> str:
    """The message for a file none of whose first rows is a header Tallybot knows."""
    header = header_guess(rows)
    shown = ", ".join(header[:8])
    exchange = exchange_guess(filename, rows)
    lines = ["I don't recognise this file: none of its first rows is the header of an export I know"]
    lines[0] += f" (it starts with “{shown[:120]}”)." if shown else "."
    if exchange is not None:
        article = "an" if exchange[0] in "AEIOU" else "a"  # "an OKX export"
        lines.append(
            f"\nIt looks like {article} {exchange} export, but not one I can read. From {exchange}, download "
            f"{INSTEAD[exchange]}, and send that."
        )
    lines.append("\nI can read:\n" + known + "\n\nOr fill in Tallybot's template (/upload template).")
    return "\n".join(lines)
