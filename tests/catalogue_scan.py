"""Reading the product's source with `ast` for the catalogue tests: which message ids the code uses, with which
arguments, and which string literals still look like English a user would read.

Nothing of the product is imported here; each module's text is parsed.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where message ids are used (every package that may render or carry a text).
ID_PACKAGES = ("bot", "handlers", "connectors", "db", "sandbox", "i18n")
# Where user-facing English may not live. `sandbox/` is a developer's tool, not a user surface.
LITERAL_PACKAGES = ("bot", "handlers", "connectors", "db")

# Modules whose English never reaches a Telegram user: those that speak only to the operator (the console, the
# process's exit line: English there is like a log line), and data formats. Each with why; a module that gains a
# user-facing text must leave this list.
NOT_USER_FACING: dict[str, str] = {
    "bot/cli.py": "the tallybot command's output",
    "bot/settings.py": "configuration errors printed at start-up",
    "bot/startup.py": "why the process cannot start (database unreachable, damaged, ...)",
    "bot/vault.py": "master-key errors at start-up and in `tallybot rotate-key`",
    "bot/rotation.py": "`tallybot rotate-key` output",
    "bot/lifecycle.py": "why the bot stopped by itself, printed by the CLI",
    "connectors/urls.py": "EXCHANGE_URL_OVERRIDES errors at start-up",
    "db/migrations/env.py": "alembic run offline",
    "db/migrations/versions/0010_texts_as_ids.py": "the English that old rows hold, matched back to catalogue ids",
}

# Functions whose strings are a log line about an error, never shown to a user (each with why).
LOG_FUNCTIONS: dict[tuple[str, str], str] = {
    ("connectors/diagnosis/facts.py", "safe_summary"): "the redacted one-line summary of an exchange error for logs",
    ("handlers/errors.py", "summarize"): "where an update failed, for the error log",
}

# The i18n names whose first argument is a message id.
ID_FUNCTIONS = frozenset({"t", "tn", "Text", "msgid"})


def module_files(packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of `packages`, keyed by its path relative to the repository (`bot/texts.py`)."""
    return {
        path.relative_to(ROOT).as_posix(): path
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
    }


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


# --- message ids -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdUse:
    module: str
    line: int
    function: str  # t, tn, Text, Text.of, msgid
    msgid: str | None  # None: the id is computed, not a literal
    args: frozenset[str] | None  # keyword names passed; None when not statically visible (**kwargs, a variable)


def i18n_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> i18n name, for the id functions this module imports from `i18n` (aliases included)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None and node.module.split(".")[0] == "i18n":
            for alias in node.names:
                if alias.name in ID_FUNCTIONS:
                    names[alias.asname or alias.name] = alias.name
    return names


def id_uses(module: str, tree: ast.Module) -> Iterator[IdUse]:
    local = i18n_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = called_id_function(node.func, local)
        if function is None:
            continue
        first = node.args[0] if node.args else None
        literal = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        yield IdUse(module, node.lineno, function, literal, passed_args(function, node))


def called_id_function(func: ast.expr, local: dict[str, str]) -> str | None:
    if isinstance(func, ast.Name) and func.id in local:
        return local[func.id]
    if isinstance(func, ast.Attribute):
        # Text.of("id", ...) and i18n.t("id", ...)
        if func.attr == "of" and isinstance(func.value, ast.Name) and local.get(func.value.id) == "Text":
            return "Text.of"
        if isinstance(func.value, ast.Name) and func.value.id == "i18n" and func.attr in ID_FUNCTIONS:
            return func.attr
    return None


def passed_args(function: str, call: ast.Call) -> frozenset[str] | None:
    if function == "msgid":
        return None
    if function == "Text":
        if len(call.args) < 2 and not call.keywords:
            return frozenset()
        mapping = (
            call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "args"), None)
        )
        if isinstance(mapping, ast.Dict) and all(isinstance(k, ast.Constant) for k in mapping.keys):
            return frozenset(str(k.value) for k in mapping.keys if isinstance(k, ast.Constant))
        return None
    if any(keyword.arg is None for keyword in call.keywords):
        return None  # **kwargs
    names = frozenset(keyword.arg for keyword in call.keywords if keyword.arg is not None) - {"locale"}
    # tn's count is positional and fills {count}.
    return names | {"count"} if function == "tn" else names


@cache
def all_id_uses() -> tuple[IdUse, ...]:
    return tuple(use for module, path in module_files(ID_PACKAGES).items() for use in id_uses(module, parsed(path)))


# --- English literals --------------------------------------------------------------------------------------------

# Two words of prose side by side ("went wrong", "Rows read", "Sorry, something"): what a sentence, a label of
# two words or a fragment glued into one has. Identifiers, codes, paths, formats and single symbols do not.
# A word may be an acronym ("API key"); the word after it is lower case or capitalised, never all capitals (a PEM
# label such as "PRIVATE KEY", an SQL keyword, a code).
PROSE = re.compile(r"[A-Za-z][A-Za-z']+[,;:]? +(?:[a-z][a-z']*|[A-Z][a-z']+)\b")
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH|PRAGMA|LOCK|SET|BEGIN)\b")
# Keyword arguments that take a setting, not a text (SQLAlchemy's `cascade="all, delete-orphan"`; a profile's
# `aliases`, the words a search matches).
SETTING_KEYWORDS = frozenset({"cascade", "ondelete", "onupdate", "server_default", "lazy", "aliases"})
# Calls whose text goes to the operator's log, not to a user.
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
LOG_OBJECTS = frozenset({"logger", "log", "logging", "LOGGER", "_log", "_logger"})
# Calls whose string is a pattern or a format, not prose.
PATTERN_CALLS = frozenset(
    {"compile", "match", "search", "fullmatch", "sub", "split", "findall", "strftime", "strptime"}
)
# A button's label is English even when it is one word ("Cancel"): counted whatever it looks like.
BUTTON_CALLS = frozenset({"InlineKeyboardButton", "KeyboardButton", "BotCommand", "button"})
# Exceptions a developer reads (built-in ones): their messages never reach a user, who sees the error handler's
# text. A project exception is counted: its message may be shown.
DEVELOPER_EXCEPTIONS = frozenset(
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and name.endswith(("Error", "Exception"))
)


@dataclass(frozen=True)
class Literal:
    module: str
    line: int
    text: str


def english_literals(module: str, tree: ast.Module) -> list[Literal]:
    skipped = skipped_nodes(module, tree)
    found: list[Literal] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            skipped.update(id(v) for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if id(node) in buttons_of(tree) or looks_like_prose(text):
            found.append(Literal(module, node.lineno, text))
    return found


def looks_like_prose(text: str) -> bool:
    return bool(PROSE.search(text)) and not SQL.match(text)


@cache
def buttons_of(tree: ast.Module) -> frozenset[int]:
    """The string literals given to a button as its label (first argument or `text=`)."""
    labels: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node.func) in BUTTON_CALLS:
            candidates = node.args[:1] + [k.value for k in node.keywords if k.arg == "text"]
            labels.update(id(c) for c in candidates if isinstance(c, ast.Constant | ast.JoinedStr))
    return frozenset(labels)


def call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def skipped_nodes(module: str, tree: ast.Module) -> set[int]:
    """Literals that are not text for a user: docstrings, log calls, patterns, dict keys, comparisons with an
    exchange's answer, developer exceptions, annotations, message ids given to i18n."""
    skip: set[int] = set()

    def drop(node: ast.AST) -> None:
        skip.update(id(inner) for inner in ast.walk(node))

    local_i18n = i18n_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr):
            drop(node)  # a docstring, or a string standing alone as a comment (an attribute's docstring)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (module, node.name) in LOG_FUNCTIONS:
            drop(node)
        elif isinstance(node, ast.Call):
            name = call_name(node.func)
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            is_log = name in LOG_METHODS and (
                (isinstance(owner, ast.Name) and owner.id in LOG_OBJECTS)
                or (isinstance(owner, ast.Attribute) and owner.attr in LOG_OBJECTS)
            )
            if is_log or name in PATTERN_CALLS or name == "warn":
                drop(node)
            elif called_id_function(node.func, local_i18n) is not None and node.args:
                drop(node.args[0])
            for keyword in node.keywords:
                if keyword.arg in SETTING_KEYWORDS:
                    drop(keyword.value)
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            if call_name(node.exc.func) in DEVELOPER_EXCEPTIONS:
                drop(node.exc)
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    drop(key)
        elif isinstance(node, ast.Subscript):
            drop(node.slice)
        elif isinstance(node, ast.Compare):
            # `"Invalid API-key" in message`: matching an exchange's words, not saying ours.
            drop(node)
        elif isinstance(node, ast.AnnAssign):
            drop(node.annotation)
        elif isinstance(node, ast.arg | ast.FunctionDef | ast.AsyncFunctionDef):
            annotation = node.annotation if isinstance(node, ast.arg) else node.returns
            if annotation is not None:
                drop(annotation)
    return skip


@cache
def literal_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for module, path in module_files(LITERAL_PACKAGES).items():
        found = english_literals(module, parsed(path))
        if found:
            counts[module] = len(found)
    return counts


if __name__ == "__main__":
    # `python -m tests.catalogue_scan`: today's counts, in catalogue_debt.txt's format, to compare or lower by hand.
    for module_path, count in sorted(literal_counts().items()):
        if module_path not in NOT_USER_FACING:
            print(module_path, count)
