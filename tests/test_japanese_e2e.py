"""A Japanese user (Telegram language_code "ja") through the real bot, all in Japanese: /start, the Assistant with
bitFlyer's demo key, /sync, /status, troubleshooting, /export as a Cryptact file, /keys, /help, /upload's help and
the command menu; then English chosen in /settings, and every later message in English.

Expected texts are read from the shipped catalogues (the Japanese one for what Ada reads first, the English one after
she switches), never copied here; and no English catalogue text may reach her while she reads Japanese.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import AsyncIterator, Iterable
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.commands import COMMANDS
from i18n import catalogue
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BitflyerEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

DAYS_BACK = 200  # the sync-from date: before the small account's first record
TAG = re.compile(r"<[^>]+>")


@pytest.fixture
async def bitflyer() -> AsyncIterator[BitflyerEmulator]:
    async with BitflyerEmulator(seed=11, years=0.5, executions=12) as emulator:
        yield emulator


def template(msgid: str, locale: str) -> str:
    """An entry as its reader sees it in Telegram (tags gone, entities read), placeholders left in."""
    forms = catalogue.id_and_forms(catalogue.read_catalog(locale)[msgid])[1]
    return html.unescape(TAG.sub("", forms[-1]))


def segments(text: str) -> list[str]:
    """The fixed parts of a template, between its placeholders."""
    return [part.strip() for part, _, _, _ in string.Formatter().parse(text) if part.strip()]


def part(msgid: str, locale: str = "ja") -> str:
    """The longest fixed part of an entry: what a message worded from it must show."""
    return max(segments(template(msgid, locale)), key=len)


def line(msgid: str, locale: str = "ja") -> str:
    """The entry's first line, for a text that is a button's label or a short line in a menu."""
    return template(msgid, locale).split("\n", 1)[0].strip()


def english_leaks(texts: Iterable[str]) -> list[str]:
    """Fixed parts of English entries (long enough to be a phrase) that show in `texts`, where the Japanese entry
    differs: English a Japanese reader should never have been sent."""
    english = {message.id: message for message in catalogue.read_catalog("en") if message.id}
    japanese = catalogue.read_catalog("ja")
    found: set[str] = set()
    shown = "\n".join(texts)
    for key in english:
        msgid = key if isinstance(key, str) else key[0]
        translated = japanese.get(msgid)
        if translated is not None and catalogue.id_and_forms(translated)[1] == catalogue.id_and_forms(english[key])[1]:
            continue  # the same in both (a name, a bare placeholder)
        for form in catalogue.id_and_forms(english[key])[1]:
            for fixed in segments(html.unescape(TAG.sub("", form))):
                if len(fixed) >= 16 and re.search(r"[a-z]{3} [a-z]{3}", fixed) and fixed in shown:
                    found.add(f"{msgid}: {fixed}")
    return sorted(found)


async def connect_bitflyer(ada: Walker, api_key: str, secret: str) -> None:
    """/start opens the Assistant: pick bitFlyer, paste the key, set the sync-from date, check and connect."""
    started = await ada.send("/start")
    await ada.reply_to(started, part("start.welcome"))
    await ada.reply_to(started, part("assistant.pick.title"))
    await ada.press("bitFlyer")
    confirm = line("assistant.button.confirm")
    await ada.emulator.wait_until(lambda: "✅ bitFlyer" in " ".join(b.text for b in ada.last_menu(confirm).buttons))
    await ada.press_for(confirm, part("assistant.intro.steps"))
    typed = await ada.send(api_key)
    await ada.reply_to(typed, part("assistant.field.ask"))
    typed = await ada.send(secret)
    await ada.reply_to(typed, part("assistant.review"))
    await ada.press_for(line("assistant.button.advanced"), part("assistant.advanced"))
    await ada.press_for(line("assistant.button.date"), part("assistant.prompt.date"))
    typed = await ada.send((date.today() - timedelta(days=DAYS_BACK)).isoformat())
    await ada.reply_to(typed, part("assistant.advanced"))
    await ada.press_for(line("assistant.button.back"), part("assistant.review"))
    connected = await ada.press_for(line("assistant.button.check"), part("assistant.connected"))
    await ada.reply_to(connected, part("assistant.summary.done"))


async def test_a_japanese_user_connects_syncs_reads_status_troubleshoots_and_exports_in_japanese_then_english(
    telegram: BotApiEmulator, bitflyer: BitflyerEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", language_code="ja", started=True))
    key = bitflyer.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bitflyer": bitflyer.base_url})
    async with running_bot(settings):
        await telegram.wait_until(lambda: bool(telegram.commands(language_code="ja")))
        await connect_bitflyer(ada, key.api_key, key.secret)

        sent = await ada.send("/sync")
        summary = (await ada.reply_to(sent, part("sync.finished"), timeout=90)).text or ""

        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, part("status.header"))).text or ""

        sent = await ada.send("/troubleshoot")
        await ada.reply_to(sent, part("troubleshooting.menu"))
        tip = await ada.press_for(line("troubleshooting.older.title"), part("troubleshooting.older.answer_2"))

        sent = await ada.send("/export")
        await ada.reply_to(sent, part("export.choose_format"))
        await ada.press_for(line("export.format.cryptact"), part("export.choose_scope"))
        before = ada.newest_id()
        await ada.press(line("export.button.all_accounts"))
        exported = await telegram.wait_for_bot_message(
            ada.chat_id, after_message_id=before, predicate=lambda m: m.document is not None
        )
        # What the file stands for comes after it: Cryptact's re-upload rule.
        await ada.reply_to(exported, part("export.cryptact.reupload"))
        sent = await ada.send("/keys")
        await ada.reply_to(sent, part("assistant.keys.header"))
        sent = await ada.send("/help")
        await ada.reply_to(sent, part("help.body"))
        sent = await ada.send("/upload")
        upload_help = (await ada.reply_to(sent, part("upload.help"))).text or ""
        # A file Tallybot cannot read: refused, with its first row and the formats it reads, in Japanese.
        sent = await telegram.send_document(ada.user, filename="notes.csv", content=b"colour,shape\nred,round\n")
        await ada.reply_to(sent, part("upload.which_account"))
        refusal = (await ada.press_for("bitFlyer-1", part("file.unknown"))).text or ""
        read_in_japanese = ada.all_bot_texts() + "\n" + (exported.caption or "")

        sent = await ada.send("/settings")
        await ada.reply_to(sent, part("settings.menu"))
        switched = await ada.press_for("English", part("settings.language_set", "en"))
        sent = await ada.send("/status")
        status_in_english = (await ada.reply_to(sent, part("status.header", "en"))).text or ""
        sent = await ada.send("/help")
        help_in_english = (await ada.reply_to(sent, part("help.body", "en"))).text or ""
        sent = await ada.send("/troubleshoot")
        await ada.reply_to(sent, part("troubleshooting.menu", "en"))
        menu_ja, menu_en = telegram.commands(language_code="ja"), telegram.commands()

    # The sync's summary and /status: Japanese kinds of history, the account named as in the Assistant.
    assert part("endpoint.spot_trades.phrase") in summary, summary
    assert "bitFlyer-1" in status and part("endpoint.spot_trades.label") in status, status
    # The last sync's time in CLDR's Japanese pattern, and in its English one after the switch (UTC, the default zone).
    assert re.search(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}（", status), status
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M \(", status_in_english), status_in_english
    assert part("troubleshooting.older.title") in (tip.text or "")
    # The export: a Cryptact file, captioned in Japanese.
    assert exported.document is not None and exported.caption is not None
    assert template("export.format.cryptact", "ja") in exported.caption, exported.caption
    assert template("file.format.cryptact", "ja") in upload_help  # the formats /upload reads, in Japanese too
    assert part("file.unknown.starts_with") in refusal and "colour, shape" in refusal, refusal
    assert f"• {template('file.format.cryptact', 'ja')}" in refusal, refusal
    assert english_leaks([read_in_japanese]) == []
    assert english_leaks([help_in_english]) != []  # the check sees English where there is some
    # The command menu: Japanese for a Japanese app, English as the default.
    assert [c["description"] for c in menu_ja] == [template(description, "ja") for _, description in COMMANDS]
    assert [c["description"] for c in menu_en] == [template(description, "en") for _, description in COMMANDS]
    assert part("command.sync.description") in [c["description"] for c in menu_ja]
    assert [c["command"] for c in menu_ja] == [c["command"] for c in menu_en]
    # After choosing English, every message is English.
    assert "English" in (switched.text or "")
    assert part("endpoint.spot_trades.label", "en") in status_in_english
    assert part("status.header") not in status_in_english
    assert "/settings" in help_in_english
