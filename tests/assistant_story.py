"""A user walking the Assistant, step by step, through the Bot API emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage, UserHandle


@dataclass
class Walker:
    emulator: BotApiEmulator
    user: UserHandle

    @property
    def chat_id(self) -> int:
        return self.user.chat_id

    async def send(self, text: str) -> ChatMessage:
        return await self.emulator.send_message(self.user, text)

    async def reply_to(self, sent: ChatMessage, containing: str = "", timeout: float = 15.0) -> ChatMessage:
        """The first bot message after `sent` whose text contains `containing`."""
        return await self.emulator.wait_for_bot_message(
            self.chat_id,
            after_message_id=sent.message_id,
            predicate=lambda m: containing in (m.text or ""),
            timeout=timeout,
        )

    def last_menu(self, containing_button: str) -> ChatMessage:
        for message in reversed(self.emulator.bot_messages(self.chat_id)):
            if any(containing_button in button.text for button in message.buttons):
                return message
        raise AssertionError(f"no visible menu with a button {containing_button!r}")

    async def press(self, label: str) -> None:
        menu = self.last_menu(label)
        exact = next(button.text for button in menu.buttons if label in button.text)
        before = len(self.emulator.answered_callbacks)
        await self.emulator.press_button(self.user, menu, exact)
        await self.emulator.wait_until(lambda: len(self.emulator.answered_callbacks) > before)

    def last_bot_text(self) -> str:
        return self.emulator.bot_messages(self.chat_id)[-1].text or ""

    def all_bot_texts(self) -> str:
        texts = []
        for message in self.emulator.messages(self.chat_id):
            if message.from_bot:
                texts.append(message.text or "")
                texts.extend(version.text or "" for version in message.history)
        return "\n".join(texts)

    def newest_id(self) -> int:
        messages = self.emulator.messages(self.chat_id)
        return messages[-1].message_id if messages else 0

    async def press_for(self, label: str, containing: str, timeout: float = 15.0) -> ChatMessage:
        """Press a button and wait for a new bot message (or an edit) containing `containing`."""
        after = self.newest_id()
        menu = self.last_menu(label)
        exact = next(button.text for button in menu.buttons if label in button.text)
        await self.emulator.press_button(self.user, menu, exact)

        def arrived() -> bool:
            return any(
                containing in (m.text or "")
                for m in self.emulator.bot_messages(self.chat_id)
                if m.message_id > after or m.message_id == menu.message_id
            )

        await self.emulator.wait_until(arrived, timeout=timeout)
        return next(
            m
            for m in reversed(self.emulator.bot_messages(self.chat_id))
            if containing in (m.text or "") and (m.message_id > after or m.message_id == menu.message_id)
        )

    async def connect_from(self, days_back: int) -> ChatMessage:
        """From the key review ("Check the key"): set the sync-from date `days_back` days ago under Advanced
        options, press "Check and connect" and wait for "All done"; returns the "is connected" message."""
        await self.press_for("Advanced options", "Advanced options")
        await self.press_for("Sync from date", "Send the date")
        typed = await self.send((date.today() - timedelta(days=days_back)).isoformat())
        await self.reply_to(typed, "Tick the kinds")
        await self.press_for("Back", "Check the key")
        connected = await self.press_for("Check and connect", "is connected")
        await self.reply_to(connected, "All done")
        return connected

    async def connect_exchange(self, name: str, *fields: str, days_back: int) -> ChatMessage:
        """/connect, pick the exchange named `name` in the picker, confirm, paste each key field in turn, then set the
        sync-from date `days_back` days ago and connect (`connect_from`); returns the "is connected" message."""
        sent = await self.send("/connect")
        await self.reply_to(sent, "Connect your exchanges")
        await self.press(name)
        await self.emulator.wait_until(
            lambda: f"✅ {name}" in " ".join(b.text for b in self.last_menu("Confirm").buttons)
        )
        await self.press_for("Confirm exchanges", "paste your")
        for index, field in enumerate(fields):
            typed = await self.send(field)
            await self.reply_to(typed, "paste your" if index < len(fields) - 1 else "Check the key")
        return await self.connect_from(days_back=days_back)

    async def sync_now(self, timeout: float = 90.0) -> ChatMessage:
        """Send /sync and wait for its summary."""
        sync = await self.send("/sync")
        return await self.reply_to(sync, "Sync finished", timeout=timeout)

    async def sync_again(self, timeout: float = 120.0) -> str:
        """/sync once the previous sync has let go of the account (its summary comes a moment before that);
        returns the summary's text."""
        for _ in range(40):
            sent = await self.send("/sync")
            answer = await self.reply_to(sent, "", timeout=timeout)
            if "already running" not in (answer.text or ""):
                return (await self.reply_to(sent, "Sync finished", timeout=timeout)).text or ""
            await asyncio.sleep(0.25)
        raise AssertionError("the previous sync never let go of the account")


def stored_by_kind(rows: Iterable[Transaction]) -> dict[str, set[tuple[object, ...]]]:
    """Stored records as comparable tuples per kind (trades with price, notional and fee; withdrawals with their fee;
    the rest by asset and amount), each with its time in ms: what a story compares with an emulator's ground truth."""
    by_kind: dict[str, set[tuple[object, ...]]] = {}
    for row in rows:
        ms = int(row.occurred_at.timestamp() * 1000)
        values: tuple[object, ...]
        if row.kind == "trade":
            values = (row.market, row.side, row.amount, row.price, row.quote_amount, row.fee_asset, row.fee_amount, ms)
        elif row.kind == "withdrawal":
            values = (row.asset, row.amount, row.fee_amount, ms)
        else:
            values = (row.asset, row.amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind
