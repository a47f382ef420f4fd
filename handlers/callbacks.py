"""The button families of the bot: callback data `<prefix>:<field>[:<field>…]`, at most 64 bytes.

The codec and its registry are in bot/callback_codec.py (a sync worker builds buttons too); every family is declared
once, with the shape of each field, so a prefix cannot be taken twice, a button that would not fit Telegram's 64 bytes
fails when it is built, and a forged or stale press parses to None (the handler answers "this button is from an older
menu"). The handlers' `CallbackQueryHandler` patterns come from here too (`Family.pattern`, `pattern_of`).
"""

from __future__ import annotations

from enum import StrEnum

from bot.callback_codec import ID, KEYS, MAX_BYTES, NAME, NONCE, STATUS, Family, Field, families, pattern_of

__all__ = ["KEYS", "MAX_BYTES", "STATUS", "families", "pattern_of"]


class SyncScope(StrEnum):
    """What a Sync button's target holds besides account ids."""

    ALL = "all"  # every account of the user


class EraseAnswer(StrEnum):
    """A Delete-all-my-data button's answer."""

    ASK = "ask"  # show what would go, and the confirmation
    YES = "yes"  # delete (with the presser's users row id and a deadline)
    NO = "no"  # keep everything


# Every family of the bot. A field shape is as narrow as the values the bot itself puts there.
ASSISTANT = Family("as", Field("token", NONCE), Field("action", NAME), Field("argument", r"[A-Za-z0-9_.-]{0,40}"))
SYNC = Family("sy", Field("target", f"{SyncScope.ALL}|[0-9]{{1,18}}(?:,[0-9]{{1,18}})*"))
TROUBLESHOOT_ACCOUNT = Family("tb", Field("integration", ID))
TROUBLESHOOTING = Family("ts", Field("topic", NAME))
TIMEZONE = Family("tz", Field("zone", r"[A-Za-z0-9_/+-]{1,40}"))
LANGUAGE = Family("lg", Field("locale", r"[a-z]{2,3}"))
UPLOAD_ACCOUNT = Family("up", Field("token", NONCE), Field("target", f"new|{ID}"))
UPLOAD_EXCHANGE = Family("upn", Field("token", NONCE), Field("exchange", NAME))
UPLOAD_FORMAT = Family("upf", Field("token", NONCE), Field("integration", ID), Field("format", NAME))
EXPORT = Family("ex", Field("format", NAME), Field("scope", f"(?:all|{ID})?"), Field("span", r"[0-9-]{0,17}"))
ERASE = Family(
    "er", Field("answer", "|".join(EraseAnswer)), Field("user", f"(?:{ID})?"), Field("until", r"[0-9]{0,12}")
)

# Notices of automatic syncs (/settings): mute or unmute.
NOTICES = Family("nt", Field("muted", "on|off"))


def sync_data(integration_ids: list[int] | None) -> str:
    """A Sync button's data: every account (None), or these accounts ("3,4,7", after connecting several)."""
    return SYNC.data(SyncScope.ALL if integration_ids is None else ",".join(str(i) for i in integration_ids))
