"""The one door SMS requests leave by. Tests replace `http_send`; nothing else opens sockets."""

import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


class HttpError(Exception):
    """The request did not get an answer (DNS, refused, timeout, TLS)."""


def http_send(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
) -> HttpResponse:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResponse(status=response.status, body=response.read(1024 * 1024))
    except urllib.error.HTTPError as exc:
        return HttpResponse(status=exc.code, body=exc.read(1024 * 1024))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise HttpError(str(getattr(exc, "reason", exc))) from exc
