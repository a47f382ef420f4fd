"""What the Assistant says when Tallybot makes the key pair (HTML; values from outside are escaped here)."""

from __future__ import annotations

from html import escape

MAKE_KEY_BUTTON = "🔐 Let Tallybot make the key (recommended)"
OWN_KEY_BUTTON = "« I'll make a key myself"
NOT_OFFERED = "Tallybot cannot make the key for this exchange: paste the key you created."


def public_key(exchange: str, kind: str, steps: tuple[str, ...], public_pem: str) -> str:
    numbered = "\n".join(f"{n}. {escape(step)}" for n, step in enumerate(steps, 1))
    return (
        f"🔐 <b>Tallybot made your {escape(exchange)} {escape(kind)} key pair</b>\n"
        "The private key stays with Tallybot, encrypted; it is never shown or sent, not even to you. "
        "Here is the <b>public key</b> to register (tap it to copy):\n\n"
        f"<pre>{escape(public_pem)}</pre>\n\n"
        f"{numbered}\n\n"
        "🔑 Then paste the <b>API key</b> here. I delete your message as soon as I receive it. "
        "If you cancel or stop answering, the private key is wiped."
    )
