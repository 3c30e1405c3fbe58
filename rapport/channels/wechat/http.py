"""The one place WeChat and WeCom traffic leaves the process (tests replace `request`).

Standard-library urllib, bounded reads, no redirects to other hosts, a timeout on everything.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
TIMEOUT_SECONDS = 10


class HttpError(Exception):
    """The request did not get an answer (network, timeout, a non-2xx status)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> dict:
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise HttpError("The answer is not JSON.") from exc
        if not isinstance(data, dict):
            raise HttpError("The answer is not a JSON object.")
        return data


def request(method: str, url: str, *, json_body: dict | None = None) -> HttpResponse:
    """One HTTP request; raises HttpError for anything but an answer with status 2xx."""
    data = None
    headers = {"User-Agent": "Rapport/1"}
    if json_body is not None:
        # ensure_ascii=False: WeChat shows \\uXXXX escapes literally in some message types.
        data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json; charset=utf-8"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as answer:
            body = answer.read(MAX_RESPONSE_BYTES + 1)
            if len(body) > MAX_RESPONSE_BYTES:
                raise HttpError("The answer is larger than 10 MB.")
            return HttpResponse(
                status=answer.status,
                body=body,
                headers={k.lower(): v for k, v in answer.headers.items()},
            )
    except urllib.error.HTTPError as exc:
        raise HttpError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise HttpError(str(getattr(exc, "reason", exc))) from exc
