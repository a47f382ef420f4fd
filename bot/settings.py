"""Tallybot's configuration, read from the environment and `.env` (names fixed by ARCHITECTURE.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from connectors.urls import parse_url_overrides

TELEGRAM_PUBLIC_API = "https://api.telegram.org/bot"
SQLITE_FILE_NAME = "tallybot.sqlite3"
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line a person can act on."""


def _env(name: str) -> AliasChoices:
    # One alias per field: the environment name is the contract, the attribute name is for the code.
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_api_base_url: str = Field(default=TELEGRAM_PUBLIC_API, validation_alias=_env("TELEGRAM_API_BASE_URL"))
    database_url: str | None = Field(default=None, validation_alias=_env("DATABASE_URL"))
    data_dir: Path = Field(default=Path("data"), validation_alias=_env("TALLYBOT_DATA_DIR"))
    master_key: SecretStr | None = Field(default=None, validation_alias=_env("TALLYBOT_MASTER_KEY"))
    exchange_url_overrides: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, validation_alias=_env("EXCHANGE_URL_OVERRIDES")
    )
    allowed_users: Annotated[frozenset[int], NoDecode] = Field(
        default_factory=frozenset, validation_alias=_env("TALLYBOT_ALLOWED_USERS")
    )
    log_level: str = Field(default="INFO", validation_alias=_env("LOG_LEVEL"))
    allow_trading_keys: bool = Field(default=False, validation_alias=_env("TALLYBOT_ALLOW_TRADING_KEYS"))
    assistant_timeout_seconds: float = Field(default=600.0, gt=0, validation_alias=_env("TALLYBOT_ASSISTANT_TIMEOUT"))
    # Webhook mode (docs/DEPLOY.md): the public URL Telegram posts to, the secret it sends with every request, where
    # each replica listens (behind the HTTPS proxy or load balancer), and the connections Telegram may open at once.
    webhook_url: str | None = Field(default=None, validation_alias=_env("TALLYBOT_WEBHOOK_URL"))
    webhook_secret: SecretStr | None = Field(default=None, validation_alias=_env("TALLYBOT_WEBHOOK_SECRET"))
    webhook_listen_host: str = Field(default="127.0.0.1", validation_alias=_env("TALLYBOT_WEBHOOK_LISTEN_HOST"))
    webhook_listen_port: int = Field(
        default=8080, ge=0, le=65535, validation_alias=_env("TALLYBOT_WEBHOOK_LISTEN_PORT")
    )
    webhook_max_connections: int = Field(
        default=40, ge=1, le=100, validation_alias=_env("TALLYBOT_WEBHOOK_MAX_CONNECTIONS")
    )
    # Sync workers (docs/DEPLOY.md, "Sync workers"): /sync defers jobs that `tallybot worker` processes run.
    sync_workers: bool = Field(default=False, validation_alias=_env("TALLYBOT_SYNC_WORKERS"))
    worker_concurrency: int = Field(default=4, ge=1, le=64, validation_alias=_env("TALLYBOT_WORKER_CONCURRENCY"))
    # A worker silent this long (no heartbeat) is taken for dead and its sync job is run again.
    worker_stalled_seconds: float = Field(default=60.0, ge=2, validation_alias=_env("TALLYBOT_WORKER_STALLED_SECONDS"))
    # How long a sync's lease outlives its holder: the wait before a dead holder's sync can be taken over.
    sync_lease_seconds: float = Field(default=120.0, gt=0, validation_alias=_env("TALLYBOT_SYNC_LEASE_SECONDS"))

    @field_validator("exchange_url_overrides", mode="before")
    @classmethod
    def _parse_overrides(cls, value: object) -> object:
        return parse_url_overrides(value.lower()) if isinstance(value, str) else value

    @field_validator("allowed_users", mode="before")
    @classmethod
    def _parse_allowed_users(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        except ValueError:
            raise ValueError("expected comma-separated Telegram user ids such as 12345,67890") from None

    @field_validator("log_level", mode="after")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}:
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("telegram_api_base_url", mode="after")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL such as https://api.telegram.org/bot")
        return value

    @field_validator("webhook_url", mode="after")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected the public https URL Telegram posts updates to")
        return value or None

    @field_validator("webhook_secret", mode="after")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # setWebhook's secret_token: "1-256 characters. Only characters A-Z, a-z, 0-9, _ and - are allowed."
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("expected 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token)")
        return value

    @property
    def telegram_file_base_url(self) -> str:
        """Telegram serves files from `/file/bot<token>/…` beside `/bot<token>/…`."""
        base = self.telegram_api_base_url
        if base.endswith("/bot"):
            return base[: -len("bot")] + "file/bot"
        return base.rstrip("/") + "/file/bot"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / SQLITE_FILE_NAME).resolve()}"

    def require_webhook_secret(self) -> str:
        if self.webhook_secret is None:
            raise ConfigError(
                "TALLYBOT_WEBHOOK_SECRET is not set: webhook mode checks it on every request; generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return self.webhook_secret.get_secret_value()

    def require_postgresql(self) -> str:
        """DATABASE_URL when it names PostgreSQL, which the sync job queue needs."""
        url = self.database_url
        if url is None or not url.startswith(("postgresql://", "postgresql+")):
            raise ConfigError("TALLYBOT_SYNC_WORKERS needs DATABASE_URL to name a PostgreSQL database")
        return url

    def require_token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value().strip():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram (/newbot) "
                "and put its token in the environment or in .env"
            )
        return self.telegram_bot_token.get_secret_value().strip()


def _env_name(field_name: str) -> str:
    alias = Settings.model_fields[field_name].validation_alias
    first = alias.choices[0] if isinstance(alias, AliasChoices) else None
    return first if isinstance(first, str) else field_name.upper()


_ENV_NAMES = {name: _env_name(name) for name in Settings.model_fields}


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's multi-line report into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        name = _ENV_NAMES.get(field, field).upper()
        # Never echo the offending value: it may be a key.
        raise ConfigError(f"{name} is invalid: {first['msg']}") from None
