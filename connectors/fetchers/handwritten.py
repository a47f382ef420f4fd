"""What every hand-written fetcher shares: its profile, client and key type, and which endpoints it serves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from connectors.profiles import Endpoint, ExchangeProfile


class HandwrittenFetcher:
    """A fetcher written for one exchange's own lists. Subclasses name the endpoints they implement in
    `SUPPORTED` and add `fetch`; `supports` is then the profile's offer to this key type among them."""

    SUPPORTED: ClassVar[frozenset[Endpoint]] = frozenset()

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        self.profile = profile
        self.client = client
        self.key_type = key_type

    def implements(self, endpoint: Endpoint) -> bool:
        """Whether this fetcher has code for the endpoint, whatever the key may read."""
        return endpoint in self.SUPPORTED

    def supports(self, endpoint: Endpoint) -> bool:
        return self.implements(endpoint) and self.profile.offers(endpoint, self.key_type)

    def learn_assets(self, assets: Iterable[str]) -> None:
        """Most exchanges' history lists need no market, so stored assets change nothing asked; fetchers that
        discover markets from assets override this."""
