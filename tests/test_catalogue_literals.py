"""No user-facing English outside the catalogue: every string literal that reads as English is listed, one by one.

The rule (tests/catalogue_scan.py): a string literal, or an f-string with its fields blanked, counts when it holds a
word of three letters or more that is not shaped like an identifier, a code or a URL ("waiting", "{} new",
"Selected: {}"); a button's label counts whatever it is; so do a plural built by a condition ("s" if n != 1) and a
label's case changed to fit a sentence (`label.lower()`). A lone lower-case word is taken for a code where code puts
codes (a call's argument, a collection's member, a dict's value). Not counted, each place named in the scanner:
docstrings, log calls, patterns and time formats, dict keys and subscripts, keys and columns read (`.get`,
`table.cell`), words matched (comparisons, `startswith`, names ending in `_COLUMNS`/`_WORDS`/...), annotations, enum
members, messages of built-in exceptions and of the project exceptions only ever logged, SQL, ids given to i18n.

tests/catalogue_debt.txt lists each literal still counted, per module, as a short hash of its text and its first
words. A literal not listed fails (new English: put it in the catalogue), and so does a listed one that is gone
(delete its line): a real sentence cannot take the place of a false hit, and the list only shrinks.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from tests.catalogue_scan import (
    LITERAL_PACKAGES,
    LOG_FUNCTIONS,
    LOG_ONLY_EXCEPTIONS,
    NOT_USER_FACING,
    Literal,
    english_literals,
    module_files,
    parsed,
    scan_literals,
)

DEBT_FILE = Path(__file__).resolve().parent / "catalogue_debt.txt"


def read_debt(text: str) -> Counter[tuple[str, str]]:
    """(module, hash) -> how many times listed; the words after the hash are for the reader."""
    debt: Counter[tuple[str, str]] = Counter()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        module, digest = raw.split()[:2]
        assert len(digest) == 8, f"catalogue_debt.txt line {number}: no hash after the module"
        debt[(module, digest)] += 1
    return debt


def debt_problems(found: dict[str, list[Literal]], debt: Counter[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(new literals, stale debt lines): both must be empty."""
    seen: Counter[tuple[str, str]] = Counter()
    texts: dict[tuple[str, str], str] = {}
    for module, literals in found.items():
        for literal in literals:
            key = (module, literal.key.split()[0])
            seen[key] += 1
            texts[key] = f"{module}:{literal.line}  {literal.key}"
    new = sorted(texts[key] for key in seen - debt)
    stale = sorted(f"{module}  {digest}" for module, digest in debt - seen)
    return new, stale


def test_english_outside_the_catalogue_is_only_the_listed_debt() -> None:
    new, stale = debt_problems(scan_literals(), read_debt(DEBT_FILE.read_text(encoding="utf-8")))
    assert not new, f"new user-facing English; move it to the catalogue (or mark a code as the scanner says): {new}"
    assert not stale, f"gone from the code, well done: delete these lines from tests/catalogue_debt.txt: {stale}"


def test_a_sentence_cannot_take_the_place_of_a_listed_literal() -> None:
    listed = [Literal("bot/x.py", 3, "spot")]
    debt = Counter({("bot/x.py", listed[0].key.split()[0]): 1})
    assert debt_problems({"bot/x.py": listed}, debt) == ([], [])
    swapped = [Literal("bot/x.py", 3, "Your sync failed")]
    new, stale = debt_problems({"bot/x.py": swapped}, debt)
    assert [line.split("  ")[0] for line in new] == ["bot/x.py:3"] and stale == [f"bot/x.py  {listed[0].key[:8]}"]
    # A second copy of a listed text is new too.
    assert debt_problems({"bot/x.py": listed * 2}, debt)[0] != []


def test_with_the_debt_paid_off_any_literal_is_new() -> None:
    # The debt file holds only its header now: it reads as no debt, and a literal found anywhere fails.
    header_only = "# User-facing English not yet in the catalogue\n#   module  hash  first words\n\n"
    assert read_debt(header_only) == Counter()
    found = {"connectors/x.py": [Literal("connectors/x.py", 7, "card purchase")]}
    new, stale = debt_problems(found, read_debt(header_only))
    assert new == [f"connectors/x.py:7  {found['connectors/x.py'][0].key}"] and stale == []
    assert debt_problems({}, read_debt(header_only)) == ([], [])


def test_the_debt_and_the_operator_list_name_real_modules() -> None:
    modules = module_files(LITERAL_PACKAGES)
    for module, _ in read_debt(DEBT_FILE.read_text(encoding="utf-8")):
        assert module in modules, f"{module} is not a module of {LITERAL_PACKAGES}"
        assert module not in NOT_USER_FACING, f"{module} is both in the debt and the operator's list"
    for module in NOT_USER_FACING:
        assert module in modules, f"{module} is not a module of {LITERAL_PACKAGES}"
    for module, function in LOG_FUNCTIONS:
        functions = ast.FunctionDef | ast.AsyncFunctionDef
        defined = {node.name for node in ast.walk(parsed(modules[module])) if isinstance(node, functions)}
        assert function in defined, f"{module} has no function {function} any more"
    sources = "".join(path.read_text(encoding="utf-8") for path in modules.values())
    for exception in LOG_ONLY_EXCEPTIONS:
        assert f"class {exception}(" in sources, f"no exception {exception} any more"


def test_the_scan_reads_every_module_of_the_user_facing_packages() -> None:
    # A scan that found no files would pass anything.
    modules = module_files(LITERAL_PACKAGES)
    for package in LITERAL_PACKAGES:
        assert any(module.startswith(f"{package}/") for module in modules), package
    assert "handlers/start.py" in modules and "connectors/diagnosis/diagnose.py" in modules


def scan(source: str) -> list[str]:
    return [literal.text for literal in english_literals("sample.py", ast.parse(source))]


def test_the_rule_counts_prose_f_strings_and_button_labels() -> None:
    source = r"""
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
class Meaning(StrEnum):
    REBATE = "fee rebate"
def tidy(text):
    return re.sub(r"\s+", " and then ", text).replace("{x}", "the rest")
"""
    assert sorted(scan(source)) == sorted(
        [
            "Welcome to Tallybot",
            "API key",
            "Hello {}, welcome back",
            "Cancel",
            "This file is too large",
            "fee rebate",
            " and then ",
            "the rest",
        ]
    )


def test_the_rule_counts_single_words_glued_into_a_line() -> None:
    # What /sync shows on every run: none of these has two words side by side.
    source = """
def line(fetched, new, queued, size, seconds, picked):
    detail = "waiting" if queued else f"{new:,} new"
    took = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
    rows = "row" + ("s" if new != 1 else "")
    return detail, took, rows, f"{size} bytes", "Selected: " + ", ".join(picked)
"""
    assert sorted(scan(source)) == sorted(["waiting", "{} new", "{} s", "{} min", "row", "s", "{} bytes", "Selected: "])


def test_the_rule_counts_a_label_cased_to_fit_a_sentence() -> None:
    source = """
def say(spec, name, key, filename, exchange_name, parts):
    matched = key.lower() == "x" or name.lower() == exchange_name.lower()
    suffix = filename.lower()
    return f"{spec.label.lower()} {name.capitalize()} {key.upper()} {exchange_name.upper()} {parts(1).title()}"
"""
    assert sorted(scan(source)) == [
        "exchange_name.upper()",
        "name.capitalize()",
        "parts(1).title()",
        "spec.label.lower()",
    ]


def test_the_rule_leaves_code_logs_and_developer_errors() -> None:
    source = '''
"""A module docstring with many words."""
import logging
import re
from enum import StrEnum
from i18n import t
logger = logging.getLogger(__name__)
PATTERN = re.compile(r"invalid api key")
CODES = {"invalid key": 1}
TRADE_COLUMNS = ("filled price", "Date Updated")
SIDE_WORDS = {"Buy": "buy"}
class Status(StrEnum):
    QUEUED = "queued"
class PermissionsUnreadable(Exception):
    pass
def f(message, row, table, record):
    """A function docstring."""
    logger.warning("sync failed for some reason")
    if "Invalid API-key, IP" in message:
        return t("diagnosis.invalid key")
    if not row:
        raise ValueError("row must not be empty")
    if message.startswith("Order filled"):
        raise PermissionsUnreadable("data is not a list of keys")
    sql = ("SELECT id FROM users", "BEGIN IMMEDIATE")
    price = table.cell(row, "filled price")
    side = record.get("side", "buy")
    shown = record.get("status", "Unknown status")
    kinds = ("trades", "deposits")
    return ("fetch_my_trades", "margin:isolated", "PRIVATE KEY", "apiKey", "USDT", sql, row["Date Updated"])
'''
    assert scan(source) == ["Unknown status"]  # a default after the key may be shown
