"""`tallybot sandbox`: the Bot API emulator, the four exchange emulators and the real bot, in one process.

Everything listens on 127.0.0.1 on free ports. The bot is the unmodified `Application` from `bot.app`, pointed at
the emulators through the same settings an operator would use (`TELEGRAM_API_BASE_URL`, `EXCHANGE_URL_OVERRIDES`),
with its own data directory: a temporary one removed at exit unless `--data-dir` names one. Logs go to
`tallybot.log` in that directory; records at ERROR or above are also collected, because a scripted session that
logs an error has failed even if every reply arrived.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.settings import Settings
from sandbox.botapi import BotApiEmulator, UserHandle
from sandbox.exchanges import (
    AccountProfile,
    BigoneEmulator,
    BinanceEmulator,
    BitbankEmulator,
    BitflyerEmulator,
    BitgetEmulator,
    BybitEmulator,
    CoinbaseEmulator,
    CoincheckEmulator,
    Credentials,
    DemoKeys,
    ExchangeEmulator,
    GateEmulator,
    GmoCoinEmulator,
    HtxEmulator,
    KrakenEmulator,
    KucoinEmulator,
    MexcEmulator,
    OkxEmulator,
)

if TYPE_CHECKING:
    from telegram.ext import Application

# ccxt ids of the emulated exchanges, with the names the Assistant shows on its buttons.
EXCHANGE_NAMES: dict[str, str] = {
    "binance": "Binance",
    "bybit": "Bybit",
    "okx": "OKX",
    "bitget": "Bitget",
    "kraken": "Kraken",
    "kucoin": "KuCoin",
    "mexc": "MEXC",
    "gate": "Gate",
    "htx": "HTX",
    "bigone": "BigONE",
    "bitflyer": "bitFlyer",
    "coincheck": "Coincheck",
    "bitbank": "bitbank",
    "gmocoin": "GMO Coin",
    "coinbase": "Coinbase",
}
# Every demo key each emulator hands out (DemoKeys' fields); Bitget adds a Tax API key.
KEY_KINDS: tuple[str, ...] = ("read_only", "trading", "withdrawal", "expired", "ip_restricted", "revoked")
EXTRA_KEY_KINDS: dict[str, tuple[str, ...]] = {
    "bitget": ("tax", "unified"),
    "binance": ("ed25519", "rsa"),
    "gate": ("no_futures",),
    "bybit": ("no_earn",),
}
CREDENTIAL_FIELDS: tuple[str, ...] = ("api_key", "secret", "passphrase")
# What each key shows when connected, for the banner (in the order a newcomer would try them).
KEY_OUTCOMES: dict[str, str] = {
    "read_only": "read-only: connects",
    "withdrawal": "can withdraw: always refused",
    "trading": "can trade: refused unless TALLYBOT_ALLOW_TRADING_KEYS=true",
    "expired": "expired: refused, with the fix",
    "ip_restricted": "IP-restricted to another address: refused, with the fix",
    "revoked": "deleted on the exchange: refused",
    "tax": "Tax API key (pick “Tax API key” in the Assistant): connects",
    "unified": "read-only key of a unified trading account (UTA): connects, syncs through Bitget's v3 API",
    "ed25519": "Self-generated Ed25519 key, read-only (the secret is the private key): connects",
    "rsa": "Self-generated RSA key, read-only (the secret is the private key): connects",
    "no_futures": "read-only without Perpetual Futures: connects, futures skipped with the fix",
    "no_earn": "read-only without Earn: connects with a warning, Earn skipped with the fix",
}
# Where the banner's outcome differs: BigONE has no endpoint that tells a key's permissions (the key check says so and
# connects any key that reads), and its keys do not expire (docs/exchange-apis/bigone.md).
OUTCOME_OVERRIDES: dict[str, dict[str, str]] = {
    # Coincheck cannot tell a key's permissions and documents no key expiry (docs/exchange-apis/coincheck.md).
    "coincheck": {
        "withdrawal": "can withdraw: connects, warned that Coincheck cannot tell a key's permissions",
        "trading": "can trade: connects, warned that Coincheck cannot tell a key's permissions",
        "expired": "lapsed (Coincheck keys do not expire): refused as a key Coincheck does not know",
    },
    # bitFlyer documents neither key expiry nor an IP binding (docs/exchange-apis/bitflyer.md): those two demo keys
    # are keys bitFlyer does not know.
    "bitflyer": {
        "expired": "lapsed (bitFlyer keys do not expire): refused as a key bitFlyer does not know",
        "ip_restricted": "bound to another address (bitFlyer documents no IP binding): refused as an unknown key",
    },
    # bitbank has no endpoint that tells a key's permissions and documents neither key expiry nor an IP binding
    # (docs/exchange-apis/bitbank.md).
    "bitbank": {
        "withdrawal": "can withdraw: connects, warned that bitbank cannot tell a key's permissions",
        "trading": "can trade: connects, warned that bitbank cannot tell a key's permissions",
        "expired": "lapsed (bitbank keys do not expire): refused as a key bitbank does not know",
        "ip_restricted": "bound to another address (no IP binding documented): refused as an unknown key",
    },
    # GMO Coin tells no key's permissions and documents no expiry; its IP restriction answers ERR-5012 (gmocoin.md).
    "gmocoin": {
        "withdrawal": "can withdraw: connects, warned that GMO Coin cannot tell a key's permissions",
        "trading": "can trade: connects, warned that GMO Coin cannot tell a key's permissions",
        "expired": "lapsed (GMO Coin keys do not expire): refused as a key GMO Coin does not accept",
        "ip_restricted": "bound to another address: refused (ERR-5012; GMO Coin documents no answer of its own)",
    },
    "bigone": {
        "withdrawal": "can withdraw: connects, warned that BigONE cannot tell a key's permissions",
        "trading": "can trade: connects, warned that BigONE cannot tell a key's permissions",
        "expired": "lapsed (BigONE keys do not expire): refused as a key BigONE does not know",
    },
}

SANDBOX_USER_ID = 1001
LOG_FILE_NAME = "tallybot.log"
DOWNLOADS_DIR_NAME = "downloads"
CREDENTIALS_FILE_NAME = "demo-credentials.txt"


def key_kinds(exchange_id: str) -> tuple[str, ...]:
    return KEY_KINDS + EXTRA_KEY_KINDS.get(exchange_id, ())


class ErrorRecorder(logging.Handler):
    """Keeps every record at ERROR or above (already redacted by the bot's record factory)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []
        self.on_error: Callable[[str], None] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        message = f"{record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_text:
            message += f" ({record.exc_text.strip().splitlines()[-1]})"
        self.messages.append(message)
        if self.on_error is not None:
            self.on_error(message)


@dataclass
class Sandbox:
    """A running sandbox: the emulators, the demo keys, the one Telegram user who chats, and the bot."""

    telegram: BotApiEmulator
    user: UserHandle
    exchanges: dict[str, ExchangeEmulator]
    keys: dict[str, DemoKeys]
    data_dir: Path
    errors: ErrorRecorder
    application: Application  # type: ignore[type-arg]
    downloads: Path = field(init=False)

    def __post_init__(self) -> None:
        self.downloads = self.data_dir / DOWNLOADS_DIR_NAME

    @property
    def chat_id(self) -> int:
        return self.user.chat_id

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE_NAME

    def credentials(self, exchange_id: str, kind: str) -> Credentials:
        value = getattr(self.keys[exchange_id], kind)
        if not isinstance(value, Credentials):
            raise KeyError(f"{exchange_id} has no demo key {kind!r}")
        return value

    def credential(self, exchange_id: str, kind: str, field_name: str) -> str:
        """One value, as a `{exchange.kind.field}` placeholder names it."""
        return str(getattr(self.credentials(exchange_id, kind), field_name))


# A year of lively history: enough to see every kind of record, small enough that a first sync finishes in
# seconds under the exchanges' real rate limits when the user syncs from a year ago.
DEMO_ACCOUNT = AccountProfile(
    years=1.0, traded_markets=8, trades=400, deposits=20, withdrawals=12, converts=10, transfers=10, rewards=20
)
DEMO_MARKETS = 120
# Kraken's Starter tier allows a history request about every 6 seconds (docs/exchange-apis/kraken.md): a smaller
# account, so its first sync also ends within a minute or so.
KRAKEN_DEMO_ACCOUNT = AccountProfile(
    years=1.0, traded_markets=6, trades=90, deposits=8, withdrawals=5, converts=4, transfers=4, rewards=8
)


def _start_exchange_emulators(seed: int) -> dict[str, ExchangeEmulator]:
    # Different seeds per exchange, so the four demo accounts do not mirror each other.
    account, markets = DEMO_ACCOUNT, DEMO_MARKETS
    return {
        "binance": BinanceEmulator(seed=seed, profile=account, listed_symbols=markets),
        "bybit": BybitEmulator(seed=seed + 1, profile=account, listed_symbols=markets),
        "okx": OkxEmulator(seed=seed + 2, profile=account, listed_symbols=markets),
        "bitget": BitgetEmulator(seed=seed + 3, profile=account, listed_symbols=markets),
        # KuCoin's demo account also traded futures (kucoin_futures.py).
        "kucoin": KucoinEmulator(seed=seed + 4, profile=account, listed_symbols=markets, derivatives=True),
        "kraken": KrakenEmulator(seed=seed + 6, profile=KRAKEN_DEMO_ACCOUNT, listed_symbols=markets),
        "coinbase": CoinbaseEmulator(seed=seed + 7, profile=account, listed_symbols=markets),
        "mexc": MexcEmulator(seed=seed + 9, profile=account, listed_symbols=markets, futures=True),
        # Gate's demo account also traded perpetual and delivery futures (gate_futures_script.py).
        "gate": GateEmulator(seed=seed + 10, profile=account, listed_symbols=markets, derivatives=True, delivery=True),
        "htx": HtxEmulator(seed=seed + 11, profile=account, listed_symbols=markets, futures=True),
        "bigone": BigoneEmulator(seed=seed + 12, profile=account, listed_pairs=markets),
        # A year of spot executions on JPY and BTC markets, crypto and JPY deposits and withdrawals.
        "bitflyer": BitflyerEmulator(seed=seed + 13, years=1.0, executions=160),
        # A year of trades on JPY pairs, BTC deposits and sends, JPY withdrawals.
        "coincheck": CoincheckEmulator(seed=seed + 15, years=1.0, trades=120),
        # A year of trades on JPY pairs, crypto and JPY deposits and withdrawals.
        "bitbank": BitbankEmulator(seed=seed + 14, years=1.0, trades=160),
        # Three days of spot fills (the API shows the last day), crypto and JPY deposits and withdrawals.
        "gmocoin": GmoCoinEmulator(seed=seed + 16, days=3.0, fills=60),
    }


def sandbox_settings(base: Settings, telegram: BotApiEmulator, overrides: dict[str, str], data_dir: Path) -> Settings:
    """The operator's settings (log level, timeouts, options) pointed at the emulators and the sandbox's own data.

    Anything that could reach a real deployment is replaced: its database, master key and allow-list.
    """
    return base.model_copy(
        update={
            "telegram_bot_token": SecretStr(telegram.token),
            "telegram_api_base_url": telegram.base_url,
            "exchange_url_overrides": overrides,
            "data_dir": data_dir,
            "database_url": None,
            "master_key": None,
            "allowed_users": frozenset(),
        }
    )


@asynccontextmanager
async def open_sandbox(
    settings: Settings, *, data_dir: Path, seed: int, errors: ErrorRecorder
) -> AsyncIterator[Sandbox]:
    """Start the emulators and the bot; stop them all (bot first) on the way out."""
    from bot.app import build_application, serving

    async with AsyncExitStack() as stack:
        telegram = await stack.enter_async_context(
            BotApiEmulator(bot_username="tallybot_sandbox_bot", bot_first_name="Tallybot")
        )
        exchanges = _start_exchange_emulators(seed)
        for emulator in exchanges.values():
            await stack.enter_async_context(emulator)
        keys = {exchange_id: emulator.create_demo_keys() for exchange_id, emulator in exchanges.items()}
        overrides = {exchange_id: emulator.base_url for exchange_id, emulator in exchanges.items()}
        application = build_application(sandbox_settings(settings, telegram, overrides, data_dir))
        await stack.enter_async_context(serving(application))
        user = telegram.add_user(SANDBOX_USER_ID, "You", username="sandbox_user")
        yield Sandbox(telegram, user, exchanges, keys, data_dir, errors, application)


# -- what the user is told --------------------------------------------------------------------------------------


def credentials_text(sandbox: Sandbox) -> str:
    """Every demo key, exchange by exchange, with the outcome it shows."""
    lines: list[str] = []
    for exchange_id, name in EXCHANGE_NAMES.items():
        lines.append(f"── {name} ──")
        kinds = sorted(key_kinds(exchange_id), key=list(KEY_OUTCOMES).index)
        for kind in kinds:
            credentials = sandbox.credentials(exchange_id, kind)
            lines.append(f"  {OUTCOME_OVERRIDES.get(exchange_id, {}).get(kind, KEY_OUTCOMES[kind])}")
            lines.append(f"    API key     {credentials.api_key}")
            # A private key is shown on one line (the terminal sends each line as a message); the bot takes a PEM
            # whose line breaks became spaces.
            lines.append(f"    Secret      {' '.join(credentials.secret.split())}")
            if credentials.passphrase:
                lines.append(f"    Passphrase  {credentials.passphrase}")
    return "\n".join(lines)


def placeholders_text() -> str:
    """How a script names the demo keys, without their values."""
    exchanges = "|".join(EXCHANGE_NAMES)
    kinds = "|".join(KEY_KINDS)
    return (
        f"Demo keys in scripts: {{{exchanges}}}.{{{kinds}}}.{{api_key|secret|passphrase}} "
        "(passphrase: okx, bitget and kucoin), {bitget.tax.api_key} / {bitget.tax.secret}, and Binance's "
        "self-generated keys {binance.ed25519.api_key|secret} and {binance.rsa.api_key|secret}."
    )


def write_credentials_file(sandbox: Sandbox) -> Path:
    path = sandbox.data_dir / CREDENTIALS_FILE_NAME
    path.write_text(credentials_text(sandbox) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
