"""The `tallybot` command line: run, migrate, rotate-master-key, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.logs import configure_logging
from bot.settings import ConfigError, Settings, load_settings
from bot.vault import VaultError, generate_key

log = logging.getLogger("tallybot")


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if args.webhook is not None:
        settings = load_settings(webhook_url=args.webhook)
    settings.require_token()  # before the heavy imports, so a missing token is the only thing said
    if settings.webhook_url is not None:
        settings.require_webhook_secret()
        return _run_webhook(settings)
    from telegram.error import InvalidToken, NetworkError

    from bot.app import ALLOWED_UPDATES, build_application
    from bot.lifecycle import FATAL_KEY, HANDLE_SIGNALS_KEY, quiet_bootstrap_failures
    from bot.startup import StartupError

    application = build_application(settings)
    # The bot handles SIGINT and SIGTERM itself: running syncs and uploads are cancelled and say so first.
    application.bot_data[HANDLE_SIGNALS_KEY] = True
    quiet_bootstrap_failures()
    try:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, stop_signals=None)
    except InvalidToken:
        # PTB's message quotes the token: never shown.
        raise StartupError(
            "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the token again from @BotFather "
            "(/mybots, API Token), or fix TELEGRAM_API_BASE_URL"
        ) from None
    except NetworkError as error:
        raise StartupError(
            f"cannot reach Telegram's Bot API ({type(error).__name__}): check the network, or TELEGRAM_API_BASE_URL"
        ) from None
    fatal = application.bot_data.get(FATAL_KEY)
    if fatal:
        print(f"tallybot: error: {fatal}", file=sys.stderr)
        return 1
    return 0


def _run_webhook(settings: Settings) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot.lifecycle import quiet_bootstrap_failures
    from bot.startup import StartupError
    from bot.webhook import serve_webhook

    quiet_bootstrap_failures()
    try:
        fatal = asyncio.run(serve_webhook(settings))
    except InvalidToken:
        raise StartupError(
            "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): copy it again from @BotFather"
        ) from None
    except NetworkError as error:
        raise StartupError(
            f"cannot reach Telegram's Bot API ({type(error).__name__}): check TELEGRAM_API_BASE_URL"
        ) from None
    except OSError as error:  # the listen address is taken or not ours
        raise StartupError(
            f"cannot listen on {settings.webhook_listen_host}:{settings.webhook_listen_port} ({error.strerror}): "
            "fix TALLYBOT_WEBHOOK_LISTEN_HOST / TALLYBOT_WEBHOOK_LISTEN_PORT"
        ) from None
    if fatal:
        print(f"tallybot: error: {fatal}", file=sys.stderr)
        return 1
    return 0


def _set_webhook(settings: Settings, args: argparse.Namespace) -> int:
    from bot.webhook_setup import set_webhook

    info = asyncio.run(set_webhook(settings, args.url, drop_pending_updates=args.drop_pending_updates))
    print(
        f"Telegram now sends this bot's updates to the webhook (max_connections {info.max_connections}, "
        f"{info.pending_update_count} waiting). Start the replicas with `tallybot run --webhook URL`."
    )
    return 0


def _delete_webhook(settings: Settings, args: argparse.Namespace) -> int:
    from bot.webhook_setup import delete_webhook

    info = asyncio.run(delete_webhook(settings, drop_pending_updates=args.drop_pending_updates))
    print(f"The webhook is deleted ({info.pending_update_count} update(s) waiting): `tallybot run` may poll again.")
    return 0


def _add_webhook_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    drop_help = "also drop the updates Telegram holds for the bot"
    setter = commands.add_parser(
        "set-webhook",
        help="tell Telegram to send updates to URL (once; replicas never do), with TALLYBOT_WEBHOOK_SECRET",
    )
    setter.add_argument("url", metavar="URL", help="the public https URL the replicas serve behind")
    setter.add_argument("--drop-pending-updates", action="store_true", help=drop_help)
    setter.set_defaults(handler=_set_webhook)
    deleter = commands.add_parser("delete-webhook", help="stop Telegram's webhook deliveries (before long polling)")
    deleter.add_argument("--drop-pending-updates", action="store_true", help=drop_help)
    deleter.set_defaults(handler=_delete_webhook)


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.startup import open_database
    from db.migrate import current_revision

    async def migrate() -> str | None:
        # The same checks as a start (one line for a damaged, truncated or unreachable database), then migrated.
        database = await open_database(settings)
        try:
            return await current_revision(database)
        finally:
            await database.dispose()

    revision = asyncio.run(migrate())
    print(f"Database is up to date (revision {revision}).")
    if not settings.uses_embedded_database and settings.effective_database_url.startswith("postgresql"):
        from db.migrate import apply_job_schema

        created = asyncio.run(apply_job_schema(settings.effective_database_url))
        print("Sync job queue created." if created else "Sync job queue is in place.")
    return 0


def _worker(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.worker import main as run_worker

    return run_worker(settings)


def _rotate(settings: Settings, args: argparse.Namespace) -> int:
    if args.print_new_key:
        print(base64.b64encode(generate_key()).decode())
        return 0
    from bot.rotation import rotate_master_key

    result = asyncio.run(rotate_master_key(settings))
    print(
        f"Re-encrypted {result.resealed} credential(s) and {result.drafts} Assistant draft(s) "
        f"under master key {result.new_key_id}."
    )
    if result.key_file is not None:
        print(f"The new key is in {result.key_file} and the old one was removed: back up the new file now.")
    else:
        print("Every credential now uses the first key: remove the older keys from TALLYBOT_MASTER_KEY.")
    return 0


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    # The emulators and the terminal chat load only for this command.
    from sandbox.command import run_sandbox
    from sandbox.script import DEMO_SCRIPT

    script: Path | None = DEMO_SCRIPT if args.demo else args.script
    return run_sandbox(settings, data_dir=args.data_dir, script=script, seed=args.seed, wait_timeout=args.wait_timeout)


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {value!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError("expected a number of seconds above 0")
    return seconds


def _add_sandbox_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sandbox = commands.add_parser(
        "sandbox",
        help="try Tallybot offline: the real bot with emulated Telegram and exchanges, chatting in this terminal",
        description=(
            "Start, on 127.0.0.1 and in this process, a Telegram Bot API emulator, emulated Binance, Bybit, OKX "
            "and Bitget accounts with demo keys, and the real bot pointed at them; then chat with it here "
            "(or run a script of user actions with --script)."
        ),
        epilog=(
            "In the chat: #N presses button N of the latest menu, #Label a button by its label, /send PATH uploads "
            "a file. Script lines: a message (`/connect`, or `> text` verbatim), `[Label]` a button press, "
            "`? text` a wait for the bot to show text (`?60 text`: up to 60 s), `/send PATH` an upload, "
            "`{binance.read_only.secret}` a demo key, `# ...` a comment."
        ),
    )
    sandbox.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="keep the database, key file, log and downloads here (default: a temporary directory removed at exit)",
    )
    scripts = sandbox.add_mutually_exclusive_group()
    scripts.add_argument(
        "--script",
        type=Path,
        metavar="FILE",
        help="play FILE (one user action per line) and print the transcript; "
        "exit status 1 if the bot stops answering or logs an error",
    )
    scripts.add_argument("--demo", action="store_true", help="play the demo script shipped with Tallybot")
    sandbox.add_argument("--seed", type=int, default=1, metavar="N", help="seed of the demo accounts (default 1)")
    sandbox.add_argument(
        "--wait-timeout",
        type=_positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long a script waits for each reply or button (default 30)",
    )
    sandbox.set_defaults(handler=_sandbox)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tallybot",
        description="Tallybot: your crypto-exchange history, synced through read-only API keys.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the bot (long polling, or a webhook replica) until SIGINT or SIGTERM")
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="serve Telegram's webhook for URL instead of polling (or TALLYBOT_WEBHOOK_URL); see docs/DEPLOY.md",
    )
    run.set_defaults(handler=_run)
    commands.add_parser("migrate", help="apply database migrations and exit").set_defaults(handler=_migrate)
    commands.add_parser(
        "worker", help="run sync jobs from the queue (PostgreSQL, TALLYBOT_SYNC_WORKERS) until SIGINT or SIGTERM"
    ).set_defaults(handler=_worker)
    rotate = commands.add_parser("rotate-master-key", help="re-encrypt every stored credential under a new master key")
    rotate.add_argument(
        "--print-new-key", action="store_true", help="only print a fresh key for TALLYBOT_MASTER_KEY and exit"
    )
    rotate.set_defaults(handler=_rotate)
    _add_webhook_parsers(commands)
    _add_sandbox_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bot.startup import StartupError

    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        code: int = args.handler(settings, args)
        return code
    except StartupError as exc:
        print(f"tallybot: error: {exc}", file=sys.stderr)
        return 2
    except (ConfigError, VaultError) as exc:
        # One line a person can act on, not a traceback.
        print(f"tallybot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
