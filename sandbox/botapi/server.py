"""The aiohttp application: ``/bot<token>/<method>`` and ``/file/bot<token>/<file_path>``."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from aiohttp import web

from sandbox.botapi.errors import ApiError
from sandbox.botapi.methods import METHODS, canonical_name
from sandbox.botapi.params import Params, read_params
from sandbox.botapi.state import EmulatorState

logger = logging.getLogger(__name__)

# Telegram accepts uploads up to 50 MB; a little headroom lets the method answer 413 itself.
CLIENT_MAX_SIZE = 60 * 1024 * 1024


def _json_response(body: object, status: int = HTTPStatus.OK) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode(), status=status, content_type="application/json"
    )


def _error_response(error: ApiError) -> web.Response:
    return _json_response(error.to_api(), error.error_code)


def _chat_of(params: Params) -> int | None:
    try:
        return params.chat_id()
    except ApiError:  # a @username: the method answers for itself
        return None


class BotApiServer:
    """Routes HTTP requests to the method handlers over one :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState, token: str) -> None:
        self.state = state
        self.token = token

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=CLIENT_MAX_SIZE)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self.handle_file)
        return app

    async def handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized"))
        requested = request.match_info["method"]
        method = canonical_name(requested)
        try:
            params = await read_params(request)
        except ApiError as error:
            return _error_response(error)
        self.state.record_call(method or requested, params.for_log())
        if method is None:
            return _error_response(ApiError(HTTPStatus.NOT_FOUND, "Not Found"))
        if failure := self.state.take_failure(method):
            return _error_response(failure)
        if flooded := self.state.flood.check(method, _chat_of(params)):
            return _error_response(flooded)
        try:
            result = await METHODS[method](self.state, params)
        except ApiError as error:
            return _error_response(error)
        except Exception as error:
            # A bug in the emulator, not a Bot API answer: say so loudly instead of inventing one.
            logger.exception("Bot API emulator failed in %s", method)
            self.state.internal_errors.append(error)
            return _error_response(ApiError(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error"))
        return _json_response({"ok": True, "result": result})

    async def handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized"))
        stored = self.state.files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return _error_response(ApiError(HTTPStatus.NOT_FOUND, "Not Found"))
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")
