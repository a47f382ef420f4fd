"""Telegram's sending limits, enforced when a test asks for them (``BotApiEmulator.enforce_flood_limits``).

From the Bots FAQ ("My bot is hitting limits, how do I avoid this?", core.telegram.org/bots/faq):
- one bot, many chats: "not more than 30 messages per second or so" — here more than 30 in any one second is refused;
- one group: "not more than 20 messages per minute" — more than 20 in any 60 seconds is refused;
- one private chat: "avoid sending more than one message per second. We may allow short bursts that go over this
  limit, but eventually you'll begin receiving 429 errors" — the burst's size is not documented: here a bucket of
  PRIVATE_BURST messages that drains at one a second.
A refused request gets Telegram's 429 answer, "Too Many Requests: retry after N" with ``parameters.retry_after`` (the
Bot API's ResponseParameters), N the whole seconds until it would have been accepted. What counts as a message is not
documented either: every send, edit, copy or forward to a chat counts here; other methods never do.

Off by default: most tests play one user at a human pace, and PTB's in-process limiter (the embedded deployment)
does not pace private chats at all.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

from sandbox.botapi.errors import ApiError, default_description

OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
PRIVATE_BURST = 5
MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")


@dataclass
class Refusal:
    method: str
    chat_id: int
    at: float  # time.monotonic()
    retry_after: int


@dataclass
class FloodLimits:
    enforced: bool = False
    accepted: list[tuple[float, int]] = field(default_factory=list)  # (time.monotonic(), chat id) per message
    refusals: list[Refusal] = field(default_factory=list)
    _recent: deque[float] = field(default_factory=deque)
    _groups: dict[int, deque[float]] = field(default_factory=dict)
    _private: dict[int, tuple[float, float]] = field(default_factory=dict)  # chat -> (bucket level, at)

    def check(self, method: str, chat_id: int | None) -> ApiError | None:
        """Count a message to `chat_id`, or refuse it with the 429 Telegram would send."""
        if not self.enforced or chat_id is None or not method.startswith(MESSAGE_PREFIXES):
            return None
        now = time.monotonic()
        wait = max(self._overall_wait(now), self._chat_wait(chat_id, now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self.refusals.append(Refusal(method, chat_id, now, retry_after))
            return ApiError(429, default_description(429, retry_after), retry_after=retry_after)
        self._recent.append(now)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)
        else:
            self._private[chat_id] = (self._drained(chat_id, now) + 1, now)
        self.accepted.append((now, chat_id))
        return None

    def most_in_one_second(self) -> int:
        """The most messages accepted within any one second, over the whole run."""
        times = sorted(at for at, _chat in self.accepted)
        most, start = 0, 0
        for end, at in enumerate(times):
            while times[start] <= at - 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def _overall_wait(self, now: float) -> float:
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) < OVERALL_PER_SECOND:
            return 0.0
        return self._recent[0] + 1.0 - now

    def _chat_wait(self, chat_id: int, now: float) -> float:
        if chat_id < 0:
            sent = self._groups.get(chat_id, deque())
            while sent and sent[0] <= now - 60.0:
                sent.popleft()
            return 0.0 if len(sent) < GROUP_PER_MINUTE else sent[0] + 60.0 - now
        level = self._drained(chat_id, now)
        return 0.0 if level + 1 <= PRIVATE_BURST else level + 1 - PRIVATE_BURST

    def _drained(self, chat_id: int, now: float) -> float:
        level, at = self._private.get(chat_id, (0.0, now))
        return max(0.0, level - (now - at))
