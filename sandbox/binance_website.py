"""The sandbox's stand-in for the user's action on binance.com when Tallybot made the key pair.

On the real site the user opens API Management → Create API → Self-generated, pastes the public key the bot showed
and gets an API key. In the sandbox, `/binance-register-key` does that on the emulated Binance account: it takes the
newest public key in the chat, registers it, and prints the API key to paste back.
"""

from __future__ import annotations

import re

from sandbox.exchanges import BinanceEmulator
from sandbox.runner import Sandbox

REGISTER_COMMAND = "/binance-register-key"
PUBLIC_KEY = re.compile(r"-----BEGIN PUBLIC KEY-----\s+[A-Za-z0-9+/=\s]+?-----END PUBLIC KEY-----")


def register_shown_public_key(sandbox: Sandbox) -> str:
    """Register the newest public key the bot showed on the emulated Binance; the API key it issues. LookupError
    when the bot has shown none."""
    for message in reversed(sandbox.telegram.bot_messages(sandbox.chat_id)):
        found = PUBLIC_KEY.search(message.text or "")
        if found is not None:
            binance = sandbox.exchanges["binance"]
            if not isinstance(binance, BinanceEmulator):
                raise LookupError("the sandbox has no emulated Binance")
            return binance.register_self_generated_key(found.group(0))
    raise LookupError("The bot has not shown a public key yet: press “Let Tallybot make the key” first.")


def registered_text(api_key: str) -> str:
    return (
        "🌐 binance.com (emulated): Create API → Self-generated → public key pasted. "
        f"Binance shows the API key: {api_key}\n(paste it into the chat)"
    )
