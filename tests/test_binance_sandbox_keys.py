"""`tallybot sandbox` with self-generated keys: Binance's Ed25519 and RSA demo keys connect and sync, and a sandbox
user can walk "Let Tallybot make the key" with `/binance-register-key` or `/bybit-register-key` standing in for the
exchange's website."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

import pytest

from bot.settings import Settings
from sandbox.runner import ErrorRecorder, credentials_text, open_sandbox
from sandbox.script import ScriptSession, parse_script
from sandbox.terminal import ChatView, handle_line

# Connect one Binance key through the Assistant with placeholders, syncing from before the demo year began.
CONNECT = """
/connect
? Connect your exchanges
[Binance]
? ✅ Binance
[Confirm exchanges]
? paste your API key
{{binance.{kind}.api_key}}
? paste your Secret key
{{binance.{kind}.secret}}
? Check the key
[Advanced options]
? Advanced options
[Sync from date]
? YYYY-MM-DD
{{days_ago:400}}
? Sync from:
[Back]
? Check the key
[Check and connect]
? is connected
? All done
"""


async def test_the_ed25519_and_rsa_demo_keys_connect_and_sync_in_the_sandbox(
    settings: Settings, recorder: ErrorRecorder, tmp_path: Path
) -> None:
    async with open_sandbox(settings, data_dir=tmp_path / "data", seed=5, errors=recorder) as running:
        listed = credentials_text(running)
        shown: list[str] = []
        view = ChatView(running, write=shown.append)
        steps = [
            *parse_script(CONNECT.format(kind="ed25519"), base_dir=tmp_path),
            *parse_script(CONNECT.format(kind="rsa"), base_dir=tmp_path),
            *parse_script("/sync\n?180 Sync finished\n", base_dir=tmp_path),
        ]
        follower = asyncio.create_task(view.follow())
        try:
            await ScriptSession(running, view, wait_timeout=30).run(steps)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        summary = next(entry for entry in reversed(view.entries) if "Sync finished" in entry)
        secrets = [running.credentials("binance", kind).secret for kind in ("ed25519", "rsa")]

    assert "Self-generated Ed25519 key" in listed and "Self-generated RSA key" in listed
    # Printed on one line each, as the terminal sends a line as one message.
    for secret in secrets:
        assert f"    Secret      {' '.join(secret.split())}" in listed.splitlines()
    assert re.search(r"✅ Binance-1: [\d,]+ new", summary) and re.search(r"✅ Binance-2: [\d,]+ new", summary)
    transcript = "\n".join(shown)
    for secret in secrets:
        for line in secret.strip().splitlines()[1:-1]:
            assert line not in transcript, "the transcript shows placeholders, never key material"


@pytest.mark.parametrize("exchange", ["Binance", "Bybit"])
async def test_a_sandbox_user_lets_tallybot_make_the_key_and_registers_it_on_the_emulated_exchange(
    settings: Settings, recorder: ErrorRecorder, tmp_path: Path, exchange: str
) -> None:
    async with open_sandbox(settings, data_dir=tmp_path / "data", seed=6, errors=recorder) as running:
        shown: list[str] = []
        view = ChatView(running, write=shown.append)
        for line in ("/connect", f"#{exchange}", "#Confirm exchanges", "#Let Tallybot make the key"):
            await handle_line(view, line)
            await view.settle()
        await handle_line(view, f"/{exchange.lower()}-register-key")
        issued = re.search(rf"{exchange} shows the API key: ([A-Za-z0-9]+)", "\n".join(shown))
        assert issued is not None, shown[-3:]
        await handle_line(view, issued.group(1))
        await view.settle()
        await handle_line(view, "#Check and connect")
        await view.settle(quiet=1.0, limit=20.0)

    transcript = "\n".join(shown)
    assert "BEGIN PUBLIC KEY" in transcript
    assert "is connected" in transcript and "Read-only ✓" in transcript
    assert "PRIVATE KEY" not in transcript
