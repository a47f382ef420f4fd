"""Running counts of a sync and the progress events built from them.

The callback is the caller's (a /sync handler editing one message): it is called after each committed page and
at each change of state, must return quickly (it may return an awaitable, which is awaited), and can never break
the sync — its exceptions are logged by type and dropped.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime

from bot.sync.results import EndpointProgress, EndpointStatus, ProgressEvent
from connectors.diagnosis import Diagnosis
from connectors.profiles import Endpoint
from i18n import Text

log = logging.getLogger(__name__)

ProgressCallback = Callable[[ProgressEvent], Awaitable[None] | None]


class ProgressTracker:
    """The live state of one sync: one line per endpoint, and the latest event for anyone who asks."""

    def __init__(
        self,
        *,
        integration_id: int,
        account_name: str,
        exchange_name: str,
        callback: ProgressCallback | None,
    ) -> None:
        self.integration_id = integration_id
        self.account_name = account_name
        self.exchange_name = exchange_name
        self.callback = callback
        self.lines: dict[Endpoint, EndpointProgress] = {}
        self.latest: ProgressEvent | None = None

    def plan(self, endpoints: Sequence[tuple[Endpoint, Text | str]]) -> None:
        self.lines = {e: EndpointProgress(e, label, EndpointStatus.QUEUED) for e, label in endpoints}

    async def queued(self) -> None:
        await self._emit(None, "", EndpointStatus.QUEUED)

    async def started(self, endpoint: Endpoint) -> None:
        self._update(endpoint, state=EndpointStatus.RUNNING)
        await self._emit(endpoint, "", EndpointStatus.RUNNING)

    async def page(
        self, endpoint: Endpoint, market: str, *, fetched: int, new: int, covered_until: datetime | None
    ) -> None:
        line = self.lines[endpoint]
        self.lines[endpoint] = replace(
            line,
            fetched=line.fetched + fetched,
            new=line.new + new,
            known=line.known + fetched - new,
            market=market,
            covered_until=covered_until or line.covered_until,
        )
        await self._emit(endpoint, market, EndpointStatus.RUNNING)

    async def ended(self, endpoint: Endpoint, state: EndpointStatus, diagnosis: Diagnosis | None) -> None:
        self._update(endpoint, state=state, diagnosis=diagnosis, market="")
        await self._emit(endpoint, "", state)

    async def finished(self, state: EndpointStatus) -> None:
        await self._emit(None, "", state)

    def _update(self, endpoint: Endpoint, **changes: object) -> None:
        self.lines[endpoint] = replace(self.lines[endpoint], **changes)  # type: ignore[arg-type]

    async def _emit(self, endpoint: Endpoint | None, market: str, state: EndpointStatus) -> None:
        line = self.lines.get(endpoint) if endpoint is not None else None
        event = ProgressEvent(
            integration_id=self.integration_id,
            account_name=self.account_name,
            exchange_name=self.exchange_name,
            endpoint=endpoint,
            market=market,
            state=state,
            fetched=line.fetched if line else sum(p.fetched for p in self.lines.values()),
            new=line.new if line else sum(p.new for p in self.lines.values()),
            known=line.known if line else sum(p.known for p in self.lines.values()),
            endpoints=tuple(self.lines.values()),
        )
        self.latest = event
        if self.callback is None:
            return
        try:
            outcome = self.callback(event)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as error:  # the sync matters more than its progress message
            log.warning("sync progress callback failed: %s", type(error).__name__)
