"""`tallybot sandbox`: a newcomer tries the bot offline, by script or by chatting in a terminal."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from bot.settings import Settings
from sandbox.runner import ErrorRecorder, credentials_text, open_sandbox
from sandbox.script import DEMO_SCRIPT, Press, Say, ScriptError, ScriptFailure, ScriptSession, Wait, parse_script
from sandbox.terminal import ChatView, handle_line

REPO = Path(__file__).resolve().parents[2]
CREDENTIAL_LINE = re.compile(r"^\s+(?:API key|Secret|Passphrase)\s+(\S+)$", re.MULTILINE)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """Where the sandbox's throw-away data directories go (TMPDIR), to check that none is left behind."""
    path = tmp_path / "tmp"
    path.mkdir()
    return path


@pytest.fixture
def environment(scratch: Path) -> dict[str, str]:
    # conftest has already removed every Tallybot variable from os.environ and moved to an empty directory.
    return {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(scratch), "TERM": "dumb"}


def sandbox(environment: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own interpreter and arguments
        [sys.executable, "-m", "bot", "sandbox", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=timeout,
        check=False,
    )


def test_the_demo_script_connects_syncs_shows_status_exports_and_never_prints_a_secret(
    environment: dict[str, str], tmp_path: Path, scratch: Path
) -> None:
    data = tmp_path / "data"
    run = sandbox(environment, "--script", str(DEMO_SCRIPT), "--data-dir", str(data))

    transcript = run.stdout
    assert run.returncode == 0, transcript + run.stderr
    assert "you> /connect" in transcript
    assert "you> [✅ Binance]" not in transcript and "you> [Binance]" in transcript
    assert "you> {binance.read_only.api_key}" in transcript
    assert "you> {binance.read_only.secret}" in transcript
    assert transcript.count("🗑 your message was deleted") == 2
    assert "Binance-1 is connected to Binance" in transcript and "Read-only ✓" in transcript
    assert "All done" in transcript
    assert "Sync finished" in transcript and "🟢 Binance-1" in transcript
    exported = next((data / "downloads").glob("tallybot-koinly-*.csv"))
    stated = transcript.split("Koinly universal CSV: ", 1)[1].split(" rows", 1)[0]
    assert len(exported.read_text().splitlines()) - 1 == int(stated.replace(",", "")) > 0  # the caption's count
    assert transcript.rstrip().endswith("steps went through.")
    secrets = CREDENTIAL_LINE.findall((data / "demo-credentials.txt").read_text())
    assert len(secrets) > 40, "every demo key of the four exchanges is in the data directory"
    log = (data / "tallybot.log").read_text()
    for secret in secrets:
        assert secret not in transcript and secret not in run.stderr and secret not in log
    assert list(scratch.iterdir()) == []


def test_the_terminal_chat_shows_the_menu_and_presses_a_button_by_its_number(
    environment: dict[str, str], scratch: Path
) -> None:
    chat = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "sandbox"],
        env=environment,
        encoding="utf-8",
        timeout=20,
        dimensions=(60, 220),
    )
    try:
        chat.expect_exact("Ctrl-D or Ctrl-C quits.")
        assert "Binance ──" in chat.before and "read-only: connects" in chat.before
        chat.sendline("/start")
        chat.expect_exact("Welcome to Tallybot")
        chat.expect_exact("[1] Binance  [2] Bybit")
        chat.expect_exact("Confirm exchanges")
        chat.sendline("#1")
        chat.expect_exact("✏️ edited: 🧭 Connect your exchanges")
        chat.expect_exact("[1] ✅ Binance")
        chat.sendline("#Confirm exchanges")
        chat.expect_exact("paste your API key")
        chat.sendcontrol("c")
        chat.expect_exact("Bye.")
        chat.expect(pexpect.EOF)
    finally:
        chat.close(force=True)
    assert chat.exitstatus == 0
    assert list(scratch.iterdir()) == [], "the throw-away data directory is removed"


def test_ctrl_d_ends_the_terminal_chat(environment: dict[str, str]) -> None:
    chat = pexpect.spawn(sys.executable, ["-m", "bot", "sandbox"], env=environment, encoding="utf-8", timeout=20)
    try:
        chat.expect_exact("Ctrl-D or Ctrl-C quits.")
        chat.sendeof()
        chat.expect_exact("Bye.")
        chat.expect(pexpect.EOF)
    finally:
        chat.close(force=True)
    assert chat.exitstatus == 0


def test_a_script_waiting_for_a_reply_that_never_comes_fails_quickly(
    environment: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "stuck.tally"
    script.write_text("/start\n? Connect your exchanges\n? a reply the bot never gives\n[Binance]\n")

    started = time.monotonic()
    run = sandbox(environment, "--script", str(script), "--wait-timeout", "1")

    assert run.returncode == 1, run.stdout + run.stderr
    assert "❌ stuck.tally failed at line 3" in run.stdout
    assert "a reply the bot never gives" in run.stdout
    assert "you> [Binance]" not in run.stdout, "nothing runs after the failed line"
    assert time.monotonic() - started < 15


def test_a_script_that_cannot_be_played_is_refused_before_anything_starts(
    environment: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "typo.tally"
    script.write_text("/connect\n{binance.read_onyl.secret}\n")

    run = sandbox(environment, "--script", str(script), timeout=20)

    assert run.returncode == 2
    assert "line 2" in run.stderr and "read_onyl" in run.stderr
    assert run.stdout == ""


def test_the_script_format(tmp_path: Path) -> None:
    (tmp_path / "trades.csv").write_text("a,b\n")
    steps = parse_script(
        "# comment\n\n/connect\n> [not a button]\n[ Confirm exchanges ]\n"
        "? is connected\n?90 Sync finished\n/send trades.csv\n{okx.read_only.passphrase}\n",
        base_dir=tmp_path,
    )

    assert steps[:5] == [
        Say(3, "/connect"),
        Say(4, "[not a button]"),
        Press(5, "Confirm exchanges"),
        Wait(6, "is connected", None),
        Wait(7, "Sync finished", 90.0),
    ]
    assert getattr(steps[5], "path", None) == tmp_path / "trades.csv"
    assert steps[6] == Say(9, "{okx.read_only.passphrase}")
    wrong_lines = ("{krakenfutures.read_only.api_key}", "{binance.read_only.passphrase}", "?", "[]")
    for wrong in (*wrong_lines, "/send missing.csv"):
        with pytest.raises(ScriptError, match="line 1"):
            parse_script(wrong, base_dir=tmp_path)


async def test_an_error_the_bot_logs_fails_the_script_at_once(
    settings: Settings, recorder: ErrorRecorder, tmp_path: Path
) -> None:
    async with open_sandbox(settings, data_dir=tmp_path / "data", seed=3, errors=recorder) as running:
        shown: list[str] = []
        view = ChatView(running, write=shown.append)
        # Telegram is down for the bot's first reply: the handler fails and the error handler logs it.
        running.telegram.fail("sendMessage", error_code=502, description="Bad Gateway")
        session = ScriptSession(running, view, wait_timeout=30)
        started = asyncio.get_running_loop().time()
        with pytest.raises(ScriptFailure, match=re.escape("line 2: an error was logged: ERROR tallybot.errors")):
            await session.run([Say(1, "/start"), Wait(2, "a reply that is never sent", None)])

    assert asyncio.get_running_loop().time() - started < 10


async def test_files_go_both_ways_in_the_terminal_chat(
    settings: Settings, recorder: ErrorRecorder, tmp_path: Path
) -> None:
    upload = tmp_path / "old-trades.csv"
    upload.write_bytes(b"Date(UTC),Pair,Side\n")
    async with open_sandbox(settings, data_dir=tmp_path / "data", seed=4, errors=recorder) as running:
        shown: list[str] = []
        view = ChatView(running, write=shown.append)
        await handle_line(view, f"/send {upload}")
        sent = [m for m in running.telegram.messages(running.chat_id) if m.document is not None]
        # What the bot's /export will do: send a file to the user.
        await running.application.bot.send_document(
            running.chat_id, document=b"date,amount\n", filename="export.csv", caption="Your export"
        )
        view.refresh()

    saved = tmp_path / "data" / "downloads" / "export.csv"
    assert [m.document.content for m in sent if m.document] == [upload.read_bytes()]
    assert saved.read_bytes() == b"date,amount\n"
    assert any(f"📎 export.csv (12 bytes) saved to {saved}" in entry and "Your export" in entry for entry in shown)
    assert any("📤 sent old-trades.csv" in line for line in shown)


NO_EARN_SCRIPT = """
/connect
? Connect your exchanges
[Bybit]
? ✅ Bybit
[Confirm exchanges]
? paste your API key
{bybit.no_earn.api_key}
? paste your Secret key
{bybit.no_earn.secret}
? Check the key
[Check and connect]
? is connected
"""


async def test_the_bybit_key_without_earn_is_offered_and_connects_with_its_warning(
    settings: Settings, recorder: ErrorRecorder, tmp_path: Path
) -> None:
    steps = parse_script(NO_EARN_SCRIPT, base_dir=tmp_path)  # the placeholder names a demo key the sandbox has
    async with open_sandbox(settings, data_dir=tmp_path / "data", seed=5, errors=recorder) as running:
        listed = credentials_text(running)
        key = running.credentials("bybit", "no_earn")
        session = ScriptSession(running, ChatView(running, write=lambda _: None), wait_timeout=60)
        await session.run(steps)
        said = [m.text or "" for m in running.telegram.messages(running.chat_id)]

    bybit = listed.split("── Bybit ──", 1)[1].split("── ", 1)[0]
    outcome = "  read-only without Earn: connects with a warning, Earn skipped with the fix\n"
    assert f"{outcome}    API key     {key.api_key}\n" in bybit, bybit
    # The key check's warning (profiles.po, profile.bybit.key.no_earn) rides with the connection.
    assert any("is connected" in text and "Earn is not ticked among its permissions" in text for text in said), said
