"""Whether an account used what a short-reach list holds, so that the list's reach is a gap worth telling.

bills-archive keeps three months and savings lending history one month; every OKX user's first sync from further
back would be told "older funding fees / realized profit and loss / interest / savings interest cannot be reached"
even if they never held a swap, a margin loan or savings. The reach is reported when the account shows a sign of
use before it, and kept whenever the sign cannot be looked for:

- realized P&L bills of SWAP, FUTURES, OPTION: a fill of that type older than the reach, met by the same sync's
  fills walk (no request);
- funding fees (type 8): a SWAP fill in the missing range (one fills-history request, `limit=1`);
- interest (type 7): a MARGIN fill in the missing range (one request);
- savings lending history: a savings subscription or redemption bill (75/76) older than the reach, met by the
  rewards' walk.

fills-history reaches one year: a missing range older than that cannot be looked into, so its gap is kept. What the
signs cannot see is named in docs/exchange-apis/okx.md (a position opened before the sync-from date; interest on
borrowing in spot mode without margin fills).
"""

from __future__ import annotations

from connectors.fetchers.base import CoverageGap, FetchReport
from connectors.fetchers.okx.derivatives import DerivativeRows, Reads, SubWalk
from connectors.fetchers.windows import call, now_ms, to_ms
from connectors.profiles import Endpoint

# fills-history's reach (the longer edition, as the profile's lookback): a range older cannot be probed.
FILLS_REACH_MS = 365 * 86_400_000


async def keep_gaps_of_use(
    sub: SubWalk, rows: DerivativeRows, client: object, endpoint: Endpoint, report: FetchReport, first: int
) -> None:
    """Drops the gaps the sub-walk added (report.gaps[first:]) when the account shows no use before them."""
    if sub.sign is None:
        return
    kept: list[CoverageGap] = []
    for gap in report.gaps[first:]:
        if await _used_before(sub, gap, rows, client, endpoint, report):
            kept.append(gap)
    report.gaps[first:] = kept


async def _used_before(
    sub: SubWalk, gap: CoverageGap, rows: DerivativeRows, client: object, endpoint: Endpoint, report: FetchReport
) -> bool:
    end_ms, sign = to_ms(gap.end), str(sub.sign)
    if sub.reads is Reads.SAVINGS_INTEREST:
        return rows.savings_since_ms is not None and rows.savings_since_ms < end_ms
    if sub.reads is Reads.PNL:  # the same endpoint's fills walk of this type went first
        oldest = rows.oldest_fill_ms.get(sign)
        return oldest is not None and oldest < end_ms
    start_ms = to_ms(gap.start)
    if start_ms < now_ms() - FILLS_REACH_MS:
        return True  # older than fills-history reaches: no way to tell, so the gap stands
    params = {"instType": sign, "begin": start_ms, "end": end_ms, "limit": 1}
    body = await call(client, "privateGetTradeFillsHistory", params, endpoint=endpoint, report=report)
    return bool(body.get("data"))
