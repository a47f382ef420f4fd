"""Routing for emulators whose API is GET only, split into public and signed paths (bitbank, bitFlyer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.exchanges.base import SlidingWindow
from sandbox.exchanges.protocol import Call

Handler = Callable[[Call], object]


class GetRoutes:
    """Serves `public` and `private` (signed) GET paths through the emulator's own `serve`, and clears its rate
    windows on `reset_rate_limits`."""

    public: dict[str, Handler]
    private: dict[str, Handler]
    _windows: dict[str, SlidingWindow]

    def serve(self, request: web.Request, handler: Handler, *, signed: bool) -> web.Response:
        raise NotImplementedError

    def reset_rate_limits(self) -> None:
        self._windows.clear()

    def add_routes(self, app: web.Application) -> None:
        for path, handler in self.public.items():
            app.router.add_get(path, self._route(handler, signed=False))
        for path, handler in self.private.items():
            app.router.add_get(path, self._route(handler, signed=True))

    def _route(self, handler: Handler, *, signed: bool) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, handler, signed=signed)

        return handle
