"""Whether ccxt can ask an exchange for a time range through one of its unified history methods.

A walk over time windows is complete only if the exchange itself is told where each window starts and ends. ccxt's
`features` describe `fetchMyTrades` alone (ccxt 4.5.90: 82 exchanges; `fetchDeposits`, `fetchWithdrawals` and
`fetchLedger` nowhere), and ambiguously: Kraken's `untilDays` is None although its `fetch_my_trades` sends `end`. So
what ccxt does is read from the method's own code (with `ast`, never run):

- the start is sent when `since` reaches the request (`request["startTime"] = since`, …). A `since` that only goes
  to `parse_trades(…, since, limit)` or `filter_by_since_limit` is a filter ccxt applies to the answer after the
  exchange chose what to send: the exchange was not told, and a short answer proves nothing;
- the end is sent when the method reads the `until` (or `till`) parameter (`safe_integer(params, "until")`,
  `params["until"]`) or hands it to `handle_until_option`; the name anywhere else (`omit(params, "until")` drops it)
  is not a read;
- a read or a use inside a branch that depends on anything but the range itself (`if since is not None`) is sent
  only sometimes (coinbaseinternational sends `since` for Deribit credentials alone), so it is not counted: reading
  fails closed, and an endpoint that cannot be shown to take a range ends partial with the reason;
- a method that hands `since` to another unified method (`fetch_deposits` → `fetch_deposits_withdrawals`) can do what
  that method does. Built-in pagination (`fetch_paginated_call_*`) is not counted: it stops after ten pages
  (FIELD-NOTES), so it cannot be what makes a walk complete.

When the code cannot be read (a C extension, a proxy object in a test), nothing is known and nothing is assumed.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

UNTIL_NAMES = frozenset({"until", "till"})
MAX_DELEGATION = 3
# Names a branch may test and still be taken whenever a range is asked for (`if since is not None`, `if until`).
RANGE_NAMES = frozenset({"since", "until", "till"})


@dataclass(frozen=True, slots=True)
class RangeSupport:
    """What ccxt sends to the exchange for one unified method: the start and the end of the range asked."""

    since: bool
    until: bool
    known: bool  # False: the code could not be read, or sends the start only on some other condition


UNKNOWN = RangeSupport(since=False, until=False, known=False)


def range_support(client: Any, method: str) -> RangeSupport:
    """What `client.<method>` (a unified method's snake-case name, e.g. "fetch_deposits") sends."""
    return _from_code(type(client), method, 0)


def _from_code(cls: type, method: str, depth: int) -> RangeSupport:
    definition = _definition(cls, method) if depth <= MAX_DELEGATION else None
    if definition is None:
        return UNKNOWN
    code = _Code(definition)
    until = code.sends_until()
    since = sometimes = False
    for use, (above, calls) in _since_uses(definition, code.parents):
        if isinstance(above, ast.Compare) or any(_filters(call) for call in calls):
            continue  # `if since is not None`, or a filter on the answer
        if code.branch_bound(use):
            sometimes = True  # sent only on some other condition: not counted
            continue
        helper = next((call for call in calls if call != method and _exchange_method(cls, call)), None)
        if helper is None:
            since = True  # straight into the request, perhaps converted (`parse_to_int(since / 1000)`)
            continue
        other = _from_code(cls, helper, depth + 1)
        if not other.known:
            return UNKNOWN
        since, until = since or other.since, until or other.until
    # A start sent only on a condition the code cannot settle: not known either way, so not assumed.
    return RangeSupport(since=since, until=until, known=since or not sometimes)


def _definition(cls: type, method: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    function = getattr(cls, method, None)
    if function is None:
        return None
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    try:
        definition: ast.stmt | None = ast.parse(textwrap.dedent(source)).body[0]
    except SyntaxError:
        # A docstring line at column 0 keeps dedent from working: take the def's indentation off every line that
        # has it (a line with less is inside a string, where indentation is not syntax).
        indent = source[: len(source) - len(source.lstrip(" \t"))]
        try:
            definition = ast.parse("".join(line.removeprefix(indent) for line in source.splitlines(True))).body[0]
        except SyntaxError:
            return None
    return definition if isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef) else None


def _filters(name: str) -> bool:
    """A call that reads or filters the exchange's answer, or ccxt's own bounded paging loop."""
    if name.startswith("parse_"):
        return not name.startswith("parse_to_")  # parse_trades(…, since) filters; parse_to_int(since) converts
    return name.startswith(("filter_by", "fetch_paginated_call"))


def _exchange_method(cls: type, name: str) -> bool:
    """Whether `name` is the exchange's own method (a helper `since` is handed to), not one of ccxt's base
    conversions (`iso8601`, `sum`, `parse_to_int` …) that only change the value's form."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return not klass.__module__.startswith(("ccxt.base", "ccxt.async_support.base"))
    return False


def _called(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _parents(definition: ast.AST) -> dict[ast.AST, ast.AST]:
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(definition):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    return parents


class _Code:
    """One method's syntax tree, read for where the end of the range goes."""

    def __init__(self, definition: ast.AST) -> None:
        self.definition = definition
        self.parents = _parents(definition)
        # Names holding the end once read (`until = self.safe_integer(params, "until")`): testing them, like
        # testing `since`, is about the range itself.
        self.until_names = {
            name for node in ast.walk(definition) if self.reads_until(node) and (name := self.assigned(node))
        }
        self.range_names = RANGE_NAMES | self.until_names

    def sends_until(self) -> bool:
        """An end read outside a branch on anything else, and, when kept in a name, that name used (not only
        tested) outside one too: coinbaseinternational reads `until` always but sends it for Deribit credentials only.
        """
        for node in ast.walk(self.definition):
            if not self.reads_until(node) or self.branch_bound(node):
                continue
            name = self.assigned(node)
            if name is None or any(not self.branch_bound(use) for use in self.uses(name)):
                return True
        return False

    def reads_until(self, node: ast.AST) -> bool:
        """`handle_until_option(…)`, or the `until` name as a key read: `safe_*(params, "until")`, `params["until"]`,
        `handle_option_integer_and_params(params, …, "until")`; `omit(params, "until")` drops it, no read."""
        if isinstance(node, ast.Call):
            return _called(node) == "handle_until_option"
        if not (isinstance(node, ast.Constant) and node.value in UNTIL_NAMES):
            return False
        key: ast.AST = node
        above = self.parents.get(node)
        if isinstance(above, ast.List | ast.Tuple):  # safe_integer_n(params, ["endTime", "until"])
            key, above = above, self.parents.get(above)
        if isinstance(above, ast.Call) and key in above.args:
            return _called(above).startswith(("safe_", "handle_"))
        return isinstance(above, ast.Subscript) and above.slice is node and isinstance(above.ctx, ast.Load)

    def assigned(self, node: ast.AST) -> str | None:
        """The name a read is assigned to (`until = …`, or the first of `until, params = …`), if any."""
        call = node if isinstance(node, ast.Call) else self.parents.get(node)
        if isinstance(call, ast.List | ast.Tuple):
            call = self.parents.get(call)
        statement = self.parents.get(call) if call is not None else None
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            return None
        target = statement.targets[0]
        if isinstance(target, ast.Tuple) and target.elts:
            target = target.elts[0]
        return target.id if isinstance(target, ast.Name) else None

    def uses(self, name: str) -> Iterator[ast.Name]:
        """Where `name` is read other than in a comparison (`until is not None` sends nothing)."""
        for node in ast.walk(self.definition):
            named = isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
            if named and isinstance(node, ast.Name) and not isinstance(self.parents.get(node), ast.Compare):
                yield node

    def branch_bound(self, node: ast.AST) -> bool:
        """Whether `node` runs only when a condition on something other than the range holds: it sits in one arm of
        an `if` or a conditional expression testing any other name or call (and the other arm does not send the same
        bound: Binance's fiat and crypto branches both send `since`), or after the first value of such a boolean."""
        child, above = node, self.parents.get(node)
        while above is not None and above is not self.definition:
            if isinstance(above, ast.If | ast.IfExp | ast.While) and child is not above.test:
                if not self.about_range(above.test) and not self.both_arms(above, node):
                    return True
            elif (
                isinstance(above, ast.BoolOp)
                and child is not above.values[0]
                and not all(self.about_range(value) for value in above.values)
            ):
                return True
            child, above = above, self.parents.get(above)
        return False

    def both_arms(self, branch: ast.If | ast.IfExp | ast.While, node: ast.AST) -> bool:
        """Whether the arm of `branch` not holding `node` sends the same bound too."""
        if isinstance(branch, ast.While):
            return False
        arms: list[list[ast.AST]] = (
            [[branch.body], [branch.orelse]]
            if isinstance(branch, ast.IfExp)
            else [list(branch.body), list(branch.orelse)]
        )
        mine = next((arm for arm in arms if any(node in set(ast.walk(part)) for part in arm)), None)
        other = next((arm for arm in arms if arm is not mine), [])
        name = node.id if isinstance(node, ast.Name) else None
        for part in other:
            for found in ast.walk(part):
                same_name = isinstance(found, ast.Name) and found.id == name and isinstance(found.ctx, ast.Load)
                if same_name and not self.filtered(found):
                    return True
                if name is None and self.reads_until(found):
                    return True
        return False

    def filtered(self, node: ast.AST) -> bool:
        """A name that is only compared or handed to a filter of the answer (not sent)."""
        above = self.parents.get(node)
        if isinstance(above, ast.Compare):
            return True
        while above is not None:
            if isinstance(above, ast.Call) and _filters(_called(above)):
                return True
            above = self.parents.get(above)
        return False

    def about_range(self, test: ast.AST) -> bool:
        for node in ast.walk(test):
            if isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
                return False
            if isinstance(node, ast.Name) and node.id not in self.range_names:
                return False
        return True


def _is_since(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "since" and isinstance(node.ctx, ast.Load)


def _since_uses(
    definition: ast.AST, parents: dict[ast.AST, ast.AST]
) -> Iterator[tuple[ast.AST, tuple[ast.AST, list[str]]]]:
    """Each read of `since` with the node right above it and the names of the calls it sits in (innermost first);
    the function's own parameters are not reads."""
    for node in ast.walk(definition):
        if not _is_since(node):
            continue
        calls: list[str] = []
        above = parents.get(node)
        cursor: ast.AST | None = above
        while cursor is not None and cursor is not definition:
            if isinstance(cursor, ast.Call):
                calls.append(_called(cursor))
            cursor = parents.get(cursor)
        yield node, (above if above is not None else node, calls)
