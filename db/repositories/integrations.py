from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Integration


class IntegrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        user_id: int,
        exchange_id: str,
        account_name: str,
        key_type: str = "default",
        subaccount: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> Integration:
        integration = Integration(
            user_id=user_id,
            exchange_id=exchange_id,
            account_name=account_name,
            key_type=key_type,
            subaccount=subaccount,
            options=options or {},
        )
        self.session.add(integration)
        await self.session.flush()
        return integration

    async def for_user(self, user_id: int) -> Sequence[Integration]:
        result = await self.session.scalars(
            select(Integration)
            .where(Integration.user_id == user_id)
            .options(selectinload(Integration.credential))
            .order_by(Integration.id)
        )
        return result.all()

    async def get_owned(self, integration_id: int, user_id: int) -> Integration | None:
        """An integration only if it belongs to this user: callback data comes from the client."""
        return await self.session.scalar(
            select(Integration)
            .where(Integration.id == integration_id, Integration.user_id == user_id)
            .options(selectinload(Integration.credential))
        )

    async def account_names(self, user_id: int) -> set[str]:
        result = await self.session.scalars(select(Integration.account_name).where(Integration.user_id == user_id))
        return set(result.all())
