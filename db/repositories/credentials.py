from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Credential, Integration, User


class CredentialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        credential_id: str,
        integration_id: int,
        key_type: str,
        sealed: dict[str, Any],
        fingerprint: str,
    ) -> Credential:
        credential = Credential(
            id=credential_id,
            integration_id=integration_id,
            key_type=key_type,
            sealed=sealed,
            api_key_fingerprint=fingerprint,
        )
        self.session.add(credential)
        await self.session.flush()
        return credential

    async def with_owners(self) -> list[tuple[Credential, int, str]]:
        """Every credential with its owner's Telegram id and exchange: what its encryption is bound to."""
        result = await self.session.execute(
            select(Credential, User.telegram_user_id, Integration.exchange_id)
            .join(Integration, Credential.integration_id == Integration.id)
            .join(User, Integration.user_id == User.id)
            .order_by(Credential.id)
        )
        return [(credential, telegram_user_id, exchange) for credential, telegram_user_id, exchange in result]

    async def replace_sealed(self, credential: Credential, sealed: dict[str, Any]) -> None:
        # Assign a new dict: JSON columns do not track in-place mutation.
        credential.sealed = dict(sealed)
        await self.session.flush()
