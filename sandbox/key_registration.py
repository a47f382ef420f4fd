"""The sandbox's stand-in for the user's action on the exchange's website when Tallybot made the key pair.

On binance.com the user opens API Management → Create API → Self-generated; on bybit.com API → Create New Key →
Self-generated API Keys; either way they paste the public key the bot showed and get an API key. In the sandbox,
`/binance-register-key` or `/bybit-register-key` does that on the emulated account: it takes the newest public key
in the chat, registers it, and prints the API key to paste back.
"""

from __future__ import annotations

import re

from sandbox.exchanges import BinanceEmulator, BybitEmulator
from sandbox.runner import EXCHANGE_NAMES, Sandbox

REGISTER_COMMANDS: dict[str, str] = {"/binance-register-key": "binance", "/bybit-register-key": "bybit"}
PUBLIC_KEY = re.compile(r"-----BEGIN PUBLIC KEY-----\s+[A-Za-z0-9+/=\s]+?-----END PUBLIC KEY-----")


def register_shown_public_key(sandbox: Sandbox, exchange_id: str) -> str:
    """Register the newest public key the bot showed on the emulated exchange; the API key it issues. LookupError
    when the bot has shown none."""
    emulator = sandbox.exchanges[exchange_id]
    if not isinstance(emulator, BinanceEmulator | BybitEmulator):
        raise LookupError(f"{EXCHANGE_NAMES[exchange_id]} takes no self-generated keys")
    for message in reversed(sandbox.telegram.bot_messages(sandbox.chat_id)):
        found = PUBLIC_KEY.search(message.text or "")
        if found is not None:
            return emulator.register_self_generated_key(found.group(0))
    raise LookupError("The bot has not shown a public key yet: press “Let Tallybot make the key” first.")


def registered_text(exchange_id: str, api_key: str) -> str:
    name = EXCHANGE_NAMES[exchange_id]
    return (
        f"🌐 {name} website (emulated): a self-generated key with the public key pasted. "
        f"{name} shows the API key: {api_key}\n(paste it into the chat)"
    )
