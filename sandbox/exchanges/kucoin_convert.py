"""KuCoin's convert orders of one scripted account: ``GET /api/v1/convert/order/history`` (market orders) and
``GET /api/v1/convert/limit/orders`` (limit orders).

Rules (docs/exchange-apis/kucoin.md, "converts"): ``startAt``/``endAt`` in ms on ``orderTime``, ``status`` (market:
OPEN, SUCCESS, FAIL; limit: also CANCELLED), ``page`` and ``pageSize`` (20 to 100); the answer is the ``currentPage``,
``pageSize``, ``totalNum``, ``totalPage``, ``items`` envelope. Market rows: ``clientOrderId``, ``orderId`` (a number),
``price``, ``fromCurrency``, ``toCurrency``, ``fromCurrencySize``, ``toCurrencySize``, ``accountType``, ``orderTime``
(ms), ``status``; limit rows add ``expiryTime``, ``cancelTime``, ``filledTime``, ``cancelType`` (``orderId`` a
string). No range limit and no default range are documented, so none is enforced; the default page size (20, the
size the example answer carries), the newest-first order, the account type (TRADING), which field the range reads
on the limit list (``orderTime`` here) and which scripted converts are limit orders (every third, placed an hour
before it filled) are unsourced. A test may set an order's status (`statuses`) to show one still OPEN or one that
FAILed (or, a limit one, was CANCELLED).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sandbox.exchanges.kucoin_book import Json, KucoinBook, int_param, invalid, page_of
from sandbox.exchanges.protocol import Call
from sandbox.exchanges.records import ConvertRecord, plain

CONVERT_PAGE_MIN, CONVERT_PAGE_MAX, CONVERT_PAGE_DEFAULT = 20, 100, 20  # "pageSize: … (20-100)"
STATUSES = frozenset({"OPEN", "SUCCESS", "FAIL"})
LIMIT_STATUSES = STATUSES | {"CANCELLED"}
LIMIT_EVERY = 3  # every third scripted convert (index 2, 5, 8, …) is a limit order
LIMIT_WAIT_MS = 3_600_000  # a scripted limit order fills an hour after it was placed
LIMIT_LIFE_MS = 7 * 86_400_000  # and would have expired a week after it


class ConvertHistory:
    """Serves the market and limit convert orders of the book's account."""

    def __init__(self, book: KucoinBook) -> None:
        self.book = book
        self.statuses: dict[str, str] = {}  # convert id -> OPEN, FAIL or CANCELLED (every other order is SUCCESS)

    def status(self, c: ConvertRecord) -> str:
        return self.statuses.get(c.id, "SUCCESS")

    def market_orders(self) -> list[ConvertRecord]:
        return [c for n, c in enumerate(self.book.account.converts) if n % LIMIT_EVERY != LIMIT_EVERY - 1]

    def limit_orders_scripted(self) -> list[ConvertRecord]:
        return [c for n, c in enumerate(self.book.account.converts) if n % LIMIT_EVERY == LIMIT_EVERY - 1]

    def history(self, call: Call) -> Json:
        """GET /api/v1/convert/order/history: the market orders."""
        return self._page(call, self.market_orders(), STATUSES, lambda c: c.timestamp, self._row)

    def limit_orders(self, call: Call) -> Json:
        """GET /api/v1/convert/limit/orders: the limit orders, ranged on the time each was placed."""
        p = call.params
        chosen = [
            c
            for c in self.limit_orders_scripted()
            if p.get("fromCurrency") in (None, "", c.from_asset) and p.get("toCurrency") in (None, "", c.to_asset)
        ]
        return self._page(call, chosen, LIMIT_STATUSES, lambda c: c.timestamp - LIMIT_WAIT_MS, self._limit_row)

    def _page(
        self,
        call: Call,
        orders: Sequence[ConvertRecord],
        statuses: frozenset[str],
        when: Callable[[ConvertRecord], int],
        render: Callable[[ConvertRecord], Json],
    ) -> Json:
        p = call.params
        size = int_param(p, "pageSize")
        size = CONVERT_PAGE_DEFAULT if size is None else size
        if not CONVERT_PAGE_MIN <= size <= CONVERT_PAGE_MAX:
            raise invalid("pageSize")
        status = p.get("status") or None
        if status is not None and status not in statuses:
            raise invalid("status")
        chosen = [c for c in orders if status in (None, self.status(c))]
        # page_of reads the classic lists' names; these lists call their page number `page`.
        classic = {**p, "currentPage": p.get("page", ""), "pageSize": str(size)}
        return page_of(chosen, when, classic, end_inclusive=self.book.end_inclusive).envelope(render)

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

    def _limit_row(self, c: ConvertRecord) -> Json:
        status = self.status(c)
        placed = c.timestamp - LIMIT_WAIT_MS
        return {
            "orderId": c.id,
            "clientOrderId": c.quote_id[:20],
            "status": status,
            "fromCurrency": c.from_asset,
            "toCurrency": c.to_asset,
            "fromCurrencySize": plain(c.from_amount),
            "toCurrencySize": plain(c.to_amount),
            "accountType": "TRADING",
            "price": plain(c.ratio),
            "orderTime": placed,
            "expiryTime": placed + LIMIT_LIFE_MS,
            "cancelTime": c.timestamp if status == "CANCELLED" else None,
            "filledTime": c.timestamp if status == "SUCCESS" else None,
            "cancelType": 1 if status == "CANCELLED" else None,
        }
