"""The troubleshooting guide: common problems in plain words, with each exchange's own tips added."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from connectors.profiles import ExchangeProfile, TipCode


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    answer: tuple[str, ...]
    tip_codes: tuple[TipCode, ...] = ()  # the profiles' tips that belong under this topic


TOPICS: tuple[Topic, ...] = (
    Topic(
        "invalid",
        "My API key shows as invalid",
        (
            "Copy the key and the secret again with the exchange's copy buttons: one wrong or missing character "
            "is enough to fail. Tallybot strips spaces at the ends, but not inside.",
            "If you created several keys, make sure the key and the secret belong together.",
            "Check on the exchange that the key has not expired and still has reading rights.",
            "Bitget: a key from the normal API page and a Tax API key are entered differently — pick the "
            "matching key type.",
        ),
        (TipCode.INVALID_KEY, TipCode.WRONG_KEY_TYPE, TipCode.KEY_EXPIRED),
    ),
    Topic(
        "stopped",
        "My sync stopped working",
        (
            "The key may have been revoked or expired on the exchange, or disabled after a password change or "
            "another security event. Log in to the exchange and look at the key's status.",
            "If it is gone, create a new read-only key and put it in with /keys → Replace key: your history "
            "and sync progress stay.",
        ),
        (TipCode.KEY_EXPIRED,),
    ),
    Topic(
        "older",
        "Older transactions are missing",
        (
            "Most exchange APIs only reach back so far (Bitget: 2 years; others less). /status says which "
            "range could not be reached.",
            "Download your full history from the exchange and send the file to Tallybot to fill the gap: "
            "it only adds what is missing.",
        ),
        (TipCode.MISSING_HISTORY,),
    ),
    Topic(
        "fewer",
        "I see fewer transactions than expected",
        (
            "Some kinds of history are not in every exchange's API: futures, staking, P2P or bot (strategy) "
            "trades. Bitget's API leaves out strategy trades entirely: add them by file.",
            "Check in /keys → Options that every kind of history you used is ticked.",
            "Exchanges limit how fast they answer; a sync stopped by that is marked partial and continues "
            "where it stopped the next time you sync.",
        ),
        (TipCode.FEWER_TRANSACTIONS, TipCode.RATE_LIMITED),
    ),
    Topic(
        "multiple",
        "I have several accounts on one exchange",
        (
            "Create a separate read-only key in each account and connect each one: they become separate "
            'accounts in Tallybot ("Bitget-1", "Bitget-2"; rename them in /keys).',
        ),
    ),
    Topic(
        "ip",
        "The exchange asks about IP whitelisting",
        (
            'Choose "no IP restriction" (or leave the list empty). Tallybot does not have fixed addresses to '
            "give you, and a key limited to other addresses is refused on every request.",
        ),
        (TipCode.IP_NOT_ALLOWED,),
    ),
    Topic(
        "regenerated",
        "I regenerated my API key",
        (
            "The old key stops working at once. Use /keys → your account → Replace key and paste the new one; "
            "the account keeps its history.",
        ),
    ),
    Topic(
        "passphrase",
        "I forgot my passphrase",
        (
            "A passphrase cannot be recovered. On Bitget, a Tax API key needs no passphrase at all. Elsewhere, "
            "create a new key with a new passphrase and replace the old key in /keys.",
        ),
        (TipCode.WRONG_PASSPHRASE,),
    ),
    Topic(
        "tax",
        "What is a Tax API key?",
        (
            "Bitget offers a special key that can only read the records tax tools need. It has no passphrase "
            "and no trading or withdrawal rights, which makes it the simplest and safest choice there.",
        ),
    ),
)


def topic(topic_id: str) -> Topic | None:
    return next((t for t in TOPICS if t.id == topic_id), None)


def render(chosen: Topic, profiles: list[ExchangeProfile]) -> str:
    """The answer, then the tips of the user's own exchanges that belong to it."""
    lines = [f"🛟 <b>{escape(chosen.title)}</b>", ""]
    lines += [f"• {escape(paragraph)}" for paragraph in chosen.answer]
    for profile in profiles:
        tips = [tip for code in chosen.tip_codes if (tip := profile.tip(code)) is not None]
        if tips:
            lines += ["", f"<b>On {escape(profile.name)}</b>"]
            for tip in tips:
                lines += [f"• {escape(fix)}" for fix in tip.fixes]
    return "\n".join(lines)
