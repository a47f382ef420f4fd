"""Bybit's key kinds: System-generated (HMAC) and Self-generated RSA keys.

From bybit-exchange/docs docs/v5/guide.mdx "Select Your API Key Type" and "Create A Request": self-generated keys
are RSA key pairs, only the public key is given to Bybit; the signature is RSA_SHA256 of timestamp + API key +
recv_window + query string, in base64 (HMAC_SHA256 in hex for system-generated keys). Bybit's help center ("How to
Create an RSA Key on Bybit"): its generator makes 2048 (default) or 4096-bit keys.

And the kind of account a key opens: a classic account's key (docs/v5/enum.mdx#unifiedmarginstatus 1) reads no
unified transaction log, and /status says so on the account ledger's line.
"""

from __future__ import annotations

import base64
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from bot.context import SERVICES_KEY
from connectors.profiles import get_profile
from connectors.profiles.private_keys import PrivateKeyKind
from i18n import render
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BybitEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

BYBIT = get_profile("bybit")
SECRET_FIELD = BYBIT.key_type("normal").fields[1]


def pkcs8(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    raw = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return raw.decode()


def public_pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return raw.decode()


def test_the_bybit_secret_takes_an_rsa_private_key_but_not_an_ed25519_one() -> None:
    rsa_pem = pkcs8(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ed_pem = pkcs8(ed25519.Ed25519PrivateKey.generate())

    assert SECRET_FIELD.name == "secret"
    assert SECRET_FIELD.problem(rsa_pem) is None
    assert SECRET_FIELD.private_key_kind(rsa_pem) is PrivateKeyKind.RSA
    assert render(SECRET_FIELD.problem(ed_pem) or "") == "The exchange does not take Ed25519 private keys here."
    made = BYBIT.key_type("tallybot_rsa")
    assert made.generated is not None and made.generated.kind is PrivateKeyKind.RSA
    assert [k.id for k in BYBIT.pasted_key_types] == ["normal"]


async def test_the_bybit_emulator_verifies_rsa_sha256_base64_and_takes_only_rsa_public_keys() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with BybitEmulator(seed=2, listed_symbols=5) as bybit:
        api_key = bybit.register_self_generated_key(public_pem(key))
        with pytest.raises(ValueError, match="RSA"):
            bybit.register_self_generated_key(public_pem(ed25519.Ed25519PrivateKey.generate()))
        answers = []
        for signer in ("rsa", "tampered"):
            timestamp = str(bybit.clock.now_ms())
            payload = f"{timestamp}{api_key}5000"  # GET /v5/user/query-api has no query string
            signature = base64.b64encode(key.sign(payload.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
            if signer == "tampered":
                signature = signature.swapcase()
            headers = {
                "X-BAPI-API-KEY": api_key,
                "X-BAPI-TIMESTAMP": timestamp,
                "X-BAPI-RECV-WINDOW": "5000",
                "X-BAPI-SIGN": signature,
            }
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{bybit.base_url}/v5/user/query-api", headers=headers) as answer,
            ):
                answers.append(await answer.json())

    assert answers[0]["retCode"] == 0 and answers[0]["result"]["readOnly"] == 1
    assert answers[1]["retCode"] == 10004


async def test_a_classic_accounts_status_says_why_its_account_ledger_is_not_read(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=82, profile=RECENT, listed_symbols=20, classic=True) as bybit:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "bybit", bybit, date.today() - timedelta(days=70))
            await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    assert (
        "This is a Bybit classic account: it keeps no unified transaction log, so airdrops, bonuses and loan lines "
        "are not read; Bybit keeps those lines only in a unified trading account's log. Futures fees, funding and "
        "realized profit and loss are not affected: they come from the classic contract log."
    ) in status, status
    assert "/v5/account/transaction-log" not in bybit.requests.by_path
