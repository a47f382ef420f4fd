"""Through the real bot: an exchange Tallybot has no guide for is offered only as untested, with that word shown."""

from __future__ import annotations

from pathlib import Path

from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for


async def test_an_exchange_without_a_guide_is_offered_and_introduced_as_untested(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(settings_for(telegram, tmp_path / "data")):
        sent = await ada.send("/connect")
        await ada.reply_to(sent, "Connect your exchanges")
        typed = await ada.send("bitstamp")
        results = await ada.reply_to(typed, "Connect your exchanges")
        offered = [button.text for button in results.buttons]
        await ada.press_for("Bitstamp", "Selected")
        intro = await ada.press_for("Confirm exchanges", "Alerts")

    assert "Bitstamp (untested)" in offered
    assert "Bitstamp (untested)" in (intro.text or "")
    assert "Untested: Tallybot has never synced Bitstamp" in (intro.text or "")
