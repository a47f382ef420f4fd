"""When a failed request is worth another try, and how long to wait first."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.diagnosis import Diagnosis, DiagnosisCode, error_facts

D = DiagnosisCode

# Causes that stop the whole integration: the key itself is refused, so every other endpoint would fail too.
AUTH_CODES = frozenset(
    {
        D.INVALID_KEY,
        D.KEY_REFUSED,
        D.KEY_EXPIRED,
        D.WRONG_PASSPHRASE,
        D.IP_NOT_ALLOWED,
        D.WRONG_KEY_TYPE,
        D.MISSING_PERMISSION,
    }
)

# ccxt's transient errors: network errors, timeouts, an unavailable exchange, and OperationFailed (their parent,
# also raised for an exchange's "internal error" codes). InvalidNonce is a NetworkError too, but a clock problem:
# retrying repeats it.
_TRANSIENT_TYPES = frozenset({"NetworkError", "RequestTimeout", "ExchangeNotAvailable", "OperationFailed"})
# ccxt turns an unrecognised 4xx into ExchangeNotAvailable too: only these causes are worth repeating.
_TRANSIENT_CAUSES = frozenset({D.NETWORK_ERROR, D.EXCHANGE_DOWN, D.MAINTENANCE, D.RATE_LIMITED})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff for transient errors, honouring the exchange's Retry-After.

    `attempts` counts retries in a row for one endpoint; a committed page resets the count. A Retry-After longer
    than `max_wait` is not waited for: the endpoint ends now (partial or failed) and the next sync resumes it.
    A fetcher's RateLimited is waited out at most `rate_limit_waits` times per endpoint, and only when the
    exchange said how long (within `max_wait`); after that the endpoint ends partial.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_wait: float = 60.0
    rate_limit_waits: int = 1

    def backoff(self, failures: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number `failures` (1-based), or None to give up."""
        if failures > self.attempts:
            return None
        delay = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
        if retry_after is not None:
            if retry_after > self.max_wait:
                return None
            delay = max(delay, retry_after)
        return delay

    def rate_limit_wait(self, waits_so_far: int, retry_after: float | None) -> float | None:
        """Seconds to wait out a rate limit, or None to end the endpoint partial."""
        if waits_so_far >= self.rate_limit_waits or retry_after is None or retry_after > self.max_wait:
            return None
        return float(retry_after)


def ccxt_type_names(error: BaseException) -> frozenset[str]:
    return frozenset(cls.__name__ for cls in type(error).__mro__ if cls.__module__.startswith("ccxt"))


def is_transient(error: BaseException, diagnosis: Diagnosis) -> bool:
    """A network error, timeout or unavailable exchange — not a clock problem, not a request we got wrong."""
    names = ccxt_type_names(error)
    if "InvalidNonce" in names or diagnosis.code not in _TRANSIENT_CAUSES:
        return False
    return bool(names & _TRANSIENT_TYPES) or error_facts(error).network or isinstance(error, TimeoutError)


def is_timeout(error: BaseException, diagnosis: Diagnosis) -> bool:
    """No answer arrived (a timeout or a dropped connection): the endpoint is partial rather than failed."""
    return diagnosis.code is D.NETWORK_ERROR


def retry_after(error: BaseException) -> float | None:
    return error_facts(error).retry_after
