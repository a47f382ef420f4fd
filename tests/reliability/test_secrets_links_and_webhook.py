"""Review findings on secret hygiene, each through the real code path with every logger at DEBUG:
- OKX's bill archive link is presigned (the link alone downloads the user's bills); ccxt logs the answer holding it;
- the webhook secret goes to Telegram in setWebhook, which python-telegram-bot logs with its parameters;
- an archive that unpacks past Tallybot's cap (a zip bomb) ends the endpoint partial instead of exhausting memory.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

import connectors.fetchers.okx.archive_files as archive_files
from bot.context import SERVICES_KEY
from bot.logs import REDACTED, redact
from bot.secret import registry
from bot.webhook_setup import set_webhook
from connectors.fetchers.okx.archive_files import FileTooLarge, read_file
from connectors.redaction import credential_values
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import OkxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reliability.test_secrets import every_logger_at_debug
from tests.test_reconcile_e2e import RECENT, connect

# A value Telegram accepts as secret_token (A-Z, a-z, 0-9, _ and -) that the key-shaped filter does not catch: no
# digit, so only its registration can strike it.
WEBHOOK_SECRET = "only-letters_webhook-Secret"
SMALL_CAP = 64 * 1024


def bomb(unpacked_bytes: int) -> bytes:
    """A zip of one CSV: a header, then empty lines (which a CSV reader skips); a few kilobytes on the wire."""
    packed = io.BytesIO()
    with (
        zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("bills-2025Q1.csv", "w") as member,
    ):
        member.write(b"instType,billId,subType,ts,balChg\n")
        member.write(b"\n" * unpacked_bytes)
    return packed.getvalue()


async def test_the_okx_archive_link_appears_in_no_log_record_at_debug(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True, bill_history=True) as okx:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        with every_logger_at_debug() as everything:
            async with running_bot(settings) as app:
                await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=300))
                await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)  # applies
                okx.book.archive.ready_after_ms = 0  # two hours later: the links are given and downloaded
                await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)
        tokens = list(okx.book.archive.links)

    assert len(tokens) >= 2 and okx.book.archive.downloads == len(tokens)  # two or three quarters downloaded
    assert any("fileHref" in text for text in everything.texts)  # ccxt did log the answers, at DEBUG
    assert [text for text in everything.texts if any(token in text for token in tokens)] == []


def test_a_registered_link_is_struck_wherever_it_is_quoted() -> None:
    link = "https://okx-archive.example/bills/2025Q1-presigned-abcdefghij.zip"
    credential_values.remember(link)
    assert redact(f"download of {link} failed") == f"download of {REDACTED} failed"
    assert redact('{"fileHref":"https://other.example/x.zip?X-Amz-Credential=AK"}') == f'{{"fileHref":"{REDACTED}"}}'


async def test_the_webhook_secret_appears_in_no_log_record_when_the_operator_sets_the_webhook(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    registry.clear()  # as in a fresh `tallybot set-webhook` process
    settings = settings_for(telegram, tmp_path, webhook_secret=SecretStr(WEBHOOK_SECRET))
    with every_logger_at_debug() as everything:
        info = await set_webhook(settings, "https://bot.example/telegram", drop_pending_updates=False)

    assert info.url == "https://bot.example/telegram"
    assert any("setWebhook" in text for text in everything.texts)  # PTB did log the call
    assert [text for text in everything.texts if WEBHOOK_SECRET in text] == []


@pytest.mark.parametrize("packing", ["zip", "gzip"])
def test_an_archive_past_the_cap_is_refused_while_unpacking(monkeypatch: pytest.MonkeyPatch, packing: str) -> None:
    monkeypatch.setattr(archive_files, "MAX_CSV_BYTES", SMALL_CAP)
    content = bomb(4 * SMALL_CAP) if packing == "zip" else gzip.compress(b"\n" * (4 * SMALL_CAP))
    assert len(content) < SMALL_CAP // 4  # small on the wire
    with pytest.raises(FileTooLarge):
        read_file(content)
    assert read_file(bomb(SMALL_CAP // 2)) == []  # below the cap: read (a header and empty lines, no bills)


async def test_a_zip_bomb_from_okx_ends_the_endpoints_partial_with_the_reason(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_files, "MAX_CSV_BYTES", SMALL_CAP)
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True, bill_history=True) as okx:
        served = okx.book.archive.file
        monkeypatch.setattr(
            okx.book.archive, "file", lambda token, now_ms: bomb(4 * SMALL_CAP) if served(token, now_ms) else None
        )
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=300))
            await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)  # applies
            okx.book.archive.ready_after_ms = 0
            first = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            downloads = okx.book.archive.downloads
            second = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""

    # From gaps.po, written out: "OKX's file of older bills for … unpacks to more than Tallybot reads at once".
    assert "unpacks to more than Tallybot reads at once" in status, status
    assert "🟢 OKX-1" not in status, status
    assert "✅ OKX-1: the history explains every balance." not in first, first
    assert downloads >= 2 and okx.book.archive.downloads == downloads  # not downloaded again by the next sync
    assert "Sync finished" in second
