"""Tallybot's benchmarks (issue 8): request efficiency, ingestion, bot throughput and latency, memory.

Each is one command, ``python -m benchmarks.<name>`` (``--quick`` for a smoke-sized run, ``--json PATH`` to keep the
figures). Every figure is a count or a ratio against a baseline measured side by side in the same run, because the
machines these run on are noisy; nothing timed is asserted in the test suite. The figures measured on the project's
machine, with the commands that reproduce them, are in ``docs/BENCHMARKS.md``.
"""
