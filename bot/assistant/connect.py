"""The live key check and what follows it: store the key and move on, or say why not and offer the right retry."""

from __future__ import annotations

from datetime import date

from bot.assistant.drafts import Draft
from bot.assistant.flow import Flow, key_type_of, problem_note, profile_of
from bot.assistant.results import (
    Action,
    CheckReport,
    ConnectedReport,
    Outcome,
    Retry,
    RetryKind,
    Screen,
    ScreenKind,
)
from bot.assistant.state import Connected, Mode, Step
from bot.integrations import AdvancedOptions, IntegrationError, NameTaken
from connectors.diagnosis import DiagnosisCode
from connectors.keycheck import check_key

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


def retries_for(code: DiagnosisCode, field_names: list[str]) -> tuple[Retry, ...]:
    retries: list[Retry] = []
    if code == DiagnosisCode.WRONG_PASSPHRASE and "password" in field_names:
        retries.append(Retry(RetryKind.FIELD_AGAIN, Action.RETRY_FIELD, str(field_names.index("password"))))
    elif code == DiagnosisCode.WRONG_KEY_TYPE:
        retries.append(Retry(RetryKind.KEY_TYPE, Action.RETRY_FIELD, "kt"))
    elif code in RETRY_NEW_KEY:
        retries.append(Retry(RetryKind.NEW_KEY, Action.RETRY_FIELD, "0"))
    if code in CHECK_AGAIN_TOO or code not in RETRY_NEW_KEY:
        retries.append(Retry(RetryKind.CHECK_AGAIN, Action.CHECK))
    return tuple(retries)


async def check_and_connect(flow: Flow, draft: Draft) -> Outcome:
    """Check the draft's key with the exchange; if it is a working read-only key, store it (a new account, or the
    replaced key of an existing one) and move to the next exchange or the summary."""
    profile = profile_of(draft)
    key_type = key_type_of(draft, profile)
    state = draft.state
    fields = await flow.drafts.secrets(draft, profile.id)
    result = await check_key(
        profile,
        fields,
        pool=flow.pool,
        credential_id=":".join(("check", draft.id)),  # a client of its own, never a stored credential's
        key_type=key_type.id,
        allow_trading=flow.allow_trading_keys,
    )
    if not result.ok:
        diagnosis = result.diagnosis
        if diagnosis is None:  # a refusal always carries its diagnosis; be safe anyway
            raise RuntimeError("key check failed without a diagnosis")
        state.step = Step.FAILED
        state.failed_code = str(diagnosis.code)
        await flow.drafts.save(draft)
        retries = retries_for(diagnosis.code, [field.name for field in key_type.fields])
        return Outcome(draft, report=CheckReport(diagnosis=diagnosis, retries=retries))
    options = AdvancedOptions(
        subaccount=state.subaccount,
        sync_from=None if state.sync_from is None else date.fromisoformat(state.sync_from),
        endpoints=tuple(state.endpoints or ()),
    )
    try:
        if state.mode == Mode.REPLACE and state.replace_integration_id is not None:
            stored = await flow.integrations.replace_key(
                draft.telegram_user_id,
                state.replace_integration_id,
                key_type=key_type.id,
                fields=fields,
                expires_at=result.expires_at,
            )
        else:
            stored = await flow.integrations.connect(
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
        report = CheckReport(problem=problem_note(problem))
        return await flow.show(draft, Screen(ScreenKind.PROMPT), Outcome(draft, report=report))
    except IntegrationError as problem:
        return Outcome(draft, report=CheckReport(problem=problem_note(problem)))
    report = CheckReport(
        connected=ConnectedReport(
            stored.id,
            stored.account_name,
            profile.id,
            result.permissions_verified,
            result.expires_at,
            result.ip_restricted,
            result.warning_texts,
        )
    )
    state.connected.append(Connected(stored.id, stored.account_name, profile.id))
    return await flow.next_exchange(draft, Outcome(draft, report=report))
