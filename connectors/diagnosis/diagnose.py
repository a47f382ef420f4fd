"""Turn an exchange error into a Diagnosis: the exchange's own code first, then ccxt's error type, then HTTP status."""

from __future__ import annotations

from typing import Literal

from connectors.diagnosis.codes import STATUS_CODES, cause_for_code
from connectors.diagnosis.facts import ErrorFacts, error_facts
from connectors.diagnosis.model import Diagnosis, DiagnosisCode, EndpointNotOffered, LookbackLimitReached
from connectors.diagnosis.texts import (
    TEMPLATES,
    delete_withdraw_key,
    refused_after_success,
    retry_after_wait,
    too_many_trade,
    too_many_withdraw,
    where,
)
from connectors.profiles import EndpointSpec, ExchangeProfile, TipCode
from i18n import Text

D = DiagnosisCode
Variant = Literal["withdraw", "trade", "after_success"]

# Combined causes quote only the first fixes of each of the profile's tips, so the list stays readable.
_FIXES_PER_TIP_WHEN_COMBINED = 2

# What Tallybot's own reading of an answer raises when a record is not what it expects (a field missing, a number
# that is not one, an answer that is not the documented object at all): Tallybot's failure to read the record,
# never an error of the exchange.
_READING_FAULTS: tuple[type[BaseException], ...] = (
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    ArithmeticError,
)

# ccxt's exception types, most specific first (matched by name, so this module never imports ccxt).
_BY_CCXT_TYPE: tuple[tuple[str, DiagnosisCode], ...] = (
    ("NotSupported", D.ENDPOINT_NOT_OFFERED),
    ("InvalidNonce", D.CLOCK_SKEW),
    ("RateLimitExceeded", D.RATE_LIMITED),
    ("DDoSProtection", D.RATE_LIMITED),
    ("OnMaintenance", D.MAINTENANCE),
    ("RequestTimeout", D.NETWORK_ERROR),
    ("AccountSuspended", D.ACCOUNT_RESTRICTED),
    ("PermissionDenied", D.MISSING_PERMISSION),
    ("AuthenticationError", D.INVALID_KEY),
)


def diagnose(
    error: BaseException,
    profile: ExchangeProfile,
    *,
    key_type: str | None = None,
    endpoint: EndpointSpec | None = None,
) -> Diagnosis:
    """Explain `error` (raised while talking to `profile`'s exchange) in plain words, with what to do.

    `key_type` sharpens codes whose meaning depends on it (a Bitget passphrase error on a Tax API key means the
    key is a normal one). `endpoint`, the history being fetched, is named where the fault is Tallybot's (a record
    it could not read, an address the exchange did not know). The exchange's error text is never used: only its
    type, HTTP status and code; and nothing of the record that could not be read.
    """
    facts = error_facts(error)
    ccxt_types = _ccxt_type_names(error)
    cause = _cause(error, facts, ccxt_types, profile, key_type)
    variant: Variant | None = None
    if cause is D.KEY_REFUSED and "DDoSProtection" in ccxt_types:
        variant = "after_success"  # ccxt's reading of Binance -2015 after an earlier success
    retryable: bool | None = None
    if cause is D.UNKNOWN:
        # Worth another try only for transient kinds; an unrecognised 4xx is a request we got wrong.
        client_error = facts.status is not None and 400 <= facts.status < 500
        retryable = ("OperationFailed" in ccxt_types or facts.network) and not client_error
    retry_after = facts.retry_after if cause in (D.RATE_LIMITED, D.MAINTENANCE) else None
    return diagnosis_for(
        cause, profile, retry_after=retry_after, variant=variant, retryable=retryable, endpoint=endpoint
    )


def diagnosis_for(
    code: DiagnosisCode,
    profile: ExchangeProfile,
    *,
    retry_after: float | None = None,
    variant: Variant | None = None,
    retryable: bool | None = None,
    endpoint: EndpointSpec | None = None,
) -> Diagnosis:
    """The Diagnosis for a known cause (also used by the key check for refusals that are not errors).

    `variant` picks a more specific wording: "withdraw" or "trade" for too_many_permissions, "after_success"
    for key_refused when the key had worked on the same client before. `endpoint` names the history (and the
    exchange's address for it) in the texts that say where Tallybot failed.
    """
    template = TEMPLATES[code]
    name = profile.name
    place = where(endpoint.phrase, endpoint.api_path) if endpoint is not None else where(None)
    details: list[Text] = [Text.of(template.explanation, name=name, where=place)]
    generic: list[Text | str] = [Text.of(tip, name=name) for tip in template.tips]
    is_retryable = template.retryable if retryable is None else retryable
    if variant == "withdraw":
        details = [too_many_withdraw()]
        generic.insert(0, delete_withdraw_key(name))
    elif variant == "trade":
        details = [too_many_trade()]
    elif variant == "after_success":
        details.append(refused_after_success(name))
        is_retryable = True
    if retry_after is not None:
        details.append(retry_after_wait(name, retry_after))
    fixes = _profile_fixes(profile, template.tip_codes) + tuple(generic)
    return Diagnosis(
        code=code,
        headline=Text.of(template.title, name=name),
        details=tuple(details),
        fixes=tuple(dict.fromkeys(fixes)),  # drop repeats, keep order
        retryable=is_retryable,
        retry_after=retry_after,
    )


def _profile_fixes(profile: ExchangeProfile, codes: tuple[TipCode, ...]) -> tuple[Text | str, ...]:
    combined = len(codes) > 2
    fixes: list[Text | str] = []
    for tip_code in codes:
        tip = profile.tip(tip_code)
        if tip is not None:
            fixes.extend(tip.fixes[:_FIXES_PER_TIP_WHEN_COMBINED] if combined else tip.fixes)
    return tuple(fixes)


def _ccxt_type_names(error: BaseException) -> frozenset[str]:
    return frozenset(cls.__name__ for cls in type(error).__mro__ if cls.__module__.startswith("ccxt"))


def _cause(
    error: BaseException,
    facts: ErrorFacts,
    ccxt_types: frozenset[str],
    profile: ExchangeProfile,
    key_type: str | None,
) -> DiagnosisCode:
    if isinstance(error, LookbackLimitReached):
        return D.LOOKBACK_LIMIT
    if isinstance(error, EndpointNotOffered):
        return D.ENDPOINT_NOT_OFFERED
    if "NotSupported" in ccxt_types:  # ccxt itself says the exchange lacks the call
        return D.ENDPOINT_NOT_OFFERED
    if not ccxt_types and isinstance(error, _READING_FAULTS):
        return D.UNREADABLE_RECORD
    if facts.code is not None:
        for exchange_id in dict.fromkeys(filter(None, (profile.ccxt_id, facts.exchange))):
            cause = cause_for_code(exchange_id, facts.code, key_type)
            if cause is not None:
                return cause
    if facts.network:
        return D.NETWORK_ERROR
    for type_name, cause in _BY_CCXT_TYPE:
        if type_name in ccxt_types:
            return cause
    if facts.status is not None:
        by_status = STATUS_CODES.get(facts.status)
        if by_status is not None:
            return by_status
        if facts.status >= 500:
            return D.EXCHANGE_DOWN
        return D.UNKNOWN  # a 4xx we do not recognise: most likely a request Tallybot got wrong
    if "ExchangeNotAvailable" in ccxt_types:
        return D.EXCHANGE_DOWN
    if "NetworkError" in ccxt_types:
        return D.NETWORK_ERROR
    if isinstance(error, TimeoutError | ConnectionError):
        return D.NETWORK_ERROR
    return D.UNKNOWN
