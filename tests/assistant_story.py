"""A user walking the Assistant, step by step, through the Bot API emulator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

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
