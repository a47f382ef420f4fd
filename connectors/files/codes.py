"""The asset codes the API sync stores, for exports that write the exchange's own ids (XBT, BCHSV, YOYO …)."""

from __future__ import annotations

import functools
from typing import Any

from connectors.profiles import UnknownExchange, get_profile


@functools.cache
def currency_codes(exchange_id: str) -> dict[str, str]:
    """ccxt's `commonCurrencies` for the exchange: what `safe_currency_code` turns an exchange's id into when it
    has no currency list loaded. Empty for an exchange ccxt does not know."""
    try:
        ccxt_id = get_profile(exchange_id).ccxt_id
    except UnknownExchange:
        return {}
    import ccxt  # the bot has it loaded already; imported here so parsers stay cheap to import

    exchange_class: Any = getattr(ccxt, ccxt_id, None)
    if exchange_class is None:
        return {}
    common = exchange_class().commonCurrencies or {}
    return {str(k).upper(): str(v) for k, v in common.items()}
