"""No user-facing English outside the catalogue: string literals that read like prose are counted per module.

The rule (tests/catalogue_scan.py): a string literal, or an f-string with its fields blanked, counts when it holds two
words of prose side by side ("went wrong", "Rows read"), or when it is a button's label whatever its length. Not
counted: docstrings, log calls, regular expressions and time formats, dict keys and subscripts, comparisons (matching
an exchange's words), annotations, messages of built-in exceptions (a developer's; the user sees the error handler's
text), SQL, settings such as `cascade=`, and ids given to i18n. A project exception's message is counted: it may be
shown.

Modules not yet migrated are listed in tests/catalogue_debt.txt with their count. The count must match exactly:
more means new English (put it in the catalogue), fewer means a module was migrated (lower the number, or delete the
line at zero). So the list only shrinks, and it cannot drift from the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.catalogue_scan import (
    LITERAL_PACKAGES,
    LOG_FUNCTIONS,
    NOT_USER_FACING,
    english_literals,
    literal_counts,
    module_files,
    parsed,
)

DEBT_FILE = Path(__file__).resolve().parent / "catalogue_debt.txt"


def read_debt() -> dict[str, int]:
    debt: dict[str, int] = {}
    for number, raw in enumerate(DEBT_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        module, count = line.split()
        assert module not in debt, f"catalogue_debt.txt line {number}: {module} listed twice"
        debt[module] = int(count)
    return debt


def test_english_outside_the_catalogue_is_only_the_listed_debt() -> None:
    found = {module: count for module, count in literal_counts().items() if module not in NOT_USER_FACING}
    debt = read_debt()
    grown = {m: (debt.get(m, 0), n) for m, n in found.items() if n > debt.get(m, 0)}
    shrunk = {m: (n, found.get(m, 0)) for m, n in debt.items() if found.get(m, 0) < n}
    assert not grown, f"new user-facing English (module: (allowed, found)); move it to the catalogue: {grown}"
    assert not shrunk, f"migrated, well done: lower these counts in tests/catalogue_debt.txt (allowed, now): {shrunk}"


def test_the_debt_and_the_operator_list_name_real_modules() -> None:
    modules = module_files(LITERAL_PACKAGES)
    for module in [*read_debt(), *NOT_USER_FACING]:
        assert module in modules, f"{module} is not a module of {LITERAL_PACKAGES}"
    assert all(count > 0 for count in read_debt().values()), "a module at 0 leaves catalogue_debt.txt"
    for module, function in LOG_FUNCTIONS:
        defined = {node.name for node in ast.walk(parsed(modules[module])) if isinstance(node, ast.FunctionDef)}
        assert function in defined, f"{module} has no function {function} any more"


def test_the_scan_reads_every_module_of_the_user_facing_packages() -> None:
    # A scan that found no files would pass anything.
    modules = module_files(LITERAL_PACKAGES)
    for package in LITERAL_PACKAGES:
        assert any(module.startswith(f"{package}/") for module in modules), package
    assert "handlers/start.py" in modules and "connectors/diagnosis/diagnose.py" in modules


def scan(source: str) -> list[str]:
    return [literal.text for literal in english_literals("sample.py", ast.parse(source))]


def test_the_rule_counts_prose_f_strings_and_button_labels() -> None:
    source = """
from telegram import InlineKeyboardButton
GREETING = "Welcome to Tallybot"
LABEL = "API key"
def hello(name):
    return f"Hello {name}, welcome back"
BUTTON = InlineKeyboardButton("Cancel", callback_data="x:cancel")
class Refusal(Exception):
    pass
def refuse():
    raise Refusal("This file is too large")
"""
    assert scan(source) == [
        "Welcome to Tallybot",
        "API key",
        "Hello {}, welcome back",
        "Cancel",
        "This file is too large",
    ]


def test_the_rule_leaves_code_logs_and_developer_errors() -> None:
    source = '''
"""A module docstring with many words."""
import logging
import re
from i18n import t
logger = logging.getLogger(__name__)
PATTERN = re.compile(r"invalid api key")
CODES = {"invalid key": 1}
def f(message, row):
    """A function docstring."""
    logger.warning("sync failed for some reason")
    if "Invalid API-key, IP" in message:
        return t("diagnosis.invalid key")
    if not row:
        raise ValueError("row must not be empty")
    sql = ("SELECT id FROM users", "BEGIN IMMEDIATE")
    return ("fetch_my_trades", "margin:isolated", "PRIVATE KEY", sql, row["Date Updated"])
'''
    assert scan(source) == []
