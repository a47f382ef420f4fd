"""Each user reads Tallybot in their own language: Telegram's language_code on first contact picks the catalogue.

Tallybot ships English only so far; a small Japanese catalogue written here (the way issue 19's will be laid out,
locales/ja/LC_MESSAGES/*.po) stands in for it. Expected texts are the catalogue entries as written below, or the
English catalogue's.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from i18n import catalogue, t
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

JA_PO = """msgid ""
msgstr ""
"Language: ja\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "start.welcome"
msgstr "👋 <b>Tallybotへようこそ</b>"

msgid "assistant.pick.title"
msgstr "🧭 <b>取引所をつなぐ</b>\\n\\n{selected}"

msgid "assistant.pick.none"
msgstr "まだ選ばれていません。"

msgid "assistant.pick.selected"
msgstr "選択中: {names}"

msgid "assistant.button.confirm"
msgstr "✔️ この取引所で進む"

msgid "assistant.intro.steps"
msgstr "🛠 <b>読み取り専用のAPIキーを作る</b>\\n{lines}"

msgid "profile.kraken.step_1"
msgstr "Krakenにログインし、設定の「Connections & API」を開きます。"

msgid "assistant.field.ask"
msgstr "🔑 {exchange}（{number}/{total}）: <b>{label}</b>を貼り付けてください。{hint}"

msgid "profile.common.api_key.default"
msgstr "APIキー"

msgid "profile.kraken.key.api_key.hint"
msgstr "英数字と + / からなる約56文字"

msgid "assistant.review"
msgstr ""
"📋 <b>{exchange}</b>{kind}\\nAPIキー: <code>{fingerprint}</code>\\nアカウント名: <b>{account}</b>{extras}\\n\\n"
"キーを確認して接続するか、先に詳細設定を開いてください。"

msgid "assistant.button.check"
msgstr "✅ 確認して接続"

msgid "status.header"
msgstr "📊 <b>アカウント一覧</b>（時刻は{zone}）"

msgid "endpoint.spot_trades.label"
msgstr "現物取引"

msgid "endpoint.ledger.label"
msgstr "入出金・残高の履歴"
"""

ADA, BOB = 1001, 1002


@pytest.fixture
def japanese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A copy of the catalogues with the small Japanese one beside English, for this test only."""
    locales = tmp_path / "locales"
    shutil.copytree(catalogue.LOCALES_DIR, locales)
    shutil.rmtree(locales / "ja")  # the shipped Japanese catalogue: this story reads its own small one
    (locales / "ja" / "LC_MESSAGES").mkdir(parents=True)
    (locales / "ja" / "LC_MESSAGES" / "tallybot.po").write_text(JA_PO, encoding="utf-8")
    monkeypatch.setattr(catalogue, "LOCALES_DIR", locales)
    clear_caches()
    yield
    monkeypatch.undo()
    clear_caches()


def clear_caches() -> None:
    for cached in (catalogue.entries, catalogue.available_locales, catalogue.translations):
        cached.cache_clear()


KRAKEN_KEY = {"apiKey": Secret("A" * 56), "secret": Secret("B" * 88)}


async def test_a_japanese_user_reads_start_the_assistant_and_status_in_japanese_and_an_english_one_in_english(
    telegram: BotApiEmulator, tmp_path: Path, japanese: None
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=ADA, first_name="Ada", language_code="ja-JP"))
    bob = Walker(telegram, telegram.add_user(user_id=BOB, first_name="Bob", language_code="en"))
    async with running_bot(settings_for(telegram, tmp_path / "data")) as app:
        services: Services = app.bot_data[SERVICES_KEY]

        started = await ada.send("/start")
        await ada.reply_to(started, "Tallybotへようこそ")
        await ada.reply_to(started, "取引所をつなぐ")
        picker = ada.last_menu("この取引所で進む")
        assert "まだ選ばれていません。" in (picker.text or "")
        await ada.press_for("Kraken", "選択中: Kraken")
        intro = await ada.press_for("この取引所で進む", "読み取り専用のAPIキーを作る")
        # The exchange's own steps: the one translated reads Japanese, the others fall back to English.
        assert "1. Krakenにログインし、設定の「Connections & API」を開きます。" in (intro.text or "")
        assert t("profile.kraken.step_2") in (intro.text or "")
        asked = await ada.reply_to(started, "APIキーを貼り付けてください")
        assert "Kraken（1/2）" in (asked.text or "") and "英数字と + / からなる約56文字" in (asked.text or "")
        await ada.send(KRAKEN_KEY["apiKey"].reveal())
        pasted = await ada.send(KRAKEN_KEY["secret"].reveal())
        review = await ada.reply_to(pasted, "キーを確認して接続するか")
        assert "アカウント名: Kraken-1" in (review.text or "")
        assert any(button.text == "✅ 確認して接続" for button in review.buttons)

        hello = await bob.send("/start")
        await bob.reply_to(hello, "Welcome to Tallybot")
        await bob.reply_to(hello, "Connect your exchanges")

        options = AdvancedOptions()
        await services.integrations.connect(
            ADA, exchange_id="kraken", key_type="normal", account_name="Kraken-1", fields=KRAKEN_KEY, options=options
        )
        await services.integrations.connect(
            BOB, exchange_id="kraken", key_type="normal", account_name="Kraken-1", fields=KRAKEN_KEY, options=options
        )
        asked_status = await ada.send("/status")
        status = (await ada.reply_to(asked_status, "アカウント一覧")).text or ""
        told = await bob.send("/status")
        english = (await bob.reply_to(told, "Your accounts")).text or ""

        stored = await services.users.locale(ADA)

    assert "時刻はUTC" in status
    assert "⚪ 現物取引" in status and "⚪ 入出金・残高の履歴" in status
    assert f"⚪ {t('endpoint.spot_trades.label')}" in english and f"⚪ {t('endpoint.ledger.label')}" in english
    assert stored == "ja"  # "ja-JP" from Telegram, read with the Japanese catalogue
