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
