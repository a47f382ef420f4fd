"""Issue 12, finding 4, through the real bot: when an exchange's permission endpoint answers HTTP 200 but not with
its permission fields, the Assistant refuses the key (a key that can withdraw included) and never says it checked.

For each emulated exchange, a user pastes a withdraw-capable key and presses "Check and connect" once per shape of
answer; each answer is injected once on the permission endpoint. The shapes: an empty object, the envelope without
its permission fields, null data, the permission fields with another JSON type, and an error envelope sent with 200.
(ccxt raises for error codes it knows: that error's own diagnosis, still a refusal.)
Then, with the exchange behaving again, the same key is refused for withdrawing (the shapes were not what saved it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator, BitgetEmulator, BybitEmulator, ExchangeEmulator, OkxEmulator
from sandbox.exchanges.base import respond
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_assistant_e2e import paste, pick_and_confirm

PERMISSION_PATHS = {
    "binance": "/sapi/v1/account/apiRestrictions",
    "bybit": "/v5/user/query-api",
    "okx": "/api/v5/account/config",
    "bitget": "/api/v2/spot/account/info",
}
SHAPES: dict[str, dict[str, Any]] = {
    "binance": {
        "empty object": {},
        "fields missing": {"ipRestrict": False, "createTime": 1698645219000},
        "null data": {"enableReading": True, "enableWithdrawals": None, "enableSpotAndMarginTrading": None},
        "wrong types": {"enableReading": "true", "enableWithdrawals": "false", "enableSpotAndMarginTrading": 0},
        "error envelope": {"code": -1000, "msg": "An unknown error occurred while processing the request."},
    },
    "bybit": {
        "empty object": {},
        "fields missing": {"retCode": 0, "retMsg": "", "result": {"id": "1", "apiKey": "x"}, "time": 1},
        "null data": {"retCode": 0, "retMsg": "", "result": None, "time": 1},
        "wrong types": {"retCode": 0, "retMsg": "", "result": {"readOnly": "1", "permissions": [], "ips": "*"}},
        "error envelope": {"retCode": 10016, "retMsg": "Internal server error.", "result": {}, "time": 1},
    },
    "okx": {
        "empty object": {},
        "fields missing": {"code": "0", "msg": "", "data": [{"uid": "1", "label": "x"}]},
        "null data": {"code": "0", "msg": "", "data": None},
        "wrong types": {"code": "0", "msg": "", "data": [{"perm": ["read_only"], "ip": 0}]},
        "error envelope": {"code": "50026", "msg": "System error. Try again later", "data": []},
    },
    "bitget": {
        "empty object": {},
        "fields missing": {"code": "00000", "msg": "success", "requestTime": 1, "data": {"userId": "1"}},
        "null data": {"code": "00000", "msg": "success", "requestTime": 1, "data": None},
        "wrong types": {"code": "00000", "msg": "success", "data": {"authorities": "readonly", "ips": []}},
        "error envelope": {"code": "40725", "msg": "service return an error", "requestTime": 1, "data": None},
    },
}
EMULATORS: dict[str, Callable[[], ExchangeEmulator]] = {
    "binance": lambda: BinanceEmulator(seed=51, listed_symbols=20),
    "bybit": lambda: BybitEmulator(seed=52, listed_symbols=20),
    "okx": lambda: OkxEmulator(seed=53, listed_symbols=20),
    "bitget": lambda: BitgetEmulator(seed=54, listed_symbols=20),
}
NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "bitget": "Bitget"}


async def check_outcome(walker: Walker, label: str) -> str:
    """Press the check button and return the outcome the new "Checking…" message is edited into."""
    after = walker.newest_id()
    await walker.press(label)
    outcome = await walker.emulator.wait_for_bot_message(
        walker.chat_id,
        after_message_id=after,
        predicate=lambda m: "❌" in (m.text or "") or "is connected" in (m.text or ""),
        timeout=20,
    )
    return outcome.text or ""


@pytest.mark.parametrize("exchange", sorted(EMULATORS))
async def test_a_permission_answer_without_its_fields_refuses_the_key(
    exchange: str, tmp_path: Path, measured: Callable[..., None]
) -> None:
    async with BotApiEmulator() as telegram, EMULATORS[exchange]() as venue:
        ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada"))
        key = venue.create_demo_keys().withdrawal
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={exchange: venue.base_url})
        refusals: dict[str, str] = {}
        async with running_bot(settings):
            await pick_and_confirm(ada, NAMES[exchange], expect="paste your" if exchange != "bitget" else "kind of key")
            if exchange == "bitget":
                await ada.press_for("Normal API key", "paste your")
            await paste(ada, key.api_key, "received")
            passphrase = getattr(key, "passphrase", None)
            await paste(ada, key.secret, "received" if passphrase else "Check the key")
            if passphrase:
                await paste(ada, passphrase, "Check the key")
            label = "Check and connect"
            for shape, body in SHAPES[exchange].items():
                venue.faults.inject(respond(200, json.dumps(body)), path=PERMISSION_PATHS[exchange], times=1)
                refusals[shape] = await check_outcome(ada, label)
                label = "Check again"
            venue.faults.clear()
            withdrawing = await check_outcome(ada, label)
        everything = ada.all_bot_texts()

    measured(shapes=len(refusals), accepted=everything.count("is connected"))
    assert "is connected" not in everything
    for shape, text in refusals.items():
        # ccxt raises for the error codes it knows, which gives that error's own diagnosis: a refusal all the same.
        expected = "❌" if shape == "error envelope" else "could not confirm that this key is read-only"
        assert expected in text, (shape, text)
    assert "Tallybot checks" not in everything and "not verifiable" not in everything
    assert "withdraw" in withdrawing and "could not confirm" not in withdrawing
