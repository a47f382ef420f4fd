"""Through the real bot: an exchange Tallybot has no guide for is offered only as untested, with that word shown where
it is offered (the picker, the Assistant's intro); the account is named after the exchange alone, since that name is
what /status, /keys, exports and every note show later."""

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
        key = await ada.send("a1b2c3d4e5f6a7b8c9d0")
        asked = await ada.reply_to(key, "step 2 of 2")
        secret = await ada.send("f0e1d2c3b4a59687786950")
        review = await ada.reply_to(secret, "Check the key")

    assert "Bitstamp (untested)" in offered
    assert "Bitstamp (untested)" in (intro.text or "")
    assert "Untested: Tallybot has never synced Bitstamp" in (intro.text or "")
    # Past the offer, the exchange is Bitstamp: the field prompts and the suggested account name.
    assert (asked.text or "").startswith("🔑 Bitstamp — step 2 of 2")
    assert "Account name: Bitstamp-1" in (review.text or "")
    assert "untested" not in (asked.text or "") + (review.text or "")
