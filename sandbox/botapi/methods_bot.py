"""Bot API methods about the bot itself: identity, updates, commands, chats, session."""

from __future__ import annotations

import json
import re

from sandbox.botapi.errors import bad_request
from sandbox.botapi.params import Params
from sandbox.botapi.state import EmulatorState
from sandbox.botapi.types import JSONDict
from sandbox.botapi.webhook import DEFAULT_MAX_CONNECTIONS, WebhookSetting

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


async def get_me(state: EmulatorState, params: Params) -> object:
    return {
        **state.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not state.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(state: EmulatorState, params: Params) -> object:
    state.webhook.refuse_polling()
    limit = params.integer("limit")
    allowed = params.json_list("allowed_updates")
    updates = await state.updates.poll(
        offset=params.integer("offset"),
        limit=min(max(limit if limit is not None else 100, 1), 100),
        wait_seconds=params.number("timeout") or 0.0,
        allowed_updates=[str(kind) for kind in allowed] if allowed is not None else None,
    )
    # Remember where each update reached the bot, so a test can ask what the bot did next.
    for update in updates:
        state.delivered_at.setdefault(update.update_id, len(state.calls))
    return [update.to_api() for update in updates]


async def delete_webhook(state: EmulatorState, params: Params) -> object:
    await state.webhook.delete(drop_pending=params.boolean("drop_pending_updates"))
    return True


async def set_webhook(state: EmulatorState, params: Params) -> object:
    url = params.text("url")
    if url is None:
        raise bad_request('Bad Request: parameter "url" is required')
    drop = params.boolean("drop_pending_updates")
    if not url:  # "Use an empty string to remove webhook integration"
        await state.webhook.delete(drop_pending=drop)
        return True
    allowed = params.json_list("allowed_updates")
    connections = params.integer("max_connections")
    setting = WebhookSetting(
        url=url,
        secret_token=params.text("secret_token"),
        max_connections=connections if connections is not None else DEFAULT_MAX_CONNECTIONS,
        allowed_updates=[str(kind) for kind in allowed] if allowed is not None else None,
    )
    state.webhook.set(setting, drop_pending=drop)
    return True


async def get_webhook_info(state: EmulatorState, params: Params) -> object:
    return state.webhook.info()


def commands_key(scope: dict[str, object] | None, language_code: str) -> tuple[str, str]:
    """Command lists are kept per (scope, language), the default scope when none is given."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


def _commands_key(params: Params) -> tuple[str, str]:
    return commands_key(params.json_object("scope"), params.text("language_code") or "")


async def set_my_commands(state: EmulatorState, params: Params) -> object:
    commands = params.json_list("commands")
    if commands is None:
        raise bad_request('Bad Request: parameter "commands" is required')
    if len(commands) > 100:
        raise bad_request("Bad Request: BOT_COMMANDS_TOO_MUCH")
    checked: list[JSONDict] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("Bad Request: can't parse BotCommand JSON object")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
            raise bad_request("Bad Request: BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    key = _commands_key(params)
    if checked:
        state.commands[key] = checked
    else:
        state.commands.pop(key, None)
    return True


async def get_my_commands(state: EmulatorState, params: Params) -> object:
    return state.commands.get(_commands_key(params), [])


async def delete_my_commands(state: EmulatorState, params: Params) -> object:
    state.commands.pop(_commands_key(params), None)
    return True


async def get_chat(state: EmulatorState, params: Params) -> object:
    return state.chat_full_info_api(state.known_chat(params.chat_id()))


async def close(state: EmulatorState, params: Params) -> object:
    return True


async def log_out(state: EmulatorState, params: Params) -> object:
    return True
