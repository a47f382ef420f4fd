"""Reading the product's source with `ast` for the catalogue tests: which message ids the code uses, with which
arguments, and which string literals still look like English a user would read.

Nothing of the product is imported here; each module's text is parsed.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import re
from collections.abc import Callable, Iterator
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
    "bot/instance.py": "the instance lease: its holder (host, pid, since) is named in the refusal the CLI prints "
    "(bot/lifecycle.py, bot/rotation.py); lease names are codes",
    "connectors/urls.py": "EXCHANGE_URL_OVERRIDES errors at start-up",
    "db/migrations/env.py": "alembic run offline",
    "db/migrations/versions/0010_texts_as_ids.py": "the English that old rows hold, matched back to catalogue ids",
    "db/migrations/versions/0016_kraken_convert_legs.py": "rewrites stored rows: an exchange id and ledger type codes",
}

# Functions whose strings only a developer or the operator reads (a log line, a traceback, a diagnostic report),
# never shown to a user (each with why).
LOG_FUNCTIONS: dict[tuple[str, str], str] = {
    ("connectors/diagnosis/facts.py", "safe_summary"): "the redacted one-line summary of an exchange error for logs",
    ("handlers/errors.py", "summarize"): "where an update failed, for the error log",
    ("bot/secret.py", "__repr__"): "what a Secret looks like in a traceback or a log: the mask",
    ("connectors/profiles/private_keys.py", "__repr__"): "what a private key looks like in a traceback or a log",
    ("connectors/fetchers/base.py", "__init__"): "the messages of RateLimited and UnsupportedEndpoint, read in "
    "tracebacks: the sync engine words both from the catalogue (sync.gap.rate_limited, sync.skip.*)",
    # Why market discovery asks a market or leaves it for later (FetchReport.market_sources, markets_not_scanned):
    # read by tests and the request benchmark, neither stored nor shown.
    ("connectors/fetchers/discovery.py", "plan_markets"): "why each market is asked or left out, for tests",
    ("connectors/fetchers/discovery.py", "_candidate"): "why a new market is probed, for tests",
    ("connectors/fetchers/generic.py", "_per_market"): "why the generic fetcher asks each market, for tests",
    # A ccxt error written in ccxt's way ("okx ..."): connectors/diagnosis reads its type and message for facts and
    # logs it through safe_summary; /status shows the diagnosis' catalogue text (exchange_down, network_error).
    ("connectors/fetchers/okx/archive_files.py", "_download"): "the ccxt errors of a failed archive download, "
    "read by the diagnosis and logged",
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
#
# The rule: a string literal (an f-string with its fields blanked) counts when it holds one word a user reads: three
# letters or more, lower case or capitalised ("waiting", "min", "{} new", "Selected: {}"). A token shaped like an
# identifier, a code or a URL is not such a word: ALL CAPS ("GET", "USDT"), camelCase ("apiKey"), snake_case,
# dotted or hyphenated names, anything with a digit, format fields. So a literal made only of those never counts,
# and any literal with one real word does, wherever it is, unless it sits in one of the named places below.
# Besides literals, two habits that build English in code are counted: a bare "s"/"es" chosen by a condition (a
# plural by `if`), and `.lower()`/`.upper()`/`.capitalize()`/`.title()` on a label, title, phrase or name.

# A lone lower-case word ("spot", "fee", "waiting") is shaped like a code as much as like a word: code_positions().
LONE_CODE = re.compile(r"^[a-z]+$")
# An enum member's value shaped like a code.
ENUM_CODE = re.compile(r"^[a-z0-9_.:-]*$")
# Classes called with codes (an enum's value, a frozenset of codes), not texts. Also those whose lone words are ids:
# a command's name, a button family's prefix and its fields' names (handlers/callbacks.py: the parts of a button's
# data), a profile's exchange id, key type id and credential names (its texts are catalogue `Text`s; a sentence in
# them still counts, only a lone lower-case word is taken for the id it is), the columns a table's constraints
# and indexes name, and an upload format's name, exchange id and column specs (its title is a message id).
ENUM_CALLS = frozenset(
    {
        "RecordKind",
        "EndpointStatus",
        "Decimal",
        "Path",
        "PurePath",
        "Family",
        "Field",
        "ExchangeProfile",
        "KeyType",
        "CredentialField",
        "GeneratedKey",
        "CommandHandler",
        "UniqueConstraint",
        "PrimaryKeyConstraint",
        "ForeignKey",
        "Index",
        "FileFormat",
    }
)
WORD = re.compile(r"^[A-Za-z][a-z]{2,}(?:'[a-z]{1,2})?$")
FIELDS = re.compile(r"\{[^{}]*\}|%[-+ 0#]*\d*(?:\.\d+)?[sdifrx]")
# A number's unit or noun after it, however short: "{} s", "{} ms", "{} min".
UNIT = re.compile(r"\{\} +[a-z]+\b")
URLS = re.compile(r"\b(?:https?|wss?)://\S+")
# Punctuation around a word in a sentence: "(Selected:", "rows.", "“waiting”".
AROUND = "()[]<>\"'`,.;:!?…•*“”‘’«»–—"
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH|PRAGMA|LOCK|SET|BEGIN)\b")
# A plural built by a condition: `"s" if count != 1 else ""`.
PLURAL_SUFFIXES = frozenset({"s", "es"})
# Case changed on a text to fit it into a sentence: `.capitalize()`/`.title()` on anything (they serve nothing but
# display), `.lower()`/`.upper()` on a receiver named like a text (`spec.label`, `exchange_name`, `name`; not
# `filename`). Not in a comparison: matching case-blind is not wording.
CASED_NAMES = ("label", "title", "phrase", "caption", "_name")
DISPLAY_CASE_METHODS = frozenset({"capitalize", "title"})
CASE_METHODS = frozenset({"lower", "upper"}) | DISPLAY_CASE_METHODS

# --- where a literal is not a text: each place named, with why --------------------------------------------------
# Keyword arguments that take a setting, not a text (SQLAlchemy's `cascade="all, delete-orphan"`; a profile's
# `aliases`, the words a search matches).
SETTING_KEYWORDS = frozenset({"cascade", "ondelete", "onupdate", "server_default", "lazy", "aliases"})
# Calls whose text goes to the operator's log, not to a user.
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
LOG_OBJECTS = frozenset({"logger", "log", "logging", "LOGGER", "_log", "_logger"})
# Calls whose first argument is a pattern (`re.compile(r"...")`, `re.sub(pattern, ...)`: a replacement after it may
# be a text) and calls whose every string is a time format.
PATTERN_CALLS = frozenset({"compile", "match", "search", "fullmatch", "split", "findall", "finditer"})
RE_ONLY_CALLS = frozenset({"sub", "subn"})  # only as `re.sub(...)`: a compiled pattern's `.sub()` starts with the text
FORMAT_CALLS = frozenset({"strftime", "strptime"})
# Calls whose argument at this position names a key, an attribute or a column (matched, never shown by us): a
# mapping's `.get("fee")`, `getattr(x, "label")`, an uploaded table's `table.cell(row, "filled price")`, SQL's
# `sa.column("id")` and a migration's `sa.Column("language", ...)`. Only that argument: a default after it
# (`.get(key, "Unknown")`) may be a text.
KEY_CALLS: dict[str, int] = {
    "get": 0,
    "pop": 0,
    "setdefault": 0,
    "getenv": 0,
    "getattr": 1,
    "hasattr": 1,
    "setattr": 1,
    "cell": 1,
    "column": 0,
    "Column": 0,
}
# String methods whose arguments are matched against a value (an exchange's or a file's words), not said.
MATCH_METHODS = frozenset(
    {
        "startswith",
        "endswith",
        "removeprefix",
        "removesuffix",
        "strip",
        "lstrip",
        "rstrip",
        "replace",
        "find",
        "index",
        "count",
        "partition",
        "rpartition",
        "encode",
        "decode",
    }
)
# A module-level or class-level name ending so holds words matched against an exchange's answer or an uploaded
# file (column headers, sign words such as "Buy"/"卖出", type names): never shown by us.
MATCH_ONLY_SUFFIXES = ("_COLUMNS", "_HEADERS", "_WORDS", "_MATCH_ONLY")
# Where a module-level `NAME` holds a proper name, the same in every language: an exchange profile's own name.
PROPER_NAME_MODULES = ("connectors/profiles/catalog/",)
# A button's label is English even when it is one word ("Cancel"): counted wherever it is.
BUTTON_CALLS = frozenset({"InlineKeyboardButton", "KeyboardButton", "BotCommand", "button"})
# Exceptions a developer reads (built-in ones): their messages never reach a user, who sees the error handler's
# text. A project exception is counted (its message may be shown) unless it is named here with who reads it.
DEVELOPER_EXCEPTIONS = frozenset(
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and name.endswith(("Error", "Exception"))
)
LOG_ONLY_EXCEPTIONS: dict[str, str] = {
    "PermissionsUnreadable": "connectors/keycheck.py logs its message (the field at fault); the user is shown "
    "diagnosis.unreadable_permissions",
    "VaultError": "the vault's refusals: printed by the tallybot command (bot/cli.py) or logged by the error handler, "
    "whose user reads the generic apology (error.internal)",
}


@dataclass(frozen=True)
class Literal:
    module: str
    line: int
    text: str

    @property
    def key(self) -> str:
        """How catalogue_debt.txt names this literal: a short stable hash of its text, then its first words."""
        digest = hashlib.sha1(self.text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
        words = " ".join(self.text.split())
        return f"{digest} {words[:48]}"


def english_literals(module: str, tree: ast.Module) -> list[Literal]:
    skipped = skipped_nodes(module, tree)
    plurals = plural_suffixes(tree)
    codes = code_positions(tree)
    found: list[Literal] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Call) and (cased := cased_text(node)) is not None:
            found.append(Literal(module, node.lineno, cased))
        if isinstance(node, ast.JoinedStr):
            text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
            skipped.update(id(v) for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        a_code = bool(LONE_CODE.match(text)) and id(node) in codes
        if id(node) in buttons_of(tree) or id(node) in plurals or (reads_as_english(text) and not a_code):
            found.append(Literal(module, node.lineno, text))
    return found


def code_positions(tree: ast.Module) -> frozenset[int]:
    """The places where a lone lower-case word is a code: an argument of a call that is not a text's (not an i18n
    id function, a button, or an exception), a member of a tuple, list or set, a dict's value, a parameter's
    default. Elsewhere (a variable, a conditional's branch, a return, a concatenation) it counts as English."""
    texts = BUTTON_CALLS | ID_FUNCTIONS | {"of"}
    places: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = call_name(node.func)
            if name in texts or ((name or "")[:1].isupper() and name not in ENUM_CALLS):
                continue  # a text's arguments, or a class's (an exception's message, a result's field)
            places.update(id(a) for a in node.args)
            places.update(id(k.value) for k in node.keywords)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            places.update(id(e) for e in node.elts)
        elif isinstance(node, ast.Dict):
            places.update(id(v) for v in node.values)
        elif isinstance(node, ast.arguments):
            places.update(id(d) for d in [*node.defaults, *node.kw_defaults] if d is not None)
    return frozenset(places)


def reads_as_english(text: str) -> bool:
    if SQL.match(text):
        return False
    plain = URLS.sub(" ", FIELDS.sub(" {} ", text))
    return bool(UNIT.search(plain)) or any(WORD.match(token.strip(AROUND)) for token in plain.split())


def plural_suffixes(tree: ast.Module) -> frozenset[int]:
    """`"s"`/`"es"` as a branch of a conditional expression: English plural grammar built in code."""
    return frozenset(
        id(branch)
        for node in ast.walk(tree)
        if isinstance(node, ast.IfExp)
        for branch in (node.body, node.orelse)
        if isinstance(branch, ast.Constant) and branch.value in PLURAL_SUFFIXES
    )


def cased_text(call: ast.Call) -> str | None:
    """`label.lower()`, `spec.label.lower()`, `name.capitalize()`: a text's case changed to fit a sentence."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in CASE_METHODS and not call.args):
        return None
    receiver = func.value
    name = call_name(receiver.func) if isinstance(receiver, ast.Call) else call_name(receiver)
    named_as_text = name is not None and (name == "name" or name.lower().endswith(CASED_NAMES))
    if func.attr not in DISPLAY_CASE_METHODS and not named_as_text:
        return None
    return f"{ast.unparse(receiver)}.{func.attr}()"


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


def assigned_names(node: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [target.id for target in targets if isinstance(target, ast.Name)]


def is_enum(node: ast.ClassDef) -> bool:
    return any((call_name(base) or "").endswith("Enum") for base in node.bases)


def skipped_nodes(module: str, tree: ast.Module) -> set[int]:
    """Literals that are not text for a user: docstrings, log calls, patterns, dict keys, keys and columns read,
    words matched, comparisons with an exchange's answer, developer exceptions, annotations, enum members' values
    (codes), message ids given to i18n."""
    skip: set[int] = set()

    def drop(node: ast.AST) -> None:
        skip.update(id(inner) for inner in ast.walk(node))

    local_i18n = i18n_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr):
            drop(node)  # a docstring, or a string standing alone as a comment (an attribute's docstring)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (module, node.name) in LOG_FUNCTIONS:
            drop(node)
        elif isinstance(node, ast.ClassDef) and is_enum(node):
            for statement in node.body:
                value = statement.value if isinstance(statement, ast.Assign) else None
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and ENUM_CODE.match(value.value):
                    drop(value)  # `QUEUED = "queued"`: a code stored and compared (a "Cancel" value still counts)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and any(
            name.endswith(MATCH_ONLY_SUFFIXES)
            or name in ("__all__", "__tablename__")
            or (name == "NAME" and module.startswith(PROPER_NAME_MODULES))
            for name in assigned_names(node)
        ):  # words matched, the names a module exports, a table's name, an exchange's name
            if node.value is not None:
                drop(node.value)
        elif isinstance(node, ast.Call):
            skip_in_call(node, local_i18n, drop)
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            if call_name(node.exc.func) in DEVELOPER_EXCEPTIONS or call_name(node.exc.func) in LOG_ONLY_EXCEPTIONS:
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
        elif isinstance(node, ast.match_case):
            drop(node.pattern)
        elif isinstance(node, ast.AnnAssign):
            drop(node.annotation)
        elif isinstance(node, ast.arg | ast.FunctionDef | ast.AsyncFunctionDef):
            annotation = node.annotation if isinstance(node, ast.arg) else node.returns
            if annotation is not None:
                drop(annotation)
    return skip


def skip_in_call(node: ast.Call, local_i18n: dict[str, str], drop: Callable[[ast.AST], None]) -> None:
    name = call_name(node.func)
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    is_log = name in LOG_METHODS and (
        (isinstance(owner, ast.Name) and owner.id in LOG_OBJECTS)
        or (isinstance(owner, ast.Attribute) and owner.attr in LOG_OBJECTS)
    )
    is_re = name in RE_ONLY_CALLS and isinstance(owner, ast.Name) and owner.id == "re"
    if is_log or name in FORMAT_CALLS or name == "warn":
        drop(node)
    elif (name in PATTERN_CALLS or is_re or called_id_function(node.func, local_i18n) is not None) and node.args:
        drop(node.args[0])  # the pattern, or the message id given to i18n
    elif name in KEY_CALLS and len(node.args) > KEY_CALLS[name]:
        drop(node.args[KEY_CALLS[name]])
    elif name in MATCH_METHODS and owner is not None and node.args:
        drop(node.args[0])  # what is looked for; `.replace(old, new)`'s new may be a text
    for keyword in node.keywords:
        if keyword.arg in SETTING_KEYWORDS:
            drop(keyword.value)


def scan_literals() -> dict[str, list[Literal]]:
    """Every module's counted literals, the operator's modules left out."""
    found: dict[str, list[Literal]] = {}
    for module, path in module_files(LITERAL_PACKAGES).items():
        if module in NOT_USER_FACING:
            continue
        literals = english_literals(module, parsed(path))
        if literals:
            found[module] = literals
    return found


def debt_lines() -> list[str]:
    """Today's literals in catalogue_debt.txt's format: `module  hash first words`, one line per literal."""
    return sorted(f"{module}  {literal.key}" for module, literals in scan_literals().items() for literal in literals)


if __name__ == "__main__":
    # `python -m tests.catalogue_scan`: today's literals in catalogue_debt.txt's format.
    for line in debt_lines():
        print(line)
