"""The Assistant's use cases, free of Telegram: a handler, the CLI or a test calls these and renders the Outcome.

`open` starts a flow at the exchange picker; `press` carries out a button (`Press(token, Action.TOGGLE, "binance")`);
`accept_field` takes a pasted credential; `accept_text` any other typed reply; `check_and_connect` follows a press
whose outcome says `check_now`; `manage` starts the /keys flows; `resume` redraws a flow after a restart.
"""

from __future__ import annotations

from bot.assistant import connect, fields, options, presses
from bot.assistant.drafts import Draft, DraftStore
from bot.assistant.flow import Flow, profile_of
from bot.assistant.results import Outcome, Press, Screen, ScreenKind
from bot.assistant.state import DraftState, Mode, Step
from bot.integrations import IntegrationService, IntegrationSummary
from bot.users import UserService
from connectors.clients import ClientPool
from i18n import Text

PROMPTS = (Step.ASK_NAME, Step.ASK_SUBACCOUNT, Step.ASK_DATE)
MAX_SEARCH_LENGTH = 40


class Assistant:
    def __init__(
        self,
        drafts: DraftStore,
        integrations: IntegrationService,
        users: UserService,
        pool: ClientPool,
        *,
        allow_trading_keys: bool = False,
    ) -> None:
        self.flow = Flow(drafts, integrations, pool, allow_trading_keys)
        self.users = users

    async def draft(self, telegram_user_id: int) -> Draft | None:
        """The user's open flow, if any (a handler asks before deciding whether a message is a key to delete)."""
        return await self.flow.drafts.load(telegram_user_id)

    async def open(self, telegram_user_id: int, chat_id: int) -> Outcome:
        """/start and /connect: a fresh flow at the exchange picker (an unfinished one is replaced)."""
        await self.users.register(telegram_user_id)
        draft = await self.flow.drafts.begin(telegram_user_id, chat_id, DraftState())
        return await self.flow.show(draft, Screen(ScreenKind.PICKER))

    async def cancel(self, telegram_user_id: int) -> bool:
        """Wipe the flow and everything typed into it; whether there was one."""
        return await self.flow.drafts.finish(telegram_user_id)

    async def press(self, telegram_user_id: int, chat_id: int | None, pressed: Press | None) -> Outcome:
        """A button. Ownership: the draft is the presser's and the token must match; a press from an old menu gets
        an alert and a fresh menu of where the user really is (a new flow if none is open and `chat_id`, a private
        chat, is given). A press that says `check_now` is followed by `check_and_connect`."""
        draft = await self.flow.drafts.load(telegram_user_id)
        entry = presses.ACTIONS.get(pressed.action) if pressed is not None else None
        if pressed is None or entry is None or draft is None or pressed.token != draft.token:
            return await self._stale(telegram_user_id, chat_id, draft)
        handler, live_in = entry
        if draft.state.step not in live_in:
            return await self._stale(telegram_user_id, chat_id, draft)
        refusal = presses.refusal(draft, pressed.action, pressed.argument)
        if refusal is not None:
            return Outcome(draft, alert=refusal)
        return await handler(self.flow, draft, pressed.argument)

    async def _stale(self, telegram_user_id: int, chat_id: int | None, draft: Draft | None) -> Outcome:
        expired = Text.of("assistant.alert.expired_menu")
        if draft is None:
            if chat_id is None:
                return Outcome(None, alert=expired)
            draft = await self.flow.drafts.begin(telegram_user_id, chat_id, DraftState())
        outcome = await self.flow.show(draft, await self.flow.current_screen(draft))
        outcome.alert = expired
        return outcome

    async def accept_field(self, draft: Draft, raw: str, *, deleted: bool) -> Outcome:
        """A pasted credential field (its message already deleted, or not if `deleted` is False)."""
        return await fields.accept_field(self.flow, draft, raw, deleted=deleted)

    async def accept_text(self, draft: Draft, text: str) -> Outcome:
        """A typed reply outside the key step: a search at the picker, an answer to a prompt, else a hint."""
        step = draft.state.step
        if step == Step.PICK:
            found = presses.found_for(text)
            if not found:  # the search text is never echoed: it could be a passphrase
                return Outcome(draft, notes=[Text.of("assistant.pick.no_match")])
            draft.state.search = text[:MAX_SEARCH_LENGTH]
            return await self.flow.show(draft, Screen(ScreenKind.PICKER, found=found))
        if step in PROMPTS:
            return await options.typed_option(self.flow, draft, text)
        return Outcome(draft, notes=[Text.of("assistant.use_buttons")])

    async def check_and_connect(self, draft: Draft) -> Outcome:
        return await connect.check_and_connect(self.flow, draft)

    async def manage(self, telegram_user_id: int, chat_id: int, summary: IntegrationSummary, mode: Mode) -> Outcome:
        """/keys: rename an account, replace its key, or change its options, as a flow of the Assistant."""
        if mode == Mode.RENAME:
            state = DraftState(mode=mode, step=Step.ASK_NAME, replace_integration_id=summary.id)
            draft = await self.flow.drafts.begin(telegram_user_id, chat_id, state)
            await self.flow.drafts.save(draft)
            return Outcome(draft, notes=[Text.of("assistant.keys.rename_ask", name=summary.account_name)])
        if mode == Mode.REPLACE:
            state = DraftState(mode=mode, picked=[summary.exchange_id], replace_integration_id=summary.id)
            draft = await self.flow.drafts.begin(telegram_user_id, chat_id, state)
            intro = Outcome(draft, notes=[Text.of("assistant.keys.replace_intro", name=summary.account_name)])
            return await self.flow.begin_exchange(draft, 0, intro)
        state = DraftState(
            mode=Mode.OPTIONS,
            step=Step.ADVANCED,
            picked=[summary.exchange_id],
            key_type=summary.key_type,
            account_name=summary.account_name,
            subaccount=summary.options.subaccount,
            sync_from=summary.options.sync_from.isoformat() if summary.options.sync_from else None,
            endpoints=list(summary.options.endpoints) or None,
            replace_integration_id=summary.id,
        )
        draft = await self.flow.drafts.begin(telegram_user_id, chat_id, state)
        return await self.flow.show(draft, Screen(ScreenKind.ADVANCED))

    async def resume(self, draft: Draft) -> Outcome:
        """After a restart: tell the user where they were and show that step again (a failed check is offered
        again from the review)."""
        if draft.state.exchange_id is None or draft.state.step == Step.PICK:
            intro = Text.of("assistant.resumed_pick")
        else:
            intro = Text.of("assistant.resumed", exchange=profile_of(draft).name)
        if draft.state.step == Step.FAILED:
            draft.state.step = Step.REVIEW
        return await self.flow.show(draft, await self.flow.current_screen(draft), Outcome(draft, notes=[intro]))
