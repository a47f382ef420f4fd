"""/settings: the user's time zone (used for times in /status), chosen from a list or typed after the command, the
language every later message is worded in (one button per catalogue, each named in its own language), and
"Delete all my data" (shows what would be deleted, asks, deletes in one transaction, says what was deleted)."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfoNotFoundError, available_timezones

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.context import services
from bot.erase import FILE_TRANSACTIONS, EraseService, UserRows
from handlers import outbound
from handlers.autosync import store_of
from handlers.callbacks import ERASE, LANGUAGE, NOTICES, TIMEZONE, EraseAnswer
from handlers.locale import locale_of
from i18n import autonym, join, languages, msgid, t, tn

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


# What a deletion lists, in this order: (table, or a count of its own; catalogue id). Synced transactions are all the
# transactions less those from files.
ERASED_ITEMS = (
    ("integrations", msgid("erase.count.accounts")),
    ("credentials", msgid("erase.count.keys")),
    ("transactions", msgid("erase.count.synced_transactions")),
    (FILE_TRANSACTIONS, msgid("erase.count.file_transactions")),
    ("sync_runs", msgid("erase.count.sync_runs")),
    ("endpoint_states", msgid("erase.count.sync_positions")),
    ("reconciliations", msgid("erase.count.balance_checks")),
    ("reconciled_balances", msgid("erase.count.checked_balances")),
    ("assistant_drafts", msgid("erase.count.drafts")),
    ("open_progress_messages", msgid("erase.count.progress_records")),
    ("sync_leases", msgid("erase.count.running_syncs")),
)

# The notices button: what it says and the value it carries, by whether the user has muted notices now.
NOTICE_TOGGLE = {True: (msgid("autosync.button.unmute"), "off"), False: (msgid("autosync.button.mute"), "on")}


def _keyboard(locale: str, muted: bool) -> InlineKeyboardMarkup:
    buttons = [TIMEZONE.button(zone, zone) for zone in COMMON_ZONES]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([LANGUAGE.button(_marked(choice, locale), choice) for choice in languages()])
    label, value = NOTICE_TOGGLE[muted]
    rows.append([NOTICES.button(t(label, locale=locale), value)])
    rows.append([ERASE.button(t("erase.button.open", locale=locale), EraseAnswer.ASK, "", "")])
    return InlineKeyboardMarkup(rows)


def _marked(choice: str, locale: str) -> str:
    """A language's button: its own name, ticked when it is the one the user reads now."""
    return f"✓ {autonym(choice)}" if choice == locale else autonym(choice)


def _listing(rows: UserRows, locale: str) -> str:
    """What the user held, as one phrase: 2 exchange accounts, …, and your settings (time zone)."""
    items = []
    for table, text_id in ERASED_ITEMS:
        count = rows[table] - rows[FILE_TRANSACTIONS] if table == "transactions" else rows[table]
        if count > 0:
            items.append(tn(text_id, count, locale=locale))
    if rows["users"]:
        items.append(t("erase.item.settings", locale=locale))
    return join(items, locale)


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
    locale = await locale_of(update, context)
    args = list(context.args or [])
    if args and args[0].lower() in {"timezone", "tz"}:
        args = args[1:]
    if args:
        zone = _lookup(args[0])
        if zone is None:
            # The zone typed is never echoed: it could be a key.
            await outbound.send(context.bot, chat.id, escape(t("settings.unknown_timezone", locale=locale)))
            return
        profile = await svc.users.set_timezone(user.id, zone)
        await outbound.send(
            context.bot, chat.id, t("settings.timezone_set", locale=locale, zone=escape(profile.timezone))
        )
        return
    profile = await svc.users.register(user.id)
    await outbound.send(
        context.bot,
        chat.id,
        t("settings.menu", locale=locale, zone=escape(profile.timezone), language=autonym(locale)),
        _keyboard(locale, await store_of(context).muted(user.id)),
    )


async def on_zone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    locale = await locale_of(update, context)
    fields = TIMEZONE.parse(query.data)
    zone = None if fields is None else fields[0]
    if zone is None or zone not in COMMON_ZONES:
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    try:
        profile = await services(context).users.set_timezone(user.id, zone)
    except ZoneInfoNotFoundError:  # the machine lacks time zone data
        await query.answer(t("settings.unknown_timezone", locale=locale), show_alert=True)
        return
    await query.answer()
    await outbound.edit_pressed(query, t("settings.timezone_set", locale=locale, zone=escape(profile.timezone)))


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the language pressed; the answer, and every message after it, is worded in that language."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    fields = LANGUAGE.parse(query.data)
    chosen = None if fields is None else fields[0]
    if chosen is None or chosen not in languages():
        await query.answer(t("button.stale", locale=await locale_of(update, context)), show_alert=True)
        return
    await services(context).users.set_language(user.id, chosen)
    await query.answer()
    await outbound.edit_pressed(query, t("settings.language_set", locale=chosen, language=autonym(chosen)))


async def on_notices(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mute or unmute the notices of automatic syncs (a failed run, a key to replace)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    locale = await locale_of(update, context)
    fields = NOTICES.parse(query.data)
    if fields is None:
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    muted = fields[0] == "on"
    await store_of(context).mute(user.id, muted)
    await query.answer()
    done = msgid("autosync.notices.muted") if muted else msgid("autosync.notices.unmuted")
    await outbound.edit_pressed(query, t(done, locale=locale))


async def on_erase(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete all my data: "ask" shows what would go and the confirmation, "yes" deletes, "no" keeps everything.

    Only the presser's own data is ever deleted; the confirmation names their users row and a deadline, so one
    from another user's menu, from before an earlier deletion, or too old, deletes nothing."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None:
        return
    locale = await locale_of(update, context)
    fields = ERASE.parse(query.data)
    if fields is None or chat is None or chat.type != chat.PRIVATE:
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    answer, owner, until = fields
    eraser = EraseService.of(services(context))
    chats = {user.id, chat.id}
    if answer == EraseAnswer.NO:
        await query.answer()
        await outbound.edit_pressed(query, t("erase.kept", locale=locale))
        return
    if answer == EraseAnswer.ASK:
        held = await eraser.inventory(user.id, chats)
        if held is None:
            await query.answer(t("erase.expired", locale=locale), show_alert=True)
            return
        confirm = t("erase.button.confirm", locale=locale)
        keyboard = InlineKeyboardMarkup(
            [
                [ERASE.button(confirm, EraseAnswer.YES, held.user_id, eraser.deadline())],
                [ERASE.button(t("erase.button.keep", locale=locale), EraseAnswer.NO, "", "")],
            ]
        )
        await query.answer()
        await outbound.edit_pressed(query, t("erase.confirm", locale=locale, what=_listing(held, locale)), keyboard)
        return
    erased = None
    if owner and until and eraser.still_valid(int(until)):
        erased = await eraser.erase(user.id, chats, user_id=int(owner))
    if erased is None:
        await query.answer(t("erase.expired", locale=locale), show_alert=True)
        return
    # What this process keeps about the user in memory: the files they sent and have not assigned to an account.
    context.application.drop_user_data(user.id)
    await query.answer()
    await outbound.edit_pressed(query, t("erase.done", locale=locale, what=_listing(erased, locale)))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("settings", settings_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(on_zone, pattern=TIMEZONE.pattern))
    application.add_handler(CallbackQueryHandler(on_language, pattern=LANGUAGE.pattern))
    application.add_handler(CallbackQueryHandler(on_erase, pattern=ERASE.pattern))
    application.add_handler(CallbackQueryHandler(on_notices, pattern=NOTICES.pattern))
