"""The live key check and what follows it: store and move on, or explain and offer the right retry."""

from __future__ import annotations

import logging
from datetime import date
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.assistant import texts
from bot.assistant.drafts import Draft
from bot.assistant.state import Connected, Mode, Step
from bot.context import services
from bot.integrations import AdvancedOptions, IntegrationError, NameTaken
from connectors.diagnosis import DiagnosisCode
from connectors.keycheck import check_key
from handlers import outbound
from handlers.assistant import views
from handlers.assistant.buttons import Action
from handlers.assistant.flow import key_type_of, next_exchange, profile_of, say, show
from handlers.callbacks import sync_data

log = logging.getLogger(__name__)

# Which step to offer again for each diagnosis: the one that was wrong, not the whole flow.
RETRY_NEW_KEY = {
    DiagnosisCode.INVALID_KEY,
    DiagnosisCode.KEY_EXPIRED,
    DiagnosisCode.TOO_MANY_PERMISSIONS,
    DiagnosisCode.MISSING_PERMISSION,
    DiagnosisCode.IP_NOT_ALLOWED,
    DiagnosisCode.KEY_REFUSED,
}
# Causes the user can fix on the exchange's page without a new key (IP list, permissions ticked), or that pass.
CHECK_AGAIN_TOO = {DiagnosisCode.IP_NOT_ALLOWED, DiagnosisCode.KEY_REFUSED, DiagnosisCode.MISSING_PERMISSION}


def retry_buttons(code: DiagnosisCode, field_names: list[str]) -> list[tuple[str, str, str]]:
    buttons: list[tuple[str, str, str]] = []
    if code == DiagnosisCode.WRONG_PASSPHRASE and "password" in field_names:
        buttons.append(("Re-enter the passphrase", Action.RETRY_FIELD, str(field_names.index("password"))))
    elif code == DiagnosisCode.WRONG_KEY_TYPE:
        buttons.append(("Choose the key type again", Action.RETRY_FIELD, "kt"))
    elif code in RETRY_NEW_KEY:
        buttons.append(("Enter a new key", Action.RETRY_FIELD, "0"))
    if code in CHECK_AGAIN_TOO or code not in RETRY_NEW_KEY:
        buttons.append(("Check again", Action.CHECK, ""))
    return buttons


async def check_and_store(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Draft) -> None:
    svc = services(context)
    profile = profile_of(draft)
    key_type = key_type_of(draft, profile)
    state = draft.state
    status = await say(context, draft, texts.CHECKING.format(exchange=profile.name))
    fields = await svc.drafts.secrets(draft, profile.id)
    result = await check_key(
        profile,
        fields,
        pool=svc.pool,
        credential_id=f"check:{draft.id}",
        key_type=key_type.id,
        allow_trading=svc.settings.allow_trading_keys,
    )
    if not result.ok:
        diagnosis = result.diagnosis
        if diagnosis is None:  # a refusal always carries its diagnosis; be safe anyway
            raise RuntimeError("key check failed without a diagnosis")
        state.step = Step.FAILED
        state.failed_code = str(diagnosis.code)
        keyboard = views.failure_keyboard(
            draft, profile, retry_buttons(diagnosis.code, [field.name for field in key_type.fields])
        )
        failure = texts.failure(diagnosis.title, diagnosis.explanation, diagnosis.tips)
        await outbound.edit(context.bot, status.chat_id, status.message_id, failure, keyboard)
        state.menu_message_id = status.message_id
        await svc.drafts.save(draft)
        return
    options = AdvancedOptions(
        subaccount=state.subaccount,
        sync_from=None if state.sync_from is None else date.fromisoformat(state.sync_from),
        endpoints=tuple(state.endpoints or ()),
    )
    try:
        if state.mode == Mode.REPLACE and state.replace_integration_id is not None:
            stored = await svc.integrations.replace_key(
                draft.telegram_user_id,
                state.replace_integration_id,
                key_type=key_type.id,
                fields=fields,
                expires_at=result.expires_at,
            )
        else:
            stored = await svc.integrations.connect(
                draft.telegram_user_id,
                exchange_id=profile.id,
                key_type=key_type.id,
                account_name=state.account_name or profile.name,
                fields=fields,
                options=options,
                expires_at=result.expires_at,
            )
    except NameTaken as problem:
        state.step = Step.ASK_NAME
        await outbound.edit(context.bot, status.chat_id, status.message_id, escape(str(problem)))
        await show(update, context, draft, views.prompt_for(draft, Step.ASK_NAME), edit=False)
        return
    except IntegrationError as problem:
        await outbound.edit(context.bot, status.chat_id, status.message_id, escape(str(problem)))
        return
    text = texts.connected(
        stored.account_name, profile.name, result.permissions_verified, result.expires_at, result.ip_restricted
    )
    if result.warnings:
        text += "\n\n" + texts.warnings_block(result.warnings)
    sync_now = InlineKeyboardMarkup([[InlineKeyboardButton("🔄 Sync now", callback_data=sync_data([stored.id]))]])
    await outbound.edit(context.bot, status.chat_id, status.message_id, text, sync_now)
    state.connected.append(Connected(stored.id, stored.account_name, profile.id))
    await next_exchange(update, context, draft)
