"""A Bybit user who keeps USDT in Flexible Saving connects a read-only key made without ticking Earn (Bybit's key page
lets a read-only key pick its sections; every Earn page says "API key needs \"Earn\" permission", and error.mdx lists
10005 "permission denied"). The key check accepts it, warning that Earn cannot be read and how to tick it; the sync
stores every other kind, skips Earn with its reason and fix in /status, and reads the two Earn wallets as "not
readable with this key": the reconciliation compares the other wallets and names Earn as the likely cause of the USDT
difference instead of leaving the account unread.

Ground truth by hand from sandbox/exchanges/bybit_earn.py's script (as tests/test_bybit_earn_e2e.py): two stakes
(half, then a quarter of the USDT the account holds, to the cent) and one redemption of a fifth of the first, and 48
daily yields. The unified wallet lacks what is still staked and holds the yields, neither of which the history sees.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY
from bot.reconcile.results import Outcome
from bot.reconcile.service import ReconcileReader
from connectors.keycheck import judge, parse_bybit
from connectors.profiles import get_profile
from db.models import Transaction
from i18n import t
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BybitEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.conformance.corpus import API_EXAMPLES
from tests.test_bybit_earn_e2e import EARN_PATHS, _expected
from tests.test_reconcile_e2e import RECENT

# The catalogue's English (profiles.po): the key check's warning and the /status reason with its fix.
WARNED = "Earn is not ticked among its permissions"
HOW_TO_TICK = "tick Earn under Read-Only and save"
SKIPPED = "⏭ Earn and staking rewards — This Bybit key may not read Earn"
# The reconciliation's cause: Tallybot fetches Earn, this key may not read it (not "does not fetch … yet").
DENIED = t("reconcile.cause.key_denied", locale="en", endpoints="earn and staking rewards", exchange="Bybit")
NOT_FETCHED = t("reconcile.cause.not_fetched", locale="en", endpoints="earn and staking rewards", exchange="Bybit")


def test_the_documented_key_reads_earn_and_the_same_key_without_its_earn_group_is_accepted_with_a_warning() -> None:
    documented = json.loads((API_EXAMPLES / "bybit" / "query_api.docs.json").read_text())["response"]
    without = json.loads(json.dumps(documented))
    without["result"]["permissions"]["Earn"] = []  # the key page's Earn box left unticked
    profile = get_profile("bybit")

    with_earn, lacking = parse_bybit(documented), parse_bybit(without)
    assert with_earn.note_text is None
    assert lacking.note_text is not None and lacking.note_text.id == "profile.bybit.key.no_earn"
    checked = judge(profile, lacking, allow_trading=False)
    assert checked.ok and checked.diagnosis is None  # read-only: accepted
    assert [(t.id, t.args.get("name")) for t in checked.warning_texts[:1]] == [("profile.bybit.key.no_earn", "Bybit")]
    del without["result"]["permissions"]["Earn"]  # an answer without the group at all says the same
    assert parse_bybit(without).note_text == lacking.note_text


async def test_a_key_without_earn_is_warned_syncs_every_other_kind_and_names_earn_for_the_difference(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=83, profile=RECENT, listed_symbols=20, earn=True) as bybit:
        key = bybit.create_demo_keys().no_earn
        usdt = bybit.book.wallet_totals("UNIFIED")[0]["USDT"] - bybit.book.earn_change["USDT"]
        yields, _ = _expected(bybit.clock.now_ms(), usdt)
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            connected = (await ada.connect_exchange("Bybit", key.api_key, key.secret, days_back=70)).text or ""
            summary = (await ada.sync_now()).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())
            [account] = await ReconcileReader(services.database).of_user(1001)

    assert "is connected" in connected and WARNED in connected and HOW_TO_TICK in connected, connected
    # Every other kind is stored; nothing of Earn's.
    assert "✅ Bybit-1:" in summary and "earn and staking rewards" not in summary, summary
    assert rows and not [r for r in rows if r.kind == "reward" or ":earn:" in r.natural_key]
    assert "🟡 Bybit-1" in status and SKIPPED in status and HOW_TO_TICK in status, status

    # The Earn wallets are not readable with this key: not failed, so the other wallets are compared.
    assert account.outcome is Outcome.UNEXPLAINED and account.wallets_failed == {}
    assert set(account.wallets_read) == {"unified", "funding", "crypto_loan"}
    first, second = (usdt / 2).quantize(Decimal("0.01")), (usdt / 4).quantize(Decimal("0.01"))
    still_staked = first + second - first / 5
    paid = sum((Decimal(str(amount)) for _, amount, _ in yields), Decimal(0))
    differing = {b.asset: (b.reported - b.explained, b.cause, b.cause_args) for b in account.balances if b.cause}
    assert differing == {"USDT": (paid - still_staked, "key_denied", {"endpoints": ["earn_rewards"]})}
    assert DENIED in status and NOT_FETCHED not in status, status

    served = bybit.requests.by_path
    assert served["/v5/earn/position"] == 3  # the sync's first, refused; the two wallet reads, refused
    assert all(path not in served for path in EARN_PATHS), served
