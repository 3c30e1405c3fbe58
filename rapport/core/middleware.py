from urllib.parse import unquote_to_bytes, urlencode

from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese first: the language cookie (set by the switch), else the staff member's own
    language, else zh-hans — the browser's Accept-Language does not override the house language.
    Pages for customers follow the browser instead (rapport.core.http.customer_page)."""

    def process_request(self, request):
        supported = {code for code, _name in settings.LANGUAGES}
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in supported:
            user = getattr(request, "user", None)
            language = getattr(user, "language", None) if user and user.is_authenticated else None
        if language not in supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# Seconds a client is told to wait on a 429 that did not say how long itself.
RETRY_AFTER_DEFAULT = 60


class RetryAfterMiddleware:
    """Every 429 carries Retry-After (RFC 9110 §10.2.3); the code that refused sets the exact
    wait when it knows it, this fills in a default for any that does not."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 429 and "Retry-After" not in response:
            response["Retry-After"] = str(RETRY_AFTER_DEFAULT)
        return response


# Chinese legacy encodings a browser or an embedded form may declare; GB18030 decodes all three.
_CHINESE_CHARSETS = {"gb18030", "gbk", "gb2312", "cp936", "euc-cn", "euc_cn"}


class FormCharsetMiddleware:
    """A form body declared in a Chinese legacy charset (`charset=GB18030`, GBK, GB2312) is
    decoded and handed on as UTF-8; any other charset than UTF-8 is refused with 415 and a
    clear message, before anything (the CSRF check, the form) reads the body.

    Django reads url-encoded bodies as UTF-8 only and raises BadRequest for another charset,
    and its 400 page reads the body again through the CSRF check, which made a 500 of it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in ("POST", "PUT", "PATCH")
            and request.content_type == "application/x-www-form-urlencoded"
        ):
            charset = (request.content_params.get("charset") or "utf-8").strip().lower()
            if charset.replace("_", "-") not in ("utf-8", "utf8"):
                if charset not in _CHINESE_CHARSETS:
                    return _unsupported_charset(charset)
                _transcode_to_utf8(request, "gb18030")
        return self.get_response(request)


def _transcode_to_utf8(request, charset: str) -> None:
    pairs = []
    for part in request.body.split(b"&"):
        if not part:
            continue
        key, _sep, value = part.partition(b"=")
        key, value = (
            unquote_to_bytes(x.replace(b"+", b" ")).decode(charset, "replace") for x in (key, value)
        )
        pairs.append((key, value))
    request._body = urlencode(pairs).encode("ascii")
    request.META["CONTENT_TYPE"] = "application/x-www-form-urlencoded; charset=utf-8"
    request.META["CONTENT_LENGTH"] = str(len(request._body))
    request.content_params = {"charset": "utf-8"}
    request.encoding = "utf-8"


def _unsupported_charset(charset: str) -> HttpResponse:
    message = _(
        "This form was sent in the character set “%(charset)s”, which Rapport does not read. "
        "Send it as UTF-8 (or GB18030)."
    ) % {"charset": charset[:40]}
    return HttpResponse(message, status=415, content_type="text/plain; charset=utf-8")
