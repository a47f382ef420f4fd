"""Issue 18: 60 accounts on four exchanges syncing at once through two workers, paced only by the exchanges' limits.

Behind `--long` (tests/conftest.py). Binance, Bybit, OKX and Bitget emulators with their documented limits (none
lifted or shrunk), 15 read-only keys on each (one scripted account per exchange, so every key's account has the
same ground truth), four users with 15 accounts each, two `tallybot worker` processes on PostgreSQL sharing each
exchange's per-IP budget (connectors/exchange_budget.py). Every user presses /sync at once: all 60 jobs are
deferred together. Each account must end with its exact history (Binance's compared record by record with the
script; every account's balance check explaining each balance to the last digit), and no emulator may have
refused a request: a refusal stops a walk, and the summary would not be a clean one.
"""

from __future__ import annotations

import asyncio
import base64
import time
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from bot.vault import generate_key
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from sandbox.exchanges import (
    AccountProfile,
    BinanceEmulator,
    BinanceLimits,
    BitgetEmulator,
    BitgetLimits,
    BybitEmulator,
    OkxEmulator,
    OkxLimits,
)
from sandbox.exchanges.binance_truth import binance_truth
from sandbox.exchanges.bitget import DEFAULT_PER_SECOND as BITGET_PER_SECOND
from sandbox.exchanges.okx import DEFAULT_RULES as OKX_RULES
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.postgres import fresh_database
from tests.reliability.conftest import is_long
from tests.sync.conftest import stored
from tests.test_workers_e2e import worker_environment, worker_process, workers_up

ACCOUNTS_PER_EXCHANGE = 15
# Two months: within every reach of the four exchanges (Bitget's spot fills: 90 days). No earn rewards are scripted
# (this story is about the workers and the shared budgets, not the kinds).
PROFILE = AccountProfile(
    years=0.15, traded_markets=3, trades=40, deposits=4, withdrawals=2, converts=3, transfers=2, rewards=0
)
EXCHANGES = ("binance", "bybit", "okx", "bitget")
# The 15 keys of one emulator all reach its one scripted account, where 15 users would have 15 accounts: the limits
# an exchange counts per account (UID) are given 15 accounts' worth. Every per-IP limit stays as documented.
BINANCE_LIMITS = BinanceLimits(sapi_uid_weight_per_minute=180_000 * ACCOUNTS_PER_EXCHANGE)
OKX_LIMITS = OkxLimits(
    rules={
        path: rule if path.startswith("/api/v5/public/") else (rule[0] * ACCOUNTS_PER_EXCHANGE, rule[1])
        for path, rule in OKX_RULES.items()
    }
)
BITGET_LIMITS = BitgetLimits(
    per_second={path: n if "/public/" in path else n * ACCOUNTS_PER_EXCHANGE for path, n in BITGET_PER_SECOND.items()}
)
TIMEOUT_S = 1500.0


def history_start(emulator: Any) -> date:
    """The day before the scripted account's first record."""
    account = emulator.account
    first = min(
        record.timestamp
        for records in (account.trades, account.deposits, account.withdrawals, account.converts, account.rewards)
        for record in records
    )
    return (datetime.fromtimestamp(first / 1000, UTC) - timedelta(days=1)).date()


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def summary_of(telegram: BotApiEmulator, walker: Walker, after: int, account: str) -> ChatMessage:
    def finished(message: ChatMessage) -> bool:
        return "Sync finished" in (message.text or "") and f"{account}:" in (message.text or "")

    return await telegram.wait_for_bot_message(
        walker.chat_id, after_message_id=after, predicate=finished, timeout=TIMEOUT_S
    )


async def test_sixty_accounts_on_four_exchanges_all_finish_exactly_within_the_limits(
    telegram: BotApiEmulator, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if not is_long(request.config):
        pytest.skip("the 60-account run takes minutes: pytest --long")
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database())
        emulators: dict[str, Any] = {
            "binance": await stack.enter_async_context(
                BinanceEmulator(seed=61, profile=PROFILE, listed_symbols=12, limits=BINANCE_LIMITS)
            ),
            "bybit": await stack.enter_async_context(BybitEmulator(seed=62, profile=PROFILE, listed_symbols=12)),
            "okx": await stack.enter_async_context(
                OkxEmulator(seed=63, profile=PROFILE, listed_symbols=12, limits=OKX_LIMITS)
            ),
            "bitget": await stack.enter_async_context(
                BitgetEmulator(seed=64, profile=PROFILE, listed_symbols=12, limits=BITGET_LIMITS)
            ),
        }
        overrides = {name: emulator.base_url for name, emulator in emulators.items()}
        master_key = base64.b64encode(generate_key()).decode()
        settings = settings_for(
            telegram,
            tmp_path,
            database_url=url,
            master_key=SecretStr(master_key),
            sync_workers=True,
            exchange_url_overrides=overrides,
        )
        app = await stack.enter_async_context(running_bot(settings))
        services: Services = app.bot_data[SERVICES_KEY]
        walkers: dict[str, Walker] = {}
        integrations: dict[str, list[int]] = {}
        for n, name in enumerate(EXCHANGES):
            walker = walkers[name] = Walker(
                telegram, telegram.add_user(user_id=2001 + n, first_name=name, started=True)
            )
            emulator = emulators[name]
            integrations[name] = []
            for k in range(ACCOUNTS_PER_EXCHANGE):
                key = emulator.add_key(label=f"k{k}")
                fields = {"apiKey": Secret(key.api_key), "secret": Secret(key.secret)}
                if key.passphrase:
                    fields["password"] = Secret(key.passphrase)
                connected = await services.integrations.connect(
                    walker.user.user_id,
                    exchange_id=name,
                    key_type="normal",
                    account_name=f"{name}-{k + 1}",
                    fields=fields,
                    options=AdvancedOptions(sync_from=history_start(emulator)),
                )
                integrations[name].append(connected.id)
        environment = {
            **worker_environment(telegram, emulators["binance"], url, master_key, tmp_path),
            "EXCHANGE_URL_OVERRIDES": ",".join(f"{name}={base}" for name, base in overrides.items()),
        }
        logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
        for log in logs:
            await stack.enter_async_context(worker_process(environment, log))
        await workers_up(services.database, 2)

        started = time.monotonic()
        pressed = await asyncio.gather(*(walker.send("/sync") for walker in walkers.values()))
        summaries = await asyncio.gather(
            *(
                summary_of(telegram, walker, sent.message_id, f"{name}-{k + 1}")
                for (name, walker), sent in zip(walkers.items(), pressed, strict=True)
                for k in range(ACCOUNTS_PER_EXCHANGE)
            )
        )
        elapsed = time.monotonic() - started
        async with services.database.reader() as session:
            binance_rows = {
                i: list((await session.scalars(select(Transaction).where(Transaction.integration_id == i))).all())
                for i in integrations["binance"]
            }
        requests = {name: emulator.requests.total for name, emulator in emulators.items()}
    print(f"\n60 accounts: {elapsed:.0f} s, load {load_average()}, requests {requests}")

    for summary in summaries:
        text = summary.text or ""
        assert "the history explains every balance." in text and "✅" in text, text
    truth = binance_truth(emulators["binance"].account)
    for rows in binance_rows.values():
        assert stored(rows) == truth
