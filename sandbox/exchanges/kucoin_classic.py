"""``GET /api/v1/fills``: the spot fills of KuCoin's classic trade account, before it was upgraded to the
high-frequency (HF) account whose fills ``/api/v1/hf/fills`` lists (docs/exchange-apis/kucoin.md, "classic fills").

Rules from the Get Filled List page and the classic docs' "List Fills": ``symbol`` optional (every market without
it), ``side``, ``orderId`` (the other conditions ignored), ``tradeType`` TRADE by default; ``startAt``/``endAt`` at
most 7 × 24 h apart, only ``startAt`` meaning up to a week after it, only ``endAt`` a week before it, neither the last
day; paged by ``currentPage``/``pageSize`` (10 to 500), newest first, in the ``currentPage``, ``pageSize``,
``totalNum``, ``totalPage``, ``items`` envelope; ``tradeId`` a 24-hex-digit string. The answer to a range over a week
is unsourced (the page: "the system will prompt to remind you"): the emulator answers 400100.
"""

from __future__ import annotations

from sandbox.exchanges.kucoin_book import Json, KucoinBook, KucoinError, int_param, page_of
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import TradeRecord

DAY_MS = 86_400_000
MAX_RANGE_MS = 7 * DAY_MS  # "up to one week … exceeded 7*24 hours"
DEFAULT_RANGE_MS = DAY_MS  # "start from the last day by default"


def classic_trade_id(trade: TradeRecord) -> str:
    """A classic fill's tradeId: 24 hex digits, as in the page's example ``5c35c02709e4f67d5266954e``."""
    return f"{0x5C35C02709E4F67D00000000 + int(trade.id):024x}"


def classic_fills(book: KucoinBook, call: Call) -> Json:
    p = call.params
    if (p.get("tradeType") or "TRADE") != "TRADE":
        raise NotEmulated("margin fills are not emulated")
    trades = [t for t in book.account.trades if not book.on_hf(t)]
    order_id = p.get("orderId")
    if order_id:  # "If you specify orderId, ignore other conditions"
        chosen = [t for t in trades if t.order_id == order_id]
        return page_of(chosen, lambda t: t.timestamp, {"pageSize": p.get("pageSize", "")}).envelope(
            lambda t: _row(book, t)
        )
    start, end = int_param(p, "startAt"), int_param(p, "endAt")
    if start is None and end is None:
        end = call.now_ms
        start = end - DEFAULT_RANGE_MS
    elif end is None:
        end = (start or 0) + MAX_RANGE_MS
    elif start is None:
        start = end - MAX_RANGE_MS
    if end - (start or 0) > MAX_RANGE_MS:
        raise KucoinError("400100", "Parameter Error: the time range exceeds 7 days")
    symbol, side = p.get("symbol"), p.get("side")
    chosen = [t for t in trades if (not symbol or t.symbol == symbol) and (not side or t.side == side)]
    ranged = {**p, "startAt": str(start), "endAt": str(end)}
    page = page_of(chosen, lambda t: t.timestamp, ranged, end_inclusive=book.end_inclusive)
    return page.envelope(lambda t: _row(book, t))


def _row(book: KucoinBook, trade: TradeRecord) -> Json:
    """The HF row's fields less its own `id`, which classic fills do not have (the page's response example)."""
    row = book.fill_row(trade)
    del row["id"]
    row["tradeId"] = classic_trade_id(trade)
    return row
