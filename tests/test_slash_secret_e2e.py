"""A secret that starts with "/" is a key, not a command.

Base64 secrets (Kraken's API key and private key, bitFlyer's secret) start with "/" about once in 64. Telegram marks
such a text as a bot command, and the bot used to answer it as an unknown command — after deleting it as key
material — so the user could never paste that key. At the Assistant's key step only Tallybot's own commands are
commands; anywhere else an unknown command is still answered as one.
"""

from __future__ import annotations

from pathlib import Path

from i18n import t
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

# 56 characters of base64, the shape of a Kraken API key (docs/exchange-apis/kraken.md), starting with "/".
SLASHED_KEY = "/k3Qx+9ZbT0aLmN2pR8sV4wY6cE1gH5jK7nP3rU9tW2yB4dF6hJ8lq=="[:56]


async def test_a_pasted_key_that_starts_with_a_slash_is_taken_as_the_key_and_deleted(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada"))
    async with running_bot(settings_for(telegram, tmp_path / "data")):
        sent = await ada.send("/connect")
        await ada.reply_to(sent, "Connect your exchanges")
        await ada.press("Kraken")
        await ada.press_for("Confirm exchanges", "paste your")
        pasted = await ada.send(SLASHED_KEY)
        answer = await ada.reply_to(pasted, "received, message deleted")
        await ada.reply_to(pasted, "paste your")

    assert telegram.message(ada.chat_id, pasted.message_id).deleted
    assert telegram.calls_after_update(pasted)[0].method == "deleteMessage"
    assert f"…{SLASHED_KEY[-4:]}" in answer.text
    assert t("fallback.unknown_command") not in ada.all_bot_texts()


async def test_outside_the_key_step_an_unknown_command_is_still_answered_as_one(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada"))
    async with running_bot(settings_for(telegram, tmp_path / "data")):
        sent = await ada.send("/frobnicate")
        answer = await ada.reply_to(sent)

    assert answer.text == t("fallback.unknown_command")
