"""Every text the Telegram adapters word is worded in the reader's locale: no call in `handlers/`, nor in the views
that left it for `bot/` (so that sync workers render them too), falls back to the default (English) by leaving the
locale out. Read from the source with `ast`, like the other catalogue checks."""

from __future__ import annotations

import ast

from tests.catalogue_scan import module_files, parsed

# i18n's wording functions, and how each is given the locale: t and tn by keyword only; render and join as their
# second argument or by keyword.
BY_KEYWORD = frozenset({"t", "tn"})
SECOND_ARGUMENT = frozenset({"render", "join"})
# Views outside handlers/: the sync's progress and summary, the reconciliation's lines, the worker's sync task,
# automatic sync's notices and offer (both deployments).
VIEWS_IN_BOT = (
    "bot/sync/views.py",
    "bot/reconcile/views.py",
    "bot/jobs/task.py",
    "bot/jobs/auto.py",
    "bot/jobs/quote_scan.py",
    "bot/troubleshooting.py",
)


def wording_calls_without_locale(module: str, tree: ast.Module) -> list[str]:
    local = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "i18n"
        for alias in node.names
        if alias.name in BY_KEYWORD | SECOND_ARGUMENT
    }
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in local):
            continue
        name = local[node.func.id]
        keyword = any(k.arg == "locale" for k in node.keywords)
        given = keyword or (name in SECOND_ARGUMENT and len(node.args) >= 2)
        if not given:
            found.append(f"{module}:{node.lineno} {ast.unparse(node)[:80]}")
    return found


def test_every_wording_call_in_the_handlers_passes_the_readers_locale() -> None:
    in_bot = module_files(("bot",))
    modules = module_files(("handlers",)) | {module: in_bot[module] for module in VIEWS_IN_BOT}
    assert "handlers/assistant/texts.py" in modules  # the check reads the adapters at all
    missing = [line for module, path in modules.items() for line in wording_calls_without_locale(module, parsed(path))]
    assert missing == []


def test_the_check_finds_a_call_that_leaves_the_locale_out() -> None:
    tree = ast.parse('from i18n import t, render\nt("a.b")\nt("a.b", locale=x)\nrender(y)\nrender(y, x)\n')
    assert wording_calls_without_locale("m.py", tree) == ["m.py:2 t('a.b')", "m.py:4 render(y)"]
