"""Each exchange's own error codes, mapped to a cause. Keyed by ccxt exchange id; codes compared as strings.

Sources: the exchanges' API error tables and ccxt 4.5.90's `exceptions` maps. A code listed here wins over the
ccxt exception type, because ccxt's type is sometimes too coarse (Binance -2015 covers bad key, IP and missing
permission alike) or wrong in context (Binance -2008 behind a URL override, -2015 after an earlier success).
Codes left out fall back to the ccxt type: they are request bugs on our side or irrelevant to reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from connectors.diagnosis.model import DiagnosisCode

D = DiagnosisCode

_BINANCE = {
    "-1000": D.EXCHANGE_DOWN,  # unknown error while processing the request
    "-1001": D.EXCHANGE_DOWN,  # internal error; unable to process your request
    "-1002": D.MISSING_PERMISSION,  # you are not authorized to execute this request
    "-1003": D.RATE_LIMITED,  # too much request weight used (429), or IP banned (418)
    "-1006": D.EXCHANGE_DOWN,  # unexpected response from the message bus
    "-1007": D.EXCHANGE_DOWN,  # timeout waiting for the backend
    "-1008": D.EXCHANGE_DOWN,  # server busy
    "-1015": D.RATE_LIMITED,  # too many new orders
    "-1016": D.ENDPOINT_NOT_OFFERED,  # this service is no longer available
    "-1021": D.CLOCK_SKEW,  # timestamp outside recvWindow / ahead of server time
    "-1022": D.INVALID_KEY,  # signature not valid: wrong secret
    "-1099": D.KEY_REFUSED,  # not found, authenticated, or authorized
    "-2008": D.INVALID_KEY,  # invalid Api-Key ID (/sapi: unknown or deleted key)
    "-2014": D.INVALID_KEY,  # API-key format invalid
    "-2015": D.KEY_REFUSED,  # invalid API-key, IP, or permissions for action (also expired keys)
}

_BYBIT = {
    "10000": D.EXCHANGE_DOWN,  # server timeout
    "10002": D.CLOCK_SKEW,  # request expired: timestamp / recv_window
    "10003": D.INVALID_KEY,  # API key is invalid (unknown or deleted)
    "10004": D.INVALID_KEY,  # error sign: wrong secret
    "10005": D.MISSING_PERMISSION,  # permission denied for this key
    "10006": D.RATE_LIMITED,  # too many visits
    "10007": D.INVALID_KEY,  # api key not found in the request
    "10008": D.ACCOUNT_RESTRICTED,  # user banned
    "10009": D.RATE_LIMITED,  # IP banned (for too many requests)
    "10010": D.IP_NOT_ALLOWED,  # unmatched IP
    "10016": D.EXCHANGE_DOWN,  # system error
    "10017": D.REQUEST_NOT_FOUND,  # route not found: every path Tallybot calls is in Bybit's docs
    "10018": D.RATE_LIMITED,  # IP rate limit
    "10024": D.ACCOUNT_RESTRICTED,  # compliance rules triggered
    "10027": D.ACCOUNT_RESTRICTED,  # trading banned
    "10028": D.ENDPOINT_NOT_OFFERED,  # only for unified-account users
    "33004": D.KEY_EXPIRED,  # api key already expired
}

_OKX = {
    "50001": D.MAINTENANCE,  # service temporarily unavailable
    "50004": D.EXCHANGE_DOWN,  # endpoint request timeout
    "50005": D.EXCHANGE_DOWN,  # API offline or unavailable
    "50007": D.ACCOUNT_RESTRICTED,  # account blocked
    "50008": D.INVALID_KEY,  # user does not exist
    "50009": D.ACCOUNT_RESTRICTED,  # account suspended (liquidation)
    "50011": D.RATE_LIMITED,  # rate limit reached
    "50013": D.EXCHANGE_DOWN,  # system busy
    "50026": D.EXCHANGE_DOWN,  # system error
    "50061": D.RATE_LIMITED,  # sub-account rate limit
    "50100": D.KEY_EXPIRED,  # API frozen
    "50101": D.WRONG_KEY_TYPE,  # key does not match the environment (a demo-trading key on live)
    "50102": D.CLOCK_SKEW,  # timestamp request expired
    "50103": D.INVALID_KEY,  # OK-ACCESS-KEY empty
    "50104": D.WRONG_PASSPHRASE,  # OK-ACCESS-PASSPHRASE empty
    "50105": D.WRONG_PASSPHRASE,  # OK-ACCESS-PASSPHRASE incorrect
    "50110": D.IP_NOT_ALLOWED,  # your IP is not in the key's whitelist
    "50111": D.INVALID_KEY,  # invalid OK-ACCESS-KEY
    "50112": D.CLOCK_SKEW,  # invalid OK-ACCESS-TIMESTAMP
    "50113": D.INVALID_KEY,  # invalid signature: wrong secret
    "50114": D.INVALID_KEY,  # invalid authorization
    "50119": D.INVALID_KEY,  # API key doesn't exist
    "50120": D.MISSING_PERMISSION,  # API key doesn't have permission
}

_BITGET = {
    "429": D.RATE_LIMITED,
    "40001": D.INVALID_KEY,  # ACCESS_KEY empty
    "40002": D.INVALID_KEY,  # ACCESS_SIGN empty
    "40003": D.INVALID_KEY,  # signature empty
    "40004": D.CLOCK_SKEW,  # request timestamp expired
    "40005": D.CLOCK_SKEW,  # invalid ACCESS_TIMESTAMP
    "40006": D.INVALID_KEY,  # invalid ACCESS_KEY
    "40008": D.CLOCK_SKEW,  # request timestamp expired
    "40009": D.INVALID_KEY,  # sign signature error: wrong secret
    "40011": D.WRONG_PASSPHRASE,  # ACCESS_PASSPHRASE empty
    "40012": D.WRONG_PASSPHRASE,  # apikey/password incorrect
    "40013": D.ACCOUNT_RESTRICTED,  # user frozen / status abnormal
    "40014": D.MISSING_PERMISSION,  # incorrect permissions
    "40015": D.EXCHANGE_DOWN,  # system abnormal
    "40016": D.ACCOUNT_RESTRICTED,  # user must bind phone or Google authenticator
    "40018": D.IP_NOT_ALLOWED,  # invalid IP
    "40031": D.ACCOUNT_RESTRICTED,  # account cancelled
    "40037": D.INVALID_KEY,  # apikey does not exist
    "40038": D.IP_NOT_ALLOWED,  # request IP not in the key's whitelist
    "40085": D.ENDPOINT_NOT_OFFERED,  # unified account: classic API not supported
    "40200": D.MAINTENANCE,  # server upgrade
    "40704": D.LOOKBACK_LIMIT,  # can only check the data of the last three months
}

_KUCOIN = {
    "400001": D.INVALID_KEY,  # KC-API-KEY / SIGN / TIMESTAMP / PASSPHRASE header missing
    "400002": D.CLOCK_SKEW,  # KC-API-TIMESTAMP invalid
    "400003": D.INVALID_KEY,  # KC-API-KEY does not exist
    "400004": D.WRONG_PASSPHRASE,  # KC-API-PASSPHRASE error
    "400005": D.INVALID_KEY,  # signature error
    "400006": D.IP_NOT_ALLOWED,  # IP not in the key's whitelist
    "400007": D.MISSING_PERMISSION,  # key lacks permission
    "411100": D.ACCOUNT_RESTRICTED,  # user frozen
    "429000": D.RATE_LIMITED,
    "500000": D.EXCHANGE_DOWN,
}

_KRAKEN = {
    "EAPI:Invalid key": D.INVALID_KEY,
    "EAPI:Invalid signature": D.INVALID_KEY,
    "EAPI:Invalid nonce": D.CLOCK_SKEW,
    "EGeneral:Permission denied": D.MISSING_PERMISSION,
    "EAPI:Rate limit exceeded": D.RATE_LIMITED,
    "EGeneral:Too many requests": D.RATE_LIMITED,
    "EGeneral:Temporary lockout": D.RATE_LIMITED,
    "EService:Unavailable": D.EXCHANGE_DOWN,
    "EService:Busy": D.EXCHANGE_DOWN,
    "EGeneral:Internal error": D.EXCHANGE_DOWN,
    "EDatabase:Internal error": D.EXCHANGE_DOWN,
    "EService:Market in cancel_only mode": D.MAINTENANCE,
    "EService:Market in post_only mode": D.MAINTENANCE,
    "ETrade:User Locked": D.ACCOUNT_RESTRICTED,
}

# v2 ids from Coinbase App "Error Messages" (docs/exchange-apis/coinbase.md). v3 (Advanced Trade) answers name gRPC
# statuses: PERMISSION_DENIED and resource_exhausted (429) are in ccxt 4.5.90's map; UNAUTHENTICATED and
# "unauthorized" are unsourced (no v3 error page in the stored docs).
_COINBASE = {
    "authentication_error": D.INVALID_KEY,  # 401 "Invalid auth (generic)"
    "unauthorized": D.INVALID_KEY,
    "unauthenticated": D.INVALID_KEY,
    "invalid_token": D.INVALID_KEY,  # 401, OAuth
    "revoked_token": D.KEY_EXPIRED,  # 401, OAuth
    "expired_token": D.KEY_EXPIRED,  # 401, OAuth
    "invalid_scope": D.MISSING_PERMISSION,  # 403 "User hasn't authenticated necessary scope"
    "permission_denied": D.MISSING_PERMISSION,
    "rate_limit_exceeded": D.RATE_LIMITED,  # 429
    "resource_exhausted": D.RATE_LIMITED,
    "internal_server_error": D.EXCHANGE_DOWN,  # 500
}

_HTX = {
    # HTX answers "api-signature-not-valid" for a wrong key, a wrong secret, an expired key and a key without
    # permission alike (the reason is only in the text, which we do not keep).
    "api-signature-not-valid": D.KEY_REFUSED,
    "api-signature-check-failed": D.INVALID_KEY,
    "403": D.INVALID_KEY,  # err_code 403: incorrect access key
    # v2 paths (the key check's /v2/user/uid) answer 1003 "invalid signature" (ccxt's recorded answer); like
    # api-signature-not-valid it is what a wrong secret, a stale timestamp, an expired or IP-bound key all get.
    "1003": D.KEY_REFUSED,
    "1002": D.KEY_REFUSED,  # v2: unauthorized
    "base-system-error": D.EXCHANGE_DOWN,
    "gateway-internal-error": D.EXCHANGE_DOWN,
    "system-maintenance": D.MAINTENANCE,
    "base-request-exceed-frequency-limit": D.RATE_LIMITED,
    "rate-too-many-requests": D.RATE_LIMITED,
}

_MEXC = {
    "402": D.KEY_EXPIRED,  # API key expired
    "406": D.IP_NOT_ALLOWED,  # IP not in the whitelist
    "429": D.RATE_LIMITED,
    "510": D.RATE_LIMITED,
    "501": D.EXCHANGE_DOWN,
    "503": D.EXCHANGE_DOWN,
    "602": D.INVALID_KEY,  # signature verification failed
    "604": D.MAINTENANCE,
    "701": D.MISSING_PERMISSION,  # enable API key read access
    "801": D.MAINTENANCE,
    "10072": D.INVALID_KEY,  # api key info invalid
    "10073": D.CLOCK_SKEW,  # invalid Request-Time (spot v3 error table)
    "730100": D.ACCOUNT_RESTRICTED,  # unusual user status (spot v3 error table)
    "700001": D.INVALID_KEY,  # API-key format invalid
    "700002": D.KEY_REFUSED,  # signature not valid — also what an expired key gets
    "700003": D.CLOCK_SKEW,  # timestamp outside recvWindow
    "700006": D.IP_NOT_ALLOWED,  # IP not in the whitelist
    "700007": D.MISSING_PERMISSION,  # no permission to access the endpoint
}

# bitFlyer publishes no error table (docs/exchange-apis/bitflyer.md): its envelope is {"status": <negative code>,
# "error_message": …}; the codes with a public source are mapped, the rest fall back to the HTTP status.
_BITFLYER = {
    "-2": D.MAINTENANCE,  # "Under maintenance" (ccxt's bitflyer exceptions)
    "-700": D.ACCOUNT_RESTRICTED,  # "This account has not yet been authenticated" (the docs, Withdrawing Funds)
}

# bitbank's errors.md (docs/exchange-apis/bitbank.md): {"success": 0, "data": {"code": …}}.
_BITBANK = {
    "20001": D.KEY_REFUSED,  # "Authentication failed api authorization": also a request time outside the window
    "20002": D.INVALID_KEY,  # "Invalid api key"
    "20003": D.INVALID_KEY,  # "Api key not found"
    "20004": D.CLOCK_SKEW,  # "Invalid api nonce"
    "20005": D.INVALID_KEY,  # "Invalid api signature": a wrong secret
    "10001": D.EXCHANGE_DOWN,  # "System error"
    "10003": D.EXCHANGE_DOWN,
    "10005": D.EXCHANGE_DOWN,  # "Timeout waiting for response"
    "50003": D.ACCOUNT_RESTRICTED,  # "Account is restricted"
    "50004": D.ACCOUNT_RESTRICTED,  # "Account is provisional"
    "50005": D.ACCOUNT_RESTRICTED,  # "Account is blocked"
    "50006": D.ACCOUNT_RESTRICTED,
    "50008": D.ACCOUNT_RESTRICTED,  # "Identity verification is not finished"
    "70001": D.EXCHANGE_DOWN,  # "System error"
    "70002": D.EXCHANGE_DOWN,
    "70003": D.EXCHANGE_DOWN,
    "70011": D.EXCHANGE_DOWN,  # "System is busy. Please try again."
}

# GMO Coin's error codes (docs/exchange-apis/gmocoin.md): {"status": 5, "messages": [{"message_code": …}]}.
_GMOCOIN = {
    "ERR-5003": D.RATE_LIMITED,  # "The API usage limits are exceeded"
    "ERR-5007": D.CLOCK_SKEW,  # API-TIMESTAMP missing or not numeric
    "ERR-5008": D.CLOCK_SKEW,  # API-TIMESTAMP later than the API's clock
    "ERR-5009": D.CLOCK_SKEW,  # API-TIMESTAMP earlier than the API's clock
    "ERR-5010": D.INVALID_KEY,  # "The API-SIGN (Signature) is invalid": a wrong secret
    "ERR-5011": D.INVALID_KEY,  # "The API-KEY is empty"
    "ERR-5012": D.KEY_REFUSED,  # "The API authentication is invalid": also a foreign IP or no permission (unsourced)
    "ERR-5014": D.ACCOUNT_RESTRICTED,  # "The membership agreement has not been completed"
    "ERR-5125": D.ACCOUNT_RESTRICTED,  # "Returned when there is API restriction"
    "ERR-5127": D.ACCOUNT_RESTRICTED,  # "Your API connection is restricted"
    "ERR-5201": D.MAINTENANCE,  # regular maintenance
    "ERR-5202": D.MAINTENANCE,  # emergency maintenance
    "ERR-554": D.EXCHANGE_DOWN,  # "The server is unavailable"
    "ERR-626": D.EXCHANGE_DOWN,  # "The server is busy"
}

# Gate's error labels, as ccxt's gate `exceptions['exact']` lists them (docs/exchange-apis/gate.md).
_GATE = {
    "invalid_key": D.INVALID_KEY,
    "invalid_signature": D.INVALID_KEY,
    "invalid_credentials": D.INVALID_KEY,
    "authentication_failed": D.INVALID_KEY,
    "missing_required_header": D.INVALID_KEY,
    "request_expired": D.CLOCK_SKEW,
    "ip_forbidden": D.IP_NOT_ALLOWED,
    "forbidden": D.MISSING_PERMISSION,
    "account_locked": D.ACCOUNT_RESTRICTED,
    "sub_account_locked": D.ACCOUNT_RESTRICTED,
    "too_many_requests": D.RATE_LIMITED,
    "too_fast": D.RATE_LIMITED,
    "server_error": D.EXCHANGE_DOWN,
    "internal": D.EXCHANGE_DOWN,
    "too_busy": D.EXCHANGE_DOWN,
}

# BigONE's "Error Codes" page (docs/exchange-apis/bigone.md).
_BIGONE = {
    "40004": D.INVALID_KEY,  # Unauthorized: missing or invalid credentials (a key BigONE does not know)
    "40106": D.KEY_REFUSED,  # Invalid token: malformed, wrongly signed (the secret) or expired (the clock)
    "10403": D.KEY_REFUSED,  # Permission denied: "lacks required scopes or IP not in whitelist", not said which
    "10429": D.RATE_LIMITED,
    "10005": D.EXCHANGE_DOWN,  # Internal error
}


def _freeze(table: Mapping[str, DiagnosisCode]) -> Mapping[str, DiagnosisCode]:
    return MappingProxyType(dict(table))


EXCHANGE_CODES: Mapping[str, Mapping[str, DiagnosisCode]] = MappingProxyType(
    {
        "binance": _freeze(_BINANCE),
        "bybit": _freeze(_BYBIT),
        "okx": _freeze(_OKX),
        "bitget": _freeze(_BITGET),
        "kucoin": _freeze(_KUCOIN),
        "kraken": _freeze(_KRAKEN),
        "coinbase": _freeze(_COINBASE),
        "htx": _freeze(_HTX),
        "mexc": _freeze(_MEXC),
        "gate": _freeze(_GATE),
        "bigone": _freeze(_BIGONE),
        "bitflyer": _freeze(_BITFLYER),
        "bitbank": _freeze(_BITBANK),
        "gmocoin": _freeze(_GMOCOIN),
    }
)

# Where the key type changes the meaning: a Bitget Tax API key has no passphrase, so an answer about the
# passphrase means the key pasted as a Tax API key is really a normal one.
KEY_TYPE_CODES: Mapping[tuple[str, str], Mapping[str, DiagnosisCode]] = MappingProxyType(
    {("bitget", "tax"): _freeze({"40011": D.WRONG_KEY_TYPE, "40012": D.WRONG_KEY_TYPE})}
)

# HTTP statuses that say enough on their own when the body carried no code we know. Tallybot only calls endpoints
# the exchanges document, so a 404 or 405 is Tallybot asking wrongly (or an address that moved), never the exchange
# saying it does not offer the history: that is said only where the exchange's docs say so (EndpointNotOffered, or
# a code such as Binance -1016 or Bitget 40085). 410 Gone is the exchange retiring the address.
STATUS_CODES: Mapping[int, DiagnosisCode] = MappingProxyType(
    {
        401: D.INVALID_KEY,
        404: D.REQUEST_NOT_FOUND,
        405: D.REQUEST_NOT_FOUND,
        410: D.ENDPOINT_NOT_OFFERED,
        418: D.RATE_LIMITED,
        429: D.RATE_LIMITED,
        500: D.EXCHANGE_DOWN,
        502: D.EXCHANGE_DOWN,
        503: D.EXCHANGE_DOWN,
        504: D.EXCHANGE_DOWN,
        520: D.EXCHANGE_DOWN,
        521: D.EXCHANGE_DOWN,
        522: D.EXCHANGE_DOWN,
        524: D.EXCHANGE_DOWN,
    }
)


def _lowered(table: Mapping[str, DiagnosisCode]) -> dict[str, DiagnosisCode]:
    return {code.lower(): cause for code, cause in table.items()}


# Exchanges are not consistent about case ("INVALID_KEY" in Gate's docs, "invalid_key" elsewhere): match any.
_BY_EXCHANGE = {exchange: _lowered(table) for exchange, table in EXCHANGE_CODES.items()}
_BY_KEY_TYPE = {key: _lowered(table) for key, table in KEY_TYPE_CODES.items()}


def cause_for_code(exchange_id: str, code: str, key_type: str | None = None) -> DiagnosisCode | None:
    """The cause an exchange's own code stands for, or None if we do not know the code."""
    wanted = code.lower()
    if key_type is not None:
        override = _BY_KEY_TYPE.get((exchange_id, key_type), {}).get(wanted)
        if override is not None:
            return override
    return _BY_EXCHANGE.get(exchange_id, {}).get(wanted)
