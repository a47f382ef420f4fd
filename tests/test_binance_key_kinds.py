"""Binance's three kinds of API key: HMAC (System generated), Ed25519 and RSA (Self-generated).

The rules, from Binance's docs (binance/binance-spot-api-docs: faqs/api_key_types.md, rest-api.md "SIGNED Endpoint
security"): Ed25519 (recommended), HMAC and RSA keys are supported; Ed25519 and RSA keys are the user's own key
pairs, the public key registered with Binance, requests signed with the private key; RSA keys of 2048 or 4096 bits;
the signature is computed over the query string and sent base64-encoded and percent-encoded; RSA and Ed25519
signatures are case-sensitive, HMAC (hex) signatures are not. ccxt signs with a PEM private key passed as the
secret (`binance.sign`: "PRIVATE KEY" in the secret; longer than 120 characters is RSA, else Ed25519).
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from connectors.profiles import get_profile
from connectors.profiles.private_keys import PrivateKeyKind
from db.models import Credential
from i18n import render, t
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BinanceDemoKeys, BinanceEmulator, BinanceLimits, Credentials
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reliability.test_secrets import every_logger_at_debug, leaks

BINANCE = get_profile("binance")
SECRET_FIELD = BINANCE.key_type("normal").fields[1]
SMALL = AccountProfile(
    years=1.0, traded_markets=3, trades=30, deposits=4, withdrawals=3, converts=2, transfers=0, rewards=2
)
# PKCS#8 PEM of an Ed25519 key: "-----BEGIN PRIVATE KEY-----" (27), the 48-byte DER in 64 base64 characters, and
# "-----END PRIVATE KEY-----" (25), one line break between each: 27 + 1 + 64 + 1 + 25.
ED25519_PEM_LENGTH = 118


def pkcs8(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    raw = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return raw.decode()


def body_of(pem: str) -> str:
    """The base64 between the PEM armour lines: the key material itself."""
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def weak_rsa_key() -> rsa.RSAPrivateKey:
    """A 1024-bit RSA key: Binance takes 2048 and 4096 bits only."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the key Binance refuses


@pytest.fixture(scope="module")
def ed25519_pem() -> str:
    return pkcs8(ed25519.Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# ------------------------------------------------------------------------------------------- the key form


def test_the_secret_field_takes_an_hmac_secret_as_before() -> None:
    hmac_secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # rest-api.md's HMAC example
    assert SECRET_FIELD.name == "secret"
    assert SECRET_FIELD.problem(hmac_secret) is None
    assert SECRET_FIELD.cleaned(f"  {hmac_secret}\n") == hmac_secret
    assert SECRET_FIELD.private_key_kind(hmac_secret) is None
    assert SECRET_FIELD.problem(hmac_secret[:-1]) is not None


@pytest.mark.parametrize(
    "pasted",
    [
        pytest.param(lambda pem: pem, id="as-written"),
        pytest.param(lambda pem: pem.strip(), id="no-final-newline"),
        pytest.param(lambda pem: pem.replace("\n", "\r\n"), id="windows-line-breaks"),
        pytest.param(lambda pem: " ".join(pem.split("\n")).strip(), id="line-breaks-turned-into-spaces"),
        pytest.param(lambda pem: f"\n  {pem}  \n", id="surrounding-blanks"),
    ],
)
def test_an_ed25519_private_key_is_taken_however_its_lines_were_pasted(ed25519_pem: str, pasted) -> None:  # type: ignore[no-untyped-def]
    value = pasted(ed25519_pem)
    cleaned = SECRET_FIELD.cleaned(value)

    assert SECRET_FIELD.problem(value) is None
    assert SECRET_FIELD.private_key_kind(value) is PrivateKeyKind.ED25519
    assert SECRET_FIELD.is_private_key(value), "its line breaks or spaces are part of it, not a wrong copy"
    # One canonical form, short enough that ccxt signs it as Ed25519 (it takes anything over 120 for RSA).
    assert cleaned == ed25519_pem.strip()
    assert len(cleaned) == ED25519_PEM_LENGTH


def test_rsa_private_keys_of_2048_and_4096_bits_in_pkcs8_and_pkcs1_are_taken(rsa_key: rsa.RSAPrivateKey) -> None:
    traditional = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    assert traditional.startswith("-----BEGIN RSA PRIVATE KEY-----")
    big = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    for pem in (pkcs8(rsa_key), traditional, pkcs8(big)):
        assert SECRET_FIELD.problem(pem) is None
        assert SECRET_FIELD.private_key_kind(pem) is PrivateKeyKind.RSA
        assert SECRET_FIELD.cleaned(pem).startswith("-----BEGIN PRIVATE KEY-----\n")
    assert SECRET_FIELD.cleaned(traditional) == pkcs8(rsa_key).strip()


def test_what_binance_would_not_take_is_refused_with_the_reason_and_without_quoting_the_key(
    ed25519_pem: str,
) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    locked = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"correct horse"),
    ).decode()
    small_rsa = pkcs8(weak_rsa_key())
    p256 = pkcs8(ec.generate_private_key(ec.SECP256R1()))
    cut = ed25519_pem.strip()[:-20]
    body = body_of(ed25519_pem)
    damaged = ed25519_pem.replace(body, body[:30] + "!" + body[31:])
    cases = {
        public: "public key",
        locked: "password",
        small_rsa: "2048 or 4096",
        p256: "Ed25519 or RSA",
        cut: "cut off",
        damaged: "damaged",
    }
    for pasted, reason in cases.items():
        found = SECRET_FIELD.problem(pasted)
        problem = render(found) if found is not None else ""
        assert reason in problem, (reason, problem)
        assert body_of(pasted)[:16] not in problem
        assert SECRET_FIELD.private_key_kind(pasted) is None


def test_the_key_tallybot_makes_is_a_key_type_of_its_own_that_asks_only_for_the_api_key() -> None:
    made = BINANCE.key_type("tallybot_ed25519")
    assert made.generated is not None and made.generated.kind is PrivateKeyKind.ED25519
    assert [field.name for field in made.fields] == ["apiKey"]
    assert made.field_names == {"apiKey", "secret"}, "the sync signs with the generated private key too"
    assert BINANCE.default_key_type.id == "normal"
    assert [kind.id for kind in BINANCE.pasted_key_types] == ["normal"], "the Assistant asks no key-type question"


# ------------------------------------------------------------------------------------------- the emulator


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    # Binance allows 10 withdrawal-history calls a minute per account; the story is about the keys, not waiting.
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=41, profile=SMALL, listed_symbols=20, limits=limits) as emulator:
        yield emulator


async def restrictions(binance: BinanceEmulator, api_key: str, query: str, signature: str) -> dict[str, object]:
    """GET /sapi/v1/account/apiRestrictions signed by hand, as rest-api.md describes, without ccxt."""
    url = f"{binance.base_url}/sapi/v1/account/apiRestrictions?{query}&signature={signature}"
    async with aiohttp.ClientSession() as session, session.get(url, headers={"X-MBX-APIKEY": api_key}) as answer:
        body: dict[str, object] = await answer.json()
        return body


async def test_the_emulator_verifies_ed25519_and_rsa_signatures_as_binance_documents(
    binance: BinanceEmulator, rsa_key: rsa.RSAPrivateKey
) -> None:
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_public = ed_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    rsa_public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ed_api_key = binance.register_self_generated_key(ed_public.decode())
    rsa_api_key = binance.register_self_generated_key(rsa_public.decode())
    query = f"recvWindow=5000&timestamp={binance.clock.now_ms()}"

    ed_signature = base64.b64encode(ed_key.sign(query.encode())).decode()
    rsa_signature = base64.b64encode(rsa_key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    pss = rsa_key.sign(
        query.encode(), padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH), hashes.SHA256()
    )
    flipped = next(i for i, ch in enumerate(ed_signature) if ch.isalpha())
    wrong_case = ed_signature[:flipped] + ed_signature[flipped].swapcase() + ed_signature[flipped + 1 :]

    good_ed = await restrictions(binance, ed_api_key, query, quote(ed_signature, safe=""))
    good_rsa = await restrictions(binance, rsa_api_key, query, quote(rsa_signature, safe=""))
    case_changed = await restrictions(binance, ed_api_key, query, quote(wrong_case, safe=""))
    other_padding = await restrictions(binance, rsa_api_key, query, quote(base64.b64encode(pss).decode(), safe=""))
    # An empty HMAC key is one anybody could sign with: a self-generated key never passes as HMAC.
    import hashlib
    import hmac

    empty_hmac = hmac.new(b"", query.encode(), hashlib.sha256).hexdigest()
    as_hmac = await restrictions(binance, ed_api_key, query, empty_hmac)

    assert good_ed["enableReading"] is True and good_rsa["enableReading"] is True
    invalid = {"code": -1022, "msg": "Signature for this request is not valid."}
    assert case_changed == invalid, "Ed25519 signatures are case-sensitive"
    assert other_padding == invalid, "RSA signatures are RSASSA-PKCS1-v1_5 with SHA-256"
    assert as_hmac == invalid


def test_the_emulator_registers_only_the_public_keys_binance_takes() -> None:
    emulator = BinanceEmulator(seed=1, listed_symbols=5)
    for private in (
        weak_rsa_key(),
        ec.generate_private_key(ec.SECP256R1()),
    ):
        public = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with pytest.raises(ValueError, match="Ed25519"):
            emulator.register_self_generated_key(public.decode())


# ------------------------------------------------------------------------------------------- end to end


async def connect_and_sync(ada: Walker, api_key: str, secret: str) -> tuple[str, str, str]:
    """Connect Binance through the Assistant with this key (syncing from 400 days ago), then /sync; returns the
    bot's confirmation of the secret, its "connected" text and the sync summary."""
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("Binance")
    await ada.emulator.wait_until(lambda: "✅ Binance" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")
    key_message = await ada.send(api_key)
    await ada.reply_to(key_message, "paste your Secret")
    secret_message = await ada.send(secret)
    received = await ada.reply_to(secret_message, "Secret key")
    await ada.reply_to(secret_message, "Check the key")
    connected = await ada.connect_from(days_back=400)
    summary = await ada.sync_now()
    for pasted in (key_message, secret_message):
        assert ada.emulator.message(ada.chat_id, pasted.message_id).deleted
        assert ada.emulator.calls_after_update(pasted)[0].method == "deleteMessage"
    return received.text or "", connected.text or "", summary.text or ""


@pytest.mark.parametrize(
    ("kind", "paste"),
    [
        pytest.param("ed25519", lambda pem: pem, id="ed25519-multi-line"),
        pytest.param("ed25519", lambda pem: " ".join(pem.strip().split("\n")), id="ed25519-one-line"),
        pytest.param("rsa", lambda pem: pem, id="rsa-multi-line"),
    ],
)
async def test_a_pasted_self_generated_key_connects_and_syncs(  # type: ignore[no-untyped-def]
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path, kind: str, paste
) -> None:
    keys = binance.create_demo_keys()
    assert isinstance(keys, BinanceDemoKeys)
    key: Credentials = getattr(keys, kind)
    settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides={"binance": binance.base_url})
    with every_logger_at_debug() as everything:
        async with running_bot(settings) as app:
            received, connected, summary = await connect_and_sync(ada, key.api_key, paste(key.secret))
            services: Services = app.bot_data[SERVICES_KEY]
            [account] = await services.integrations.list(1001)
            stored = await services.integrations.transaction_count(1001, account.id)
            async with services.database.reader() as session:
                sealed = (await session.scalars(select(Credential.sealed))).all()
            opened = await services.integrations.credentials(1001, account.id)

    canonical = key.secret.strip()
    assert re.search(rf"Secret key \({len(canonical)} characters\) received", received)
    if kind == "ed25519":
        assert f"({ED25519_PEM_LENGTH} characters)" in received
    assert "Read-only ✓" in connected
    # Every record of the kinds Binance lists account-wide; trades need market discovery. The profile's counts,
    # and its deposits 4 + 4: the scripted account (scripted.py `settle`) gives each asset its history leaves at
    # or below zero an opening deposit in its first days, well inside the 400 days synced. With seed 41 those are
    # four: ATOM (sold on ATOMEUR, never deposited), BTC and ETH (more withdrawn and sold than deposited and
    # bought) and DOGE (converted away, never deposited); EUR, USDC and USDT end above zero and get none.
    counted = [("deposits", 4 + 4), ("withdrawals", 3), ("convert", 2), ("earn_rewards", 2)]
    kinds = [t("sync.result.kind_new", kind=t(f"endpoint.{kind}.phrase"), new=new) for kind, new in counted]
    listed = t("sync.result.new_by_kind", new=stored, kinds=", ".join([*kinds, t("endpoint.spot_trades.phrase")]))
    assert f"✅ Binance-1: {listed.removesuffix(')')} " in summary  # spot trades: however many markets had
    assert set(sealed[0]) == {"apiKey", "secret"}
    assert opened["secret"].reveal() == canonical, "stored in the one canonical form ccxt signs with"
    # The prompt names the armour lines to look for; the key material itself is never echoed, nor logged at DEBUG.
    lines = {f"line {n}": line for n, line in enumerate(key.secret.strip().splitlines()[1:-1], 1)}
    assert leaks(lines, [ada.all_bot_texts()]) == []
    assert leaks({**lines, "as pasted": paste(key.secret)}, everything.texts) == []


async def test_a_private_key_pasted_at_the_api_key_step_is_deleted_and_named_for_what_it_is(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path, ed25519_pem: str
) -> None:
    settings = settings_for(telegram, tmp_path / "data", exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings):
        sent = await ada.send("/connect")
        await ada.reply_to(sent, "Connect your exchanges")
        await ada.press("Binance")
        await ada.emulator.wait_until(
            lambda: "✅ Binance" in " ".join(b.text for b in ada.last_menu("Confirm").buttons)
        )
        await ada.press_for("Confirm exchanges", "paste your API key")
        pasted = await ada.send(ed25519_pem)
        answer = await ada.reply_to(pasted, "Please paste the API key again")

    assert telegram.message(ada.chat_id, pasted.message_id).deleted
    assert "That is a private or public key, not the API key." in (answer.text or "")
    assert body_of(ed25519_pem) not in ada.all_bot_texts()
