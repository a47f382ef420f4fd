"""Whether ccxt can ask an exchange for a time range through one of its unified history methods.

A walk over time windows is complete only if the exchange itself is told where each window starts and ends. ccxt's
`features` describe `fetchMyTrades` alone (ccxt 4.5.90: 82 exchanges; `fetchDeposits`, `fetchWithdrawals` and
`fetchLedger` nowhere), and ambiguously: Kraken's `untilDays` is None although its `fetch_my_trades` sends `end`. So
what ccxt does is read from the method's own code (with `ast`, never run):

- the start is sent when `since` reaches the request (`request["startTime"] = since`, …). A `since` that only goes
  to `parse_trades(…, since, limit)` or `filter_by_since_limit` is a filter ccxt applies to the answer after the
  exchange chose what to send: the exchange was not told, and a short answer proves nothing;
- the end is sent when the method reads the `until` (or `till`) parameter, or hands it to `handle_until_option`;
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


@dataclass(frozen=True, slots=True)
class RangeSupport:
    """What ccxt sends to the exchange for one unified method: the start and the end of the range asked."""

    since: bool
    until: bool
    known: bool  # False: the method's code could not be read, so neither is assumed


UNKNOWN = RangeSupport(since=False, until=False, known=False)


def range_support(client: Any, method: str) -> RangeSupport:
    """What `client.<method>` (a unified method's snake-case name, e.g. "fetch_deposits") sends."""
    return _from_code(type(client), method, 0)


def _from_code(cls: type, method: str, depth: int) -> RangeSupport:
    definition = _definition(cls, method) if depth <= MAX_DELEGATION else None
    if definition is None:
        return UNKNOWN
    since = until = False
    for node in ast.walk(definition):
        named = isinstance(node, ast.Constant) and node.value in UNTIL_NAMES
        if named or (isinstance(node, ast.Call) and _called(node) == "handle_until_option"):
            until = True
    for use, calls in _since_uses(definition):
        if isinstance(use, ast.Compare) or any(_filters(name) for name in calls):
            continue  # `if since is not None`, or a filter on the answer
        helper = next((name for name in calls if name != method and _exchange_method(cls, name)), None)
        if helper is None:
            since = True  # straight into the request, perhaps converted (`parse_to_int(since / 1000)`)
            continue
        other = _from_code(cls, helper, depth + 1)
        if not other.known:
            return UNKNOWN
        since, until = since or other.since, until or other.until
    return RangeSupport(since=since, until=until, known=True)


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
        # A docstring line at column 0 keeps dedent from working: parse the method inside a class instead.
        try:
            wrapper = ast.parse("class _Exchange:\n" + source).body[0]
        except SyntaxError:
            return None
        definition = wrapper.body[0] if isinstance(wrapper, ast.ClassDef) else None
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


def _since_uses(definition: ast.AST) -> Iterator[tuple[ast.AST, list[str]]]:
    """Each read of `since` with the node right above it and the names of the calls it sits in (innermost first);
    the function's own parameters are not reads."""
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(definition):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    for node in ast.walk(definition):
        if not (isinstance(node, ast.Name) and node.id == "since" and isinstance(node.ctx, ast.Load)):
            continue
        calls: list[str] = []
        above = parents.get(node)
        cursor: ast.AST | None = above
        while cursor is not None and cursor is not definition:
            if isinstance(cursor, ast.Call):
                calls.append(_called(cursor))
            cursor = parents.get(cursor)
        yield above if above is not None else node, calls
