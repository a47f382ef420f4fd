"""Kraken's exports uploaded in the chat, as a user does it: ledgers.csv fills a new file-only Kraken account, then
trades.csv adds nothing (its trades are the ledger's, met by Kraken's own ids), and a KuCoin file sent to that
account is refused by name."""

from __future__ import annotations

from pathlib import Path

from bot.context import SERVICES_KEY, Services
from i18n import Text, render
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.files.samples import csv_bytes
from tests.files.test_kraken_files import LEDGER_V2, TRADES_V1, ledger_rows

# The ledger's one trade (its two lines share the trade's txid as refid), as trades.csv writes it.
TRADES = [
    TRADES_V1,
    [
        "TXBT01-CCCCC-DDDDDD",
        "OQCLML-BW3P3-BUCMWZ",
        "XXBTZEUR",
        "2022-01-04 10:00:00.9996",
        "buy",
        "limit",
        "38512.0",
        "385.12000",
        "0.61620",
        "0.01000000",
        "0.00000",
        "",
        "LTRA01-AAAAA-AAAAAA,LTRA02-AAAAA-AAAAAA",
    ],
]
KUCOIN = [
    [
        "tradeCreatedAt",
        "orderId",
        "symbol",
        "side",
        "price",
        "size",
        "funds",
        "fee",
        "liquidity",
        "feeCurrency",
        "orderType",
    ],
    ["2021-03-01 18:00:00", "603c9f0e", "BTC-USDT", "buy", "49000", "0.002", "98", "0.098", "taker", "USDT", "limit"],
]


async def upload(walker: Walker, name: str, rows: list[list[str]]) -> ChatMessage:
    content = csv_bytes(rows)
    return await walker.emulator.send_document(walker.user, filename=name, content=content, mime_type="text/csv")


async def test_kraken_ledger_then_trades_in_the_chat_store_each_record_once(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        sent = await upload(ada, "ledgers.csv", ledger_rows(LEDGER_V2))
        await ada.reply_to(sent, "Which account")
        await ada.press_for("New file-only account", "Which exchange")
        ledger = (await ada.press_for("Kraken", "imported into")).text or ""
        sent = await upload(ada, "trades.csv", TRADES)
        await ada.reply_to(sent, "Which account")
        trades = (await ada.press_for("Kraken-1", "imported into")).text or ""
        sent = await upload(ada, "history.csv", KUCOIN)
        await ada.reply_to(sent, "Which account")
        refused = (await ada.press_for("Kraken-1", "export")).text or ""
        accounts = await services.integrations.list(1001)
        stored = await services.integrations.transaction_count(1001, accounts[0].id)

    # The deposit, the trade (two lines), the staking reward, the withdrawal, the transfer and both convert lines;
    # the line of a failed transaction is skipped.
    assert "New: 7" in ledger, ledger
    assert "New: 0" in trades and "Already known (from the API or an earlier file): 1" in trades, trades
    assert "🔗" not in trades, "met by Kraken's trade id, not by content"
    wrong = Text.of(
        "file.wrong_exchange",
        file_exchange="KuCoin",
        title=Text("file.format.kucoin_fills_v3"),
        account_exchange="Kraken",
    )
    assert render(wrong) in refused, refused
    assert [a.account_name for a in accounts] == ["Kraken-1"]
    assert stored == 7
