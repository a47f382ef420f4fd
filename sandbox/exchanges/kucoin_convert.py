"""``GET /api/v1/convert/order/history``: KuCoin's convert (market) orders of one scripted account.

Rules (docs/exchange-apis/kucoin.md, "converts"): ``startAt``/``endAt`` in ms on ``orderTime``, ``status`` OPEN,
SUCCESS or FAIL, ``page`` and ``pageSize`` (20 to 100); the answer is the ``currentPage``, ``pageSize``, ``totalNum``,
``totalPage``, ``items`` envelope; rows ``clientOrderId``, ``orderId`` (a number), ``price``, ``fromCurrency``,
``toCurrency``, ``fromCurrencySize``, ``toCurrencySize``, ``accountType``, ``orderTime`` (ms), ``status``. No range
limit and no default range are documented, so none is enforced; the default page size (20, the size the example
answer carries), the newest-first order and the account type (TRADING) are unsourced. A test may set an order's
status (`statuses`) to show one still OPEN or one that FAILed.
"""

from __future__ import annotations

from sandbox.exchanges.kucoin_book import Json, KucoinBook, int_param, invalid, page_of
from sandbox.exchanges.protocol import Call
from sandbox.exchanges.records import ConvertRecord, plain

CONVERT_PAGE_MIN, CONVERT_PAGE_MAX, CONVERT_PAGE_DEFAULT = 20, 100, 20  # "pageSize: … (20-100)"
STATUSES = frozenset({"OPEN", "SUCCESS", "FAIL"})


class ConvertHistory:
    """Serves the convert order history of the book's account."""

    def __init__(self, book: KucoinBook) -> None:
        self.book = book
        self.statuses: dict[str, str] = {}  # convert id -> OPEN or FAIL (every other order is SUCCESS)

    def status(self, c: ConvertRecord) -> str:
        return self.statuses.get(c.id, "SUCCESS")

    def history(self, call: Call) -> Json:
        p = call.params
        size = int_param(p, "pageSize")
        size = CONVERT_PAGE_DEFAULT if size is None else size
        if not CONVERT_PAGE_MIN <= size <= CONVERT_PAGE_MAX:
            raise invalid("pageSize")
        status = p.get("status") or None
        if status is not None and status not in STATUSES:
            raise invalid("status")
        chosen = [c for c in self.book.account.converts if status in (None, self.status(c))]
        # page_of reads the classic lists' names; this list calls its page number `page`.
        classic = {**p, "currentPage": p.get("page", ""), "pageSize": str(size)}
        paged = page_of(chosen, lambda c: c.timestamp, classic, end_inclusive=self.book.end_inclusive)
        return paged.envelope(self._row)

    def _row(self, c: ConvertRecord) -> Json:
        return {
            "clientOrderId": c.quote_id[:20],
            "orderId": int(c.id),
            "price": plain(c.ratio),
            "fromCurrency": c.from_asset,
            "toCurrency": c.to_asset,
            "fromCurrencySize": plain(c.from_amount),
            "toCurrencySize": plain(c.to_amount),
            "accountType": "TRADING",
            "orderTime": c.timestamp,
            "status": self.status(c),
        }
