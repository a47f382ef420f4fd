"""`tallybot sandbox` with the Bitget demo key of a unified trading account (UTA): Bitget refuses every v2 call
with 40085, so the key check reads `/api/v3/account/info`, says the account is unified and what its v3 API covers,
and /sync brings the trades, deposits and withdrawals in through v3, naming what it cannot reach."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

from bot.settings import Settings
from sandbox.runner import ErrorRecorder, credentials_text, open_sandbox
from sandbox.script import ScriptSession, parse_script
from sandbox.terminal import ChatView

CONNECT_AND_SYNC = """
/connect
? Connect your exchanges
[Bitget]
? ✅ Bitget
[Confirm exchanges]
? Which kind of key
[Normal API key]
? paste your API key
{bitget.unified.api_key}
? paste your Secret key
{bitget.unified.secret}
? passphrase
{bitget.unified.passphrase}
? Check the key
[Check and connect]
? is connected
? unified trading account
/sync
?180 Sync finished
"""


async def test_the_unified_account_demo_key_connects_with_a_note_and_syncs_through_v3(
    settings: Settings, recorder: ErrorRecorder, tmp_path: Path
) -> None:
    async with open_sandbox(settings, data_dir=tmp_path / "data", seed=5, errors=recorder) as running:
        listed = credentials_text(running)
        shown: list[str] = []
        view = ChatView(running, write=shown.append)
        follower = asyncio.create_task(view.follow())
        try:
            await ScriptSession(running, view, wait_timeout=30).run(parse_script(CONNECT_AND_SYNC, base_dir=tmp_path))
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        bitget = running.exchanges["bitget"]
        v3_fills = bitget.requests.count("/api/v3/trade/fills")
        key = running.credentials("bitget", "unified")

    assert "unified trading account (UTA)" in listed
    transcript = "\n".join(view.entries)
    assert "unified trading account (UTA)" in transcript and "file upload" in transcript
    summary = next(entry for entry in reversed(view.entries) if "Sync finished" in entry)
    assert re.search(r"Bitget-1: [\d,]+ new", summary), summary
    assert v3_fills > 0
    for value in (key.secret, key.passphrase or "-"):
        assert value not in transcript
