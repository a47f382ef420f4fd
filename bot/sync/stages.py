"""Which endpoints of one sync run at the same time.

A fetcher may name endpoints it can fetch together (`concurrent_endpoints`: independent of each other, each paced by
budgets of its own, as Binance's `/sapi` wallet endpoints are). Consecutive planned endpoints among them form one
stage and run together; every other endpoint is a stage of its own, in plan order, so an endpoint that needs the
records of earlier ones (Binance spot trades: market discovery) still starts after them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, Protocol, TypeVar

from connectors.profiles import Endpoint

T = TypeVar("T")
R = TypeVar("R")


class Planned(Protocol):
    @property
    def endpoint(self) -> Endpoint: ...


P = TypeVar("P", bound=Planned)


def concurrent_endpoints(fetcher: Any) -> Collection[Endpoint]:
    """What the fetcher lets run together (nothing, unless it says so)."""
    together = getattr(fetcher, "concurrent_endpoints", None)
    return frozenset(together) if together else frozenset()


def stages(plan: Sequence[P], together: Collection[Endpoint]) -> list[list[P]]:
    """The plan cut into stages, in order: runs of endpoints in `together`, and every other endpoint alone."""
    cut: list[list[P]] = []
    for planned in plan:
        if cut and planned.endpoint in together and all(p.endpoint in together for p in cut[-1]):
            cut[-1].append(planned)
        else:
            cut.append([planned])
    return cut


async def run_together(items: Sequence[T], run: Callable[[T], Awaitable[R]]) -> list[R]:
    """`run` of every item at the same time, results in the items' order. One item runs in the caller's task, as
    before; if any run raises, the others are cancelled and the first exception propagates unchanged."""
    if len(items) == 1:
        return [await run(items[0])]
    tasks = [asyncio.ensure_future(run(item)) for item in items]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:  # the caller was cancelled: so are the runs
        await _cancel(tasks)
        raise
    for task in tasks:
        error = task.exception() if task.done() and not task.cancelled() else None
        if error is not None:
            await _cancel(tasks)
            raise error
    return [task.result() for task in tasks]


async def _cancel(tasks: Sequence[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
