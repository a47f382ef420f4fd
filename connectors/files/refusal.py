"""What to say about a file whose header Tallybot does not know: which exchange it looks like, which of that
exchange's exports to download instead, and the header as the user sees it in a spreadsheet (never a line such
as "UID: …" written above it, never invisible byte-order marks)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from i18n import Bullets, Text, msgid

# Characters a spreadsheet does not show: byte-order marks, zero-width spaces and joiners.
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")
# A preamble cell: "UID: 567248024", "Company Name: ", "Time Zone:UTC+8", "Account Type:Main".
_LABELLED = re.compile(r"^[A-Za-z][\w ]{0,30}:")

# Column titles and words only MEXC's exports write (BittyTax's MEXC layouts, futures included).
MEXC_WORDS = ("mexc", "executed amount", "request amount", "settlement amount", "credited successfully", "closing pnl")
# Words only HTX's exports (or their names) write: its old name, and its Chinese trade file's spot trade type.
HTX_WORDS = ("htx", "huobi", "火币", "币币交易")
# Gate's account book (the one Gate layout a source names, BittyTax's `gateio.py`) and BigONE (none found): files
# Tallybot cannot read yet, recognised so the refusal says so.
GATE_WORDS = ("gate.io", "gateio", "action_desc", "action_data", "change_amount")
BIGONE_WORDS = ("bigone",)
# Words that give an export's exchange away: in the file name, the lines above the header, or the header.
EXCHANGE_SIGN_WORDS: dict[str, tuple[str, ...]] = {
    "Binance": ("binance", "user_id", "operation", "executed", "txid"),
    "Bybit": ("bybit", "assetchangedetails", "company name", "spot pairs", "contract", "fee paid", "cash flow"),
    "OKX": ("okx", "okex", "account type", "trade type", "balance unit", "bill"),
    "Bitget": ("bitget", "trading pair", "creation time"),
    "Kraken": ("kraken", "refid", "ordertxid", "aclass", "ledgers.csv", "trades.csv"),
    "Coinbase": ("coinbase", "transacted", "subtotal", "spread"),
    "KuCoin": ("kucoin", "tradecreatedat", "feecurrency", "dealvalue", "mainaccount", "tradeaccount", "remark"),
    "MEXC": MEXC_WORDS,
    "HTX": HTX_WORDS,
    "Gate": GATE_WORDS,
    "BigONE": BIGONE_WORDS,
}
# What to download instead, by exchange: a whole sentence each (catalogue ids), so no grammar is built here.
INSTEAD: dict[str, str] = {
    "Binance": msgid("file.unknown.looks_like_binance"),
    "Bybit": msgid("file.unknown.looks_like_bybit"),
    "OKX": msgid("file.unknown.looks_like_okx"),
    "Bitget": msgid("file.unknown.looks_like_bitget"),
    "Kraken": msgid("file.unknown.looks_like_kraken"),
    "Coinbase": msgid("file.unknown.looks_like_coinbase"),
    "KuCoin": msgid("file.unknown.looks_like_kucoin"),
    "MEXC": msgid("file.unknown.looks_like_mexc"),
    "HTX": msgid("file.unknown.looks_like_htx"),
    "Gate": msgid("file.unknown.looks_like_gate"),
    "BigONE": msgid("file.unknown.looks_like_bigone"),
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
    # Ties go to the exchange the text names ("BigONE trades.csv" is not Kraken's trades.csv).
    scores = {
        name: (sum(sign in text for sign in signs), name.lower() in text) for name, signs in EXCHANGE_SIGN_WORDS.items()
    }
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best][0] else None


def unknown_file_text(filename: str, rows: Sequence[Sequence[str]], known: Bullets) -> Text:
    """The message for a file none of whose first rows is a header Tallybot knows."""
    header = header_guess(rows)
    shown = ", ".join(header[:8])
    start = Text.of("file.unknown.starts_with", header=shown[:120]) if shown else Text.of("file.unknown.no_header")
    exchange = exchange_guess(filename, rows)
    if exchange is None:
        return Text.of("file.unknown", start=start, formats=known)
    return Text.of("file.unknown.exchange", start=start, looks_like=Text(INSTEAD[exchange]), formats=known)
