"""The import graph and module sizes promised by docs/ARCHITECTURE.md, read from the source with `ast`.

Nothing of the product is imported: each module's text is parsed, every `import` (at module level or inside a
function, but not under `if TYPE_CHECKING:`) becomes an arrow, and the rules below are checked on those arrows.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = ("bot", "handlers", "connectors", "db", "sandbox")

# The one module allowed to import up from `bot/` into `handlers/`: it builds the Application, so it has to hand
# the handlers to it. Everything else in `bot/` serves the handlers and must not know them.
COMPOSITION_ROOT = "bot.app"

# Which of our packages each layer may not import at all.
FORBIDDEN = {
    "connectors": ("bot", "handlers", "db"),
    "db": ("bot", "handlers", "connectors"),
    "bot": ("handlers",),
}

# Handlers may read the exchanges' static profile data (names, fields, steps); anything else of `connectors/` is a
# use case and belongs to a service in `bot/`. The arrows still standing, each with why (this list only shrinks).
HANDLERS_MAY_READ = ("connectors.profiles",)
HANDLER_CONNECTOR_ARROWS_ALLOWED: dict[tuple[str, str], str] = {}

MAX_LINES = 450
# Modules still over MAX_LINES, each with why it is not split yet. The debt is visible here and shrinks only.
OVERSIZED_ALLOWED: dict[str, str] = {}

# Import circles still standing, each with why. Like the size allowances, this list only shrinks.
CIRCLES_ALLOWED: dict[tuple[str, ...], str] = {}


@dataclass(frozen=True)
class Arrow:
    importer: str
    imported: str
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def product_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def is_type_checking_guard(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import in the module, at any depth, except the body of an `if TYPE_CHECKING:` (never run)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and is_type_checking_guard(node):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The product module that importing `name` runs last: the longest known prefix of the dotted name."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def arrows_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Arrow]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in import_statements(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from a import b` imports the submodule a.b when there is one, else a name defined in a.
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        for target in targets:
            imported = resolve(target, modules)
            if imported is not None and imported != module:
                yield Arrow(module, imported, node.lineno)


@cache
def all_arrows() -> tuple[Arrow, ...]:
    modules = product_modules()
    return tuple(arrow for module, path in modules.items() for arrow in arrows_of(module, path, modules))


def top(module: str) -> str:
    return module.split(".")[0]


def strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the import circles are the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def layer_violations() -> list[str]:
    found = []
    for arrow in all_arrows():
        forbidden = FORBIDDEN.get(top(arrow.importer), ())
        if top(arrow.imported) not in forbidden:
            continue
        if arrow.importer == COMPOSITION_ROOT and top(arrow.imported) == "handlers":
            continue
        found.append(f"{arrow.importer}:{arrow.line} imports {arrow.imported}")
    return sorted(found)


def import_circles() -> list[list[str]]:
    """Circles among the modules of one top-level package (arrows across packages are the layer rules' job)."""
    edges: dict[str, set[str]] = {}
    for arrow in all_arrows():
        if top(arrow.importer) == top(arrow.imported):
            edges.setdefault(arrow.importer, set()).add(arrow.imported)
    return [c for c in strongly_connected(sorted(product_modules()), edges) if len(c) > 1]


def oversized() -> dict[str, int]:
    sizes = {}
    for module, path in product_modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            sizes[module] = lines
    return sizes


# --- the checks themselves ------------------------------------------------------------------------------------


def test_the_graph_is_read_from_every_package() -> None:
    # Guards the checks below against passing because nothing was read.
    importers = {top(arrow.importer) for arrow in all_arrows()}
    assert set(PRODUCT_PACKAGES) <= importers
    assert COMPOSITION_ROOT in product_modules()


def test_no_layer_imports_upwards() -> None:
    assert layer_violations() == []


def handler_connector_arrows() -> set[tuple[str, str]]:
    return {
        (a.importer, a.imported)
        for a in all_arrows()
        if top(a.importer) == "handlers" and top(a.imported) == "connectors" and a.imported not in HANDLERS_MAY_READ
    }


def test_handlers_read_only_static_profile_data_of_connectors() -> None:
    arrows = handler_connector_arrows()
    assert sorted(arrows - set(HANDLER_CONNECTOR_ARROWS_ALLOWED)) == []
    assert sorted(set(HANDLER_CONNECTOR_ARROWS_ALLOWED) - arrows) == []


def test_only_the_composition_root_wires_handlers() -> None:
    wiring = {a.imported for a in all_arrows() if a.importer == COMPOSITION_ROOT and top(a.imported) == "handlers"}
    # One arrow up, to the registry that handlers/ owns; the root does not pick handler modules itself.
    assert wiring == {"handlers.registry"}


def test_no_import_circles_inside_a_package() -> None:
    circles = {tuple(circle) for circle in import_circles()}
    assert sorted(circles - set(CIRCLES_ALLOWED)) == []
    # An allowance whose circle is gone is removed, so the list stays the true debt.
    assert sorted(set(CIRCLES_ALLOWED) - circles) == []


def test_no_product_module_is_over_the_size_limit() -> None:
    sizes = oversized()
    unexplained = {module: lines for module, lines in sizes.items() if module not in OVERSIZED_ALLOWED}
    assert unexplained == {}
    # An allowance that is no longer needed is removed, so the list stays the true debt.
    assert sorted(set(OVERSIZED_ALLOWED) - set(sizes)) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    components = strongly_connected(["a", "b", "c", "d"], {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert sorted(c for c in components if len(c) > 1) == [["a", "b", "c"]]
