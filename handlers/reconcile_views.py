"""How a reconciliation reads (HTML): one line when the history explains every balance, else per asset the
difference and its most likely cause, in the reader's locale. Asset codes and exchange names are escaped."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from bot.reconcile import AccountReconciliation, AssetBalance, Cause, Outcome
from bot.reconcile.views import products, unplaced_line
from bot.reconcile.views import reason as reason
from bot.reconcile.views import sync_line as sync_line
from connectors.profiles import Endpoint, endpoint_label
from i18n import Text, join, msgid, render, t, tn

SHOWN = 8  # assets listed in /status; the export lists every one

CAUSE_IDS: Mapping[str, str] = {
    Cause.ENDPOINT_FAILED: msgid("reconcile.cause.endpoint_failed"),
    Cause.BEFORE_SYNC_FROM: msgid("reconcile.cause.before_sync_from"),
    Cause.KIND_OFF: msgid("reconcile.cause.kind_off"),
    Cause.KEY_DENIED: msgid("reconcile.cause.key_denied"),
    Cause.NOT_FETCHED: msgid("reconcile.cause.not_fetched"),
    Cause.NOT_READ_YET: msgid("reconcile.cause.not_read_yet"),
    Cause.ISOLATED_POSITION: msgid("reconcile.cause.isolated_position"),
    Cause.QUOTE_MARKETS: msgid("reconcile.cause.quote_markets"),
    Cause.QUOTE_SCANNING: msgid("reconcile.cause.quote_scanning"),
    Cause.UNKNOWN: msgid("reconcile.cause.unknown"),
}


def amount(value: Decimal) -> str:
    """A decimal as the exchange would write it: no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def signed(value: Decimal) -> str:
    return ("+" if value > 0 else "−") + amount(abs(value))


def phrases(endpoints: Any, locale: str) -> str:
    """The kinds of history named by endpoint codes, as a list in a sentence."""
    # The catalogue's phrase of each kind (connectors.profiles keeps the table; its ids are endpoint.<code>.phrase).
    known = [Endpoint(e) for e in endpoints or () if e in Endpoint.__members__.values()]
    return join([Text.of(f"endpoint.{e}.phrase") for e in known], locale) or "—"


def cause_line(balance: AssetBalance, exchange: str, locale: str) -> str:
    args: dict[str, Any] = dict(balance.cause_args or {})
    if balance.cause == Cause.UNPLACED_LEDGER:
        return unplaced_line(balance, exchange, locale)
    if balance.cause == Cause.BEFORE_REACH:
        until = date.fromisoformat(str(args["until"]))
        kinds = escape(render(endpoint_label(str(args.get("endpoint"))), locale))  # it starts the sentence
        if args.get("from_year") == until.year:  # "for 2026", never "for 2026–2026"
            return t(
                "reconcile.cause.before_reach_year",
                locale=locale,
                endpoints=kinds,
                until=until.isoformat(),
                exchange=escape(exchange),
                year=until.year,
            )
        if args.get("from_year"):
            return t(
                "reconcile.cause.before_reach",
                locale=locale,
                endpoints=kinds,
                until=until.isoformat(),
                exchange=escape(exchange),
                from_year=args["from_year"],
                until_year=until.year,
            )
        return t(
            "reconcile.cause.before_reach_open",
            locale=locale,
            endpoints=kinds,
            until=until.isoformat(),
            exchange=escape(exchange),
        )
    cause = Cause(balance.cause) if balance.cause and balance.cause in CAUSE_IDS else Cause.UNKNOWN
    kinds = escape(phrases(args.get("endpoints"), locale))
    fields: dict[str, str] = {
        Cause.ENDPOINT_FAILED: {"endpoints": kinds},
        Cause.BEFORE_SYNC_FROM: {"date": escape(str(args.get("date", "")))},
        Cause.KIND_OFF: {"endpoints": kinds},
        Cause.KEY_DENIED: {"endpoints": kinds, "exchange": escape(exchange)},
        Cause.NOT_FETCHED: {"endpoints": kinds, "exchange": escape(exchange)},
        Cause.NOT_READ_YET: {"products": escape(products(args.get("products"), locale)), "exchange": escape(exchange)},
        Cause.ISOLATED_POSITION: {"asset": escape(balance.asset), "exchange": escape(exchange)},
        Cause.QUOTE_MARKETS: {"asset": escape(balance.asset)},
        Cause.QUOTE_SCANNING: {
            "asset": escape(balance.asset),
            "done": str(args.get("done")),
            "total": str(args.get("total")),
        },
        Cause.UNKNOWN: {"exchange": escape(exchange)},
    }[cause]
    return t(CAUSE_IDS[cause], locale=locale, **fields)


def difference_lines(balance: AssetBalance, exchange: str, locale: str) -> str:
    head = t(
        "reconcile.difference",
        locale=locale,
        asset=escape(balance.asset),
        exchange=escape(exchange),
        reported=amount(balance.reported),
        explained=amount(balance.explained),
        difference=signed(balance.difference),
    )
    return f"  ⚠️ {head}\n     {cause_line(balance, exchange, locale)}"


def status_lines(result: AccountReconciliation, exchange: str, locale: str) -> list[str]:
    """The reconciliation part of an account's /status block."""
    if result.outcome is Outcome.BALANCED:
        return [f"  {t('reconcile.balanced', locale=locale)}"]
    if result.outcome is Outcome.UNREAD:
        return [f"  {t('reconcile.unread', locale=locale, reason=reason(result, locale))}"]
    differences = result.differences
    lines = [difference_lines(balance, exchange, locale) for balance in differences[:SHOWN]]
    if len(differences) > SHOWN:
        lines.append(f"  {tn('reconcile.more', len(differences) - SHOWN, locale=locale)}")
    return lines
