"""How Bitget's API v3 lists read their common parameters, shared by the unified account's spot, wallet, tax,
futures and margin lists (bitget_uta, bitget_uta_derivatives): the page size and the time range, each page's rule
quoted there. A value out of range gets 400172, the v3 twin of the 40017 ccxt recorded."""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.exchanges.bitget_protocol import BitgetError, int_param, missing


def invalid() -> BitgetError:
    return BitgetError("400172", "Parameter verification failed")


def page_limit(params: Mapping[str, str], default: int, most: int = 100) -> int:
    """`limit`: `default` when absent, refused outside 1..`most`."""
    value = int_param(params, "limit")
    if value is None:
        return default
    if not 1 <= value <= most:
        raise invalid()
    return value


def optional_window(params: Mapping[str, str], now_ms: int, range_ms: int, reach_ms: int) -> tuple[int, int]:
    """[start, end] of a list whose ends may be left out: `endTime` now, `startTime` `range_ms` before the end; at
    most `range_ms` apart, and nothing older than `reach_ms` before now served."""
    end = int_param(params, "endTime") or now_ms
    start = int_param(params, "startTime")
    start = end - range_ms if start is None else start
    if start > end or end - start > range_ms:
        raise invalid()
    return max(start, now_ms - reach_ms), end


def required_window(params: Mapping[str, str], range_ms: int | None = None) -> tuple[int, int]:
    """[start, end] of a list that requires both ends, at most `range_ms` apart where the page states a maximum."""
    start, end = int_param(params, "startTime"), int_param(params, "endTime")
    if start is None:
        raise missing("startTime")
    if end is None:
        raise missing("endTime")
    if start > end or (range_ms is not None and end - start > range_ms):
        raise invalid()
    return start, end
