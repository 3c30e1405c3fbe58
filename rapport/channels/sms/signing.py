"""Request signing of the two SMS providers, written here and proven against their own examples
(tests/test_signing.py, vectors in REFERENCE.md's appendix).

Aliyun RPC (signature version 1.0): the parameters sorted by name, each name and value
percent-encoded per RFC 3986 (space %20, * %2A, ~ kept), joined as a query; the string to sign is
`METHOD&%2F&` + the encoded query; HMAC-SHA1 keyed with `secret + "&"`, base64.

Tencent Cloud TC3-HMAC-SHA256: a canonical request (method, "/", query, the signed headers,
their names, the payload's SHA-256), its hash in the string to sign with the timestamp and the
credential scope `<UTC date>/<service>/tc3_request`; the key is the HMAC chain
"TC3" + SecretKey → date → service → "tc3_request". The date is UTC: the provider's own
documentation warns that UTC+8 breaks at midnight.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding as Aliyun wants it (only A-Z a-z 0-9 - _ . ~ stay)."""
    return quote(str(value), safe="-_.~")


def aliyun_canonical_query(params: dict[str, str]) -> str:
    return "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params)
    )


def aliyun_string_to_sign(params: dict[str, str], method: str = "GET") -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(aliyun_canonical_query(params))}"


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The `Signature` parameter for `params` (without Signature itself)."""
    digest = hmac.new(
        (secret + "&").encode(), aliyun_string_to_sign(params, method).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class TC3Signed:
    payload_hash: str
    canonical_request: str
    canonical_request_hash: str
    string_to_sign: str
    signature: str
    authorization: str


def tc3_sign(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    timestamp: int,
    payload: bytes | str,
    method: str = "POST",
    query: str = "",
    content_type: str = "application/json; charset=utf-8",
) -> TC3Signed:
    """Sign one Tencent Cloud API request (TC3-HMAC-SHA256); every step is returned so the
    tests can compare each with the documentation's example."""
    payload_hash = sha256_hex(payload)
    canonical_headers = f"content-type:{content_type}\nhost:{host}\n"
    signed_headers = "content-type;host"
    canonical_request = (
        f"{method}\n/\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    )
    canonical_hash = sha256_hex(canonical_request)
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{canonical_hash}"
    key = _hmac256(("TC3" + secret_key).encode(), date)
    key = _hmac256(key, service)
    key = _hmac256(key, "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return TC3Signed(
        payload_hash=payload_hash,
        canonical_request=canonical_request,
        canonical_request_hash=canonical_hash,
        string_to_sign=string_to_sign,
        signature=signature,
        authorization=authorization,
    )
