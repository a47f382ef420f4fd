"""Configuration: the environment names of ARCHITECTURE.md, and one-line errors a person can act on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ConfigError, load_settings


def test_every_documented_variable_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "42:abc")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://tally@db/tally")
    monkeypatch.setenv("TALLYBOT_DATA_DIR", "/var/lib/tallybot")
    monkeypatch.setenv("TALLYBOT_MASTER_KEY", "a2V5")
    monkeypatch.setenv("EXCHANGE_URL_OVERRIDES", "binance=http://127.0.0.1:9001, Bybit=http://127.0.0.1:9002/")
    monkeypatch.setenv("TALLYBOT_ALLOWED_USERS", "1001, 1002")
    monkeypatch.setenv("LOG_LEVEL", "debug")

    settings = load_settings()

    assert settings.require_token() == "42:abc"
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram_file_base_url == "http://127.0.0.1:8081/file/bot"
    assert settings.effective_database_url == "postgresql+asyncpg://tally@db/tally"
    assert settings.data_dir == Path("/var/lib/tallybot")
    assert settings.master_key is not None and settings.master_key.get_secret_value() == "a2V5"
    assert settings.exchange_url_overrides == {"binance": "http://127.0.0.1:9001", "bybit": "http://127.0.0.1:9002"}
    assert settings.allowed_users == frozenset({1001, 1002})
    assert settings.log_level == "DEBUG"


def test_defaults_are_the_embedded_sqlite_database_and_public_telegram(tmp_path: Path) -> None:
    settings = load_settings()

    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_file_base_url == "https://api.telegram.org/file/bot"
    assert settings.uses_embedded_database
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tallybot.sqlite3'}"
    assert settings.allowed_users == frozenset()


def test_dot_env_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=7:from-dotenv\nTALLYBOT_ALLOWED_USERS=5\n")

    settings = load_settings()

    assert settings.require_token() == "7:from-dotenv"
    assert settings.allowed_users == frozenset({5})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TALLYBOT_ALLOWED_USERS", "alice,bob"),
        ("EXCHANGE_URL_OVERRIDES", "binance"),
        ("LOG_LEVEL", "LOUD"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org"),
    ],
)
def test_a_malformed_variable_is_named_in_one_line(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as raised:
        load_settings()

    message = str(raised.value)
    assert message.startswith(f"{variable} is invalid")
    assert "\n" not in message


def test_missing_token_is_an_error_that_says_where_to_get_one() -> None:
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN is not set.*BotFather"):
        load_settings().require_token()


def _tallybot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "TELEGRAM_BOT_TOKEN"}
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )


def test_tallybot_run_without_a_token_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    result = _tallybot("run", cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "BotFather" in lines[0]


def test_help_lists_the_operator_commands(tmp_path: Path) -> None:
    result = _tallybot("--help", cwd=tmp_path)

    assert result.returncode == 0
    for command in ("run", "migrate", "rotate-master-key"):
        assert command in result.stdout
