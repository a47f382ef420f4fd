"""`tallybot run` as a real process, against emulators running in the test's own event loop.

The start-up, instance-lock and shutdown findings of issue 12 are about the program an operator starts: its exit
code, what it prints, how it answers signals. So these tests start the console command itself (`python -m bot run`,
what the `tallybot` script calls), configured only through the environment, with stdout and stderr in files.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.conftest import REPO_ROOT

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")
UP = "Tallybot is up as @"


def clean_environment(**values: str) -> dict[str, str]:
    """The caller's environment without Tallybot's settings, plus `values` (a stray .env is not read: the process
    runs in its data directory's parent, which has none)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TALLYBOT_", "TELEGRAM_", "DATABASE_URL", "EXCHANGE_URL_OVERRIDES", "LOG_LEVEL"))
    }
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(values)
    return env


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    stderr_path: Path
    stdout_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr()

    def problem_lines(self) -> list[str]:
        """What the process printed that is not a log record: the lines an operator reads as the error."""
        return [line for line in self.output().splitlines() if line.strip() and not LOG_LINE.match(line)]

    async def wait_for(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr():
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"the bot exited ({code}) before saying {text!r}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not say {text!r} in {timeout} s:\n{self.output()}")
            await asyncio.sleep(0.05)

    async def exited(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not exit in {timeout} s:\n{self.output()}")
            await asyncio.sleep(0.05)
        return self.process.returncode

    def signal(self, number: int = signal.SIGTERM) -> None:
        self.process.send_signal(number)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def start_tallybot(
    workdir: Path,
    env: dict[str, str],
    *args: str,
    name: str = "bot",
    preexec: Callable[[], None] | None = None,
    root: Path = REPO_ROOT,
) -> BotProcess:
    """`tallybot <args>` (default `run`) in `workdir`, output in files named after `name`."""
    workdir.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = workdir / f"{name}.stdout", workdir / f"{name}.stderr"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bot", *(args or ("run",))],
            cwd=workdir,
            env={**env, "PYTHONPATH": str(root)},
            stdout=out,
            stderr=err,
            preexec_fn=preexec,
        )
    return BotProcess(process, stderr_path, stdout_path)


async def run_tallybot(workdir: Path, env: dict[str, str], *args: str, timeout: float = 120.0) -> BotProcess:
    """`tallybot <args>` to the end (a command that exits by itself), the event loop serving emulators meanwhile."""
    bot = start_tallybot(workdir, env, *args, name=args[0] if args else "run")
    await bot.exited(timeout)
    return bot
