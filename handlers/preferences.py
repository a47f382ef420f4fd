"""/settings: the user's time zone (used for times in /status), chosen from a list or typed after the command."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfoNotFoundError, available_timezones

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.context import services
from handlers import outbound
from handlers.callbacks import TIMEZONE
from i18n import t

COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def _keyboard() -> InlineKeyboardMarkup:
    buttons = [TIMEZONE.button(zone, zone) for zone in COMMON_ZONES]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _lookup(typed: str) -> str | None:
    """An IANA name for what the user typed, forgiving case ("europe/paris")."""
    by_lower = {zone.lower(): zone for zone in available_timezones() | {"UTC"}}
    return by_lower.get(typed.strip().lower())


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the time zone and a picker; `/settings timezone Europe/Paris` sets it directly."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    svc = services(context)
    args = list(context.args or [])
    if args and args[0].lower() in {"timezone", "tz"}:
        args = args[1:]
    if args:
        zone = _lookup(args[0])
        if zone is None:
            # The zone typed is never echoed: it could be a key.
            await outbound.send(context.bot, chat.id, escape(t("settings.unknown_timezone")))
            return
        profile = await svc.users.set_timezone(user.id, zone)
        await outbound.send(context.bot, chat.id, t("settings.timezone_set", zone=escape(profile.timezone)))
        return
    profile = await svc.users.register(user.id)
    await outbound.send(context.bot, chat.id, t("settings.menu", zone=escape(profile.timezone)), _keyboard())


async def on_zone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    fields = TIMEZONE.parse(query.data)
    zone = None if fields is None else fields[0]
    if zone is None or zone not in COMMON_ZONES:
        await query.answer(t("button.stale"), show_alert=True)
        return
    try:
        profile = await services(context).users.set_timezone(user.id, zone)
    except ZoneInfoNotFoundError:  # the machine lacks time zone data
        await query.answer(t("settings.unknown_timezone"), show_alert=True)
        return
    await query.answer()
    await outbound.edit_pressed(query, t("settings.timezone_set", zone=escape(profile.timezone)))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("settings", settings_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(on_zone, pattern=TIMEZONE.pattern))
