"""Reading an XLSX workbook in a child process with hard memory and CPU limits.

The limits in connectors/files/limits.py refuse every bomb we know of; a workbook that finds another way to make
openpyxl allocate (an XML shape nobody thought of) meets these instead: the child's address space is capped, so it
fails with MemoryError (or is killed) rather than taking the bot's memory, and it is killed when its time is up.
It runs beside the bot's process, so the bot's event loop and other users' work never wait on openpyxl, not even
for the GIL. The rows come back as JSON (text only: nothing the child sends can run code in the bot).

The child is this very module run by the bot's own interpreter, with a fixed argument list, no shell and a minimal
environment. Its answer is read in chunks up to a cap (MAX_ANSWER_BYTES), never buffered whole whatever its size.
CSV files are read in the bot's worker thread: reading them allocates in proportion to their ≤ 20 MB size.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess  # nosec B404
import sys
import threading
from pathlib import Path
from typing import Any

from connectors.files import errors
from connectors.files.limits import (
    MAX_CELLS,
    MAX_FILE_BYTES,
    MAX_READ_SECONDS,
    MAX_TEXT_BYTES,
    mb,
)
from connectors.files.workbook import Sheet, read_workbook
from i18n import Text

# Address space of the child: a 249,000-row, 8.7 MB workbook peaked at 210 MB resident (docs/RELIABILITY.md).
WORKER_MEMORY_BYTES = 1536 * 1024 * 1024
WORKER_GRACE_SECONDS = 15.0  # interpreter start-up and sending the rows back
# The most the bot reads of the worker's answer: the text the budget allows, plus the JSON around each cell (quotes,
# comma, brackets; escapes of quotes and backslashes beyond that are refused too). Never buffered without bound.
MAX_ANSWER_BYTES = MAX_TEXT_BYTES + 16 * MAX_CELLS
_READ_CHUNK = 1024 * 1024
# Workbooks read at once, whoever sent them: each worker may take WORKER_MEMORY_BYTES, so many users' uploads
# together stay within the machine (a third waits for a slot; users are served meanwhile, each upload in a thread).
MAX_WORKERS = 2
_slots = threading.BoundedSemaphore(MAX_WORKERS)
_ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)
_PROBLEMS: dict[str, type[errors.FileProblem]] = {
    cls.__name__: cls for cls in (errors.WrongFileType, errors.EmptyFile, errors.BrokenEncoding)
}


def read_workbook_isolated(
    data: bytes, max_seconds: float = MAX_READ_SECONDS, *, max_answer_bytes: int = MAX_ANSWER_BYTES
) -> list[Sheet]:
    """`workbook.read_workbook` in a child process; the same FileProblems, plus a refusal for memory, time or an
    answer larger than `max_answer_bytes`."""
    command = [sys.executable, "-m", "connectors.files.isolated", str(WORKER_MEMORY_BYTES), str(max_seconds)]
    with _slots:
        return _run(command, data, max_seconds, max_answer_bytes)


def _run(command: list[str], data: bytes, max_seconds: float, max_answer_bytes: int) -> list[Sheet]:
    expired = threading.Event()
    with subprocess.Popen(  # noqa: S603  # nosec B603
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=_ROOT,
        env=_child_environment(),
    ) as child:

        def stop() -> None:
            expired.set()
            child.kill()

        timer = threading.Timer(max_seconds + WORKER_GRACE_SECONDS, stop)
        timer.start()
        try:
            output = _exchange(child, data, max_answer_bytes)
            returncode = child.wait()
        finally:
            timer.cancel()
            if child.returncode is None:  # refused mid-answer: nothing more of it is read
                child.kill()
    if expired.is_set():
        raise _too_slow(max_seconds)
    if returncode != 0 or not output:
        # Killed by the CPU limit (SIGXCPU/SIGKILL) or out of memory before it could answer.
        raise _too_slow(max_seconds) if returncode in (-24, -9) else _too_much_memory()
    answer: dict[str, Any] = json.loads(output)
    logger.info("workbook read by a worker process: peak memory %s MB", answer.get("peak_mb"))
    if "sheets" in answer:
        return [Sheet(rows) for rows in answer["sheets"]]
    if answer["problem"] == "memory":
        raise _too_much_memory()
    message = errors.message_from_json(answer["message"])
    if answer["problem"] == "FileTooLarge":
        raise errors.FileTooLarge(message, MAX_FILE_BYTES)
    raise _PROBLEMS.get(answer["problem"], errors.WrongFileType)(message)


def _exchange(child: subprocess.Popen[bytes], data: bytes, max_answer_bytes: int) -> bytes:
    """Send the file, read the answer: at most `max_answer_bytes` of it. The child reads all its input before it
    writes, so writing first cannot deadlock."""
    assert child.stdin is not None and child.stdout is not None  # noqa: S101  # both are pipes
    try:
        child.stdin.write(data)
        child.stdin.close()
    except BrokenPipeError:  # it died before reading all of it: its exit code says why
        pass
    chunks: list[bytes] = []
    size = 0
    while chunk := child.stdout.read(_READ_CHUNK):
        size += len(chunk)
        if size > max_answer_bytes:
            raise _answer_too_large(max_answer_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _answer_too_large(limit: int) -> errors.FileTooLarge:
    return errors.FileTooLarge(Text.of("file.workbook.answer_too_large", size=mb(limit)), MAX_FILE_BYTES)


def _child_environment() -> dict[str, str]:
    """What the interpreter needs, and nothing of the bot's: no token or master key reaches the process that
    parses files from strangers."""
    keep = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


def _too_much_memory() -> errors.FileTooLarge:
    return errors.FileTooLarge(Text.of("file.workbook.too_much_memory", size=mb(WORKER_MEMORY_BYTES)), MAX_FILE_BYTES)


def _too_slow(seconds: float) -> errors.FileTooLarge:
    return errors.FileTooLarge(
        Text.of("file.limit.seconds", what=Text("file.what.workbook"), seconds=round(seconds)), MAX_FILE_BYTES
    )


def _child(memory_bytes: int, max_seconds: float) -> dict[str, Any]:
    data = sys.stdin.buffer.read()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cpu = int(max_seconds + WORKER_GRACE_SECONDS)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:
        sheets = read_workbook(data, max_seconds)
    except MemoryError:
        return {"problem": "memory"}
    except errors.FileProblem as problem:
        return {
            "problem": type(problem).__name__,
            "message": errors.message_as_json(problem.text),
            "peak_mb": _peak_mb(),
        }
    return {"sheets": [sheet.rows for sheet in sheets], "peak_mb": _peak_mb()}


def _peak_mb() -> int:
    """This process's own peak resident memory (VmHWM is per address space: the bot's, before exec, is not in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


if __name__ == "__main__":
    answer = _child(int(sys.argv[1]), float(sys.argv[2]))
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
