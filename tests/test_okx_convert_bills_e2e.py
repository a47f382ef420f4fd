"""OKX converts that both convert history and the funding bills (types 272/273) hold are stored once (review finding
3). Both lists are OKX Convert (闪兑: "[闪兑] 买入/卖出数字货币/法币" and "获取闪兑交易历史"); no page says whether they
overlap. The reader stored each bill as a convert leg besides convert history's trade, so a trade both lists hold
counted twice, and the emulator, which served converts only in one list or the other, could not show it. Now a bill
paired with a listed trade (same currency, same signed amount, within a minute) stores that trade's own record, and a
bill paired with none stays a leg: nothing is lost, nothing counted twice.

Expected values by hand from the documented convert (Get convert history's Response Example, updated 2026-07-06:
0.01023052 ETH bought for 30 USDT at 2932.401044, ts 1646188520000) and bills written beside it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.context import SERVICES_KEY
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.okx.convert_bills import ConvertBills
from connectors.fetchers.okx.rows import RowReader
from connectors.profiles import Endpoint
from connectors.records import RecordKind
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import OkxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.connectors.test_fetch_okx import okx_client
from tests.test_okx_derivatives_e2e import FAST, _walk
from tests.test_reconcile_e2e import RECENT, connect

D = Decimal
DOCUMENTED_CONVERT = {
    "clTReqId": "",
    "instId": "ETH-USDT",
    "side": "buy",
    "fillPx": "2932.401044",
    "baseCcy": "ETH",
    "quoteCcy": "USDT",
    "fillBaseSz": "0.01023052",
    "state": "fullyFilled",
    "tradeId": "trader16461885203381437",
    "fillQuoteSz": "30",
    "ts": "1646188520000",
}
TS = 1646188520000
HISTORY = "/api/v5/asset/convert/history"


def _bill(bill_id: str, ccy: str, change: str, bill_type: str, ts: int) -> dict[str, str]:
    # Asset bills details' fields: billId, ccy, clientId, balChg, bal, type, ts, notes.
    return {
        "billId": bill_id,
        "ccy": ccy,
        "clientId": "",
        "balChg": change,
        "bal": "0",
        "type": bill_type,
        "ts": str(ts),
    }


class _History:
    """Answers Get convert history with the documented trade, newest first below `after`; notes what it was asked."""

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def safe_currency_code(self, code: str) -> str:
        return code

    async def privateGetAssetConvertHistory(self, params: dict[str, Any]) -> dict[str, Any]:
        self.asked.append(dict(params))
        rows = [DOCUMENTED_CONVERT] if int(DOCUMENTED_CONVERT["ts"]) < int(params["after"]) else []
        return {"code": "0", "msg": "", "data": rows}


async def test_bills_of_a_listed_convert_store_its_trade_once_and_an_unlisted_convert_keeps_its_legs() -> None:
    client = _History()
    bills = ConvertBills(client, RowReader(client))
    page = [  # newest first, as bills-history pages
        _bill("30", "ETH", "-0.01023052", "272", TS + 90_000),  # the trade's coin and amount, reversed: not its leg
        _bill("20", "EUR", "-500", "272", TS + 59_000),  # a fiat convert convert history does not list
        _bill("12", "USDT", "-30", "272", TS + 125),  # the documented trade's USDT paid ...
        _bill("11", "ETH", "0.01023052", "272", TS + 123),  # ... and its ETH received
        _bill("9", "USDT", "0.5", "150", TS),  # not a convert bill
    ]
    await bills.prepare(Endpoint.TRANSFERS, FetchReport())(page)
    reversed_eth, eur, usdt, eth, reward = [bills.transfer(bill)[0] for bill in page]

    # One request: records earlier than the newest convert bill plus a minute, 100 a page.
    assert client.asked == [{"after": TS + 90_000 + 60_000 + 1, "limit": 100}]
    # The trade is stored once, by the first of its bills the walk reads (the USDT bill), as the convert endpoint
    # stores it: its natural key, base, quote, side and price.
    assert eth is None
    assert usdt is not None and (usdt.kind, usdt.natural_key) == (RecordKind.CONVERT, "convert:trader16461885203381437")
    trade = (usdt.asset, usdt.amount, usdt.side, usdt.quote_asset, usdt.quote_amount, usdt.price)
    assert trade == ("ETH", D("0.01023052"), "buy", "USDT", D(30), D("2932.401044"))
    assert eur is not None and (eur.kind, eur.asset, eur.amount, eur.side) == (RecordKind.CONVERT, "EUR", D(500), "out")
    assert reversed_eth is not None and (reversed_eth.asset, reversed_eth.amount, reversed_eth.side) == (
        "ETH",
        D("0.01023052"),
        "out",
    )
    assert reversed_eth.natural_key == "convert:30"
    assert reward is None  # the rewards' walk stores it


async def test_a_trade_listed_in_both_lists_is_one_record_whichever_walk_reads_it_first() -> None:
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, limits=FAST) as okx:
        okx.book.bill_converts()
        converts = okx.account.converts
        async with okx_client(okx) as client:
            cursors: dict[str, Cursor] = {}
            before = okx.requests.count(HISTORY)
            from_bills = await _walk(client, Endpoint.TRANSFERS, cursors)
            asked = okx.requests.count(HISTORY) - before
            from_history = await _walk(client, Endpoint.CONVERT, {})
            before = okx.requests.count(HISTORY)
            again = await _walk(client, Endpoint.TRANSFERS, cursors)
            asked_again = okx.requests.count(HISTORY) - before

    assert len(converts) == 3  # RECENT's three converts, each also two bills of type 273
    expected = sorted(f"convert:{c.id}" for c in converts)
    assert sorted(r.natural_key for r in from_history) == expected
    bill_converts = [r for r in from_bills if r.kind is RecordKind.CONVERT]
    assert sorted(r.natural_key for r in bill_converts) == expected  # one per trade, not one per bill
    assert {r.natural_key: r for r in bill_converts} == {r.natural_key: r for r in from_history}
    # The script's bills fit in one page of bills-history: one look at convert history, none by a re-sync, which
    # meets only bills committed before.
    assert (asked, asked_again, again) == (1, 0, [])


async def test_a_user_whose_converts_are_in_both_lists_reconciles(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20) as okx:
        okx.book.bill_converts()
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=70))
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            again = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""

    # Counted twice, each convert's coins would be off by its amounts.
    assert "✅ OKX-1: the history explains every balance." in summary, summary
    assert "✅ OKX-1: the history explains every balance." in again, again
    assert okx.requests.unexpected == []
