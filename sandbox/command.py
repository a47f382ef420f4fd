"""`tallybot sandbox`, the command: a data directory, logs to a file, then the terminal chat or a script.

The sandbox itself (emulators, demo keys, the bot) is `sandbox.runner`; the two ways to talk to it are
`sandbox.terminal` and `sandbox.script`. This module sits above all three so that none of them imports another's
caller (they used to import each other in a circle through `runner.run_sandbox`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.settings import Settings
from sandbox import script as scripted
from sandbox import terminal
from sandbox.runner import LOG_FILE_NAME, ErrorRecorder

DEFAULT_WAIT_TIMEOUT = 30.0


@contextmanager
def data_directory(given: Path | None) -> Iterator[Path]:
    """The directory given, kept; else a fresh temporary one, removed at exit."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="tallybot-sandbox-") as temporary:
        yield Path(temporary)


@contextmanager
def logs_to_file(path: Path) -> Iterator[ErrorRecorder]:
    """Send every log record to `path` instead of the terminal, and collect the errors among them."""
    root = logging.getLogger()
    saved = root.handlers[:]
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    recorder = ErrorRecorder()
    root.handlers = [file_handler, recorder]
    try:
        yield recorder
    finally:
        root.handlers = saved
        file_handler.close()


def run_sandbox(
    settings: Settings,
    *,
    data_dir: Path | None = None,
    script: Path | None = None,
    seed: int = 1,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
) -> int:
    """Run the terminal chat, or `script` non-interactively; the process exit code."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Emoji in replies must not crash a terminal whose encoding lacks them.
        sys.stdout.reconfigure(errors="replace")
    steps = None
    if script is not None:
        try:
            steps = scripted.load_script(script)
        except scripted.ScriptError as exc:
            print(f"tallybot sandbox: {exc}", file=sys.stderr)
            return 2
    with data_directory(data_dir) as directory, logs_to_file(directory / LOG_FILE_NAME) as errors:
        if steps is not None and script is not None:
            return asyncio.run(scripted.run_script(settings, steps, script, directory, errors, seed, wait_timeout))
        return asyncio.run(terminal.chat(settings, directory, errors, seed, keep_data=data_dir is not None))
