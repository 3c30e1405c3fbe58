from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese first: the language cookie (set by the switch), else the staff member's own
    language, else zh-hans — the browser's Accept-Language does not override the house language."""

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
