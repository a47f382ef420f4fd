"""Fault injection for the exchange emulators: timeouts, resets, error answers, truncated bodies, hooks.

`ExchangeEmulator.faults` holds the injected faults; its middleware asks `Faults.pick` which one, if any, answers
a request (`sandbox.exchanges.base` re-exports these names).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler

FaultAction = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


@dataclass
class Fault:
    """One injected misbehaviour: of the requests whose path starts with ``path`` ("" matches every path), the
    first ``after`` pass untouched, then the next ``times`` (None: all of them) get ``action`` instead of the
    emulator's own answer. ``seen`` and ``hits`` count the matching requests and those the fault changed."""

    action: FaultAction
    path: str = ""
    times: int | None = 1
    after: int = 0
    seen: int = 0
    hits: int = 0

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times


class Faults:
    """The faults injected into one emulator; the first live fault matching a request decides its answer.

    ``emulator.faults.inject(reset_connection(), path="/sapi/v1/capital/deposit/hisrec", times=None)`` drops every
    connection to that path; ``emulator.faults.clear()`` makes the exchange behave again. The actions below cover
    timeouts, resets, error statuses, malformed or truncated bodies, and hooks that run before the real answer.
    """

    def __init__(self) -> None:
        self.injected: list[Fault] = []

    def inject(self, action: FaultAction, *, path: str = "", times: int | None = 1, after: int = 0) -> Fault:
        fault = Fault(action, path=path, times=times, after=after)
        self.injected.append(fault)
        return fault

    def clear(self) -> None:
        self.injected.clear()

    def pick(self, path: str) -> Fault | None:
        """The fault that answers a request to ``path`` (counting it), or None for the emulator's own answer."""
        chosen: Fault | None = None
        for fault in self.injected:
            if not path.startswith(fault.path) or fault.spent:
                continue
            fault.seen += 1
            if chosen is None and fault.seen > fault.after:
                fault.hits += 1
                chosen = fault
        return chosen


def delay(seconds: float) -> FaultAction:
    """Answer normally, but only after ``seconds`` (longer than the client's timeout: the client times out)."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return await handler(request)

    return act


def reset_connection() -> FaultAction:
    """Close the connection without an answer, as a reset or a dropping load balancer does."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=200, text="")

    return act


def respond(
    status: int,
    body: str = "",
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> FaultAction:
    """Answer with this status, body and headers instead (a 429 or 418 with ``Retry-After``, a 5xx, a page of
    malformed JSON)."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        return web.Response(status=status, text=body, headers=headers, content_type=content_type)

    return act


def truncate_body(keep: float = 0.5) -> FaultAction:
    """Start the real answer, announcing its full length, then cut the connection after ``keep`` of the body: a
    page truncated on the wire."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        answer = await handler(request)
        body = answer.body if isinstance(answer, web.Response) and isinstance(answer.body, bytes) else b""
        cut = web.StreamResponse(status=answer.status, headers=answer.headers)
        cut.content_length = len(body)
        await cut.prepare(request)
        await cut.write(body[: int(len(body) * keep)])
        if request.transport is not None:
            request.transport.abort()
        return cut

    return act


def before(callback: Callable[[web.Request], object]) -> FaultAction:
    """Run ``callback(request)`` (revoke a key, move the clock, kill a client…), then answer normally."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        callback(request)
        return await handler(request)

    return act
