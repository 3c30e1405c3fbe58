"""HTTP helpers shared by every app's views."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.functional import SimpleLazyObject, cached_property, empty

from rapport.core.errors import DomainError, Forbidden, NotFound
from rapport.core.queries import capped_count


def staff_view(capability: str | None = None) -> Callable:
    """Login required, the capability checked on the server, and domain 'not found' / 'forbidden'
    errors turned into 404 / 403 (any other refusal into its status with its message) so views
    stay free of try/except for them."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            _unwrap_user(request)
            if capability and not request.user.can(capability):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc
            except DomainError as exc:
                # A refusal the view did not put on a form: say it, never a 500.
                context = {"message": exc.message}
                return render(request, "web/refused.html", context, status=exc.status)

        return wrapper

    return decorator


def _unwrap_user(request: HttpRequest) -> None:
    """The signed-in user itself in place of the lazy object Django's middleware put there
    (login_required has read it by now): a staff page reads the user 400-odd times (its
    capabilities, its teams, the templates' checks), each through the proxy's attribute hooks,
    which cost more than half a millisecond a page."""
    user = request.user
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped
        if wrapped is not empty:
            request.user = wrapped


def customer_page(view: Callable) -> Callable:
    """A page for customers (no login: the complaint form, the tracking page, a survey, the help
    pages) speaks the browser's language (Accept-Language; zh-hans when it asks for none of
    ours) unless the visitor chose one with the page's switch (the language cookie). Signed-in
    staff keep their own, as everywhere (ChineseFirstLocaleMiddleware)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            translation.activate(translation.get_language_from_request(request))
            request.LANGUAGE_CODE = translation.get_language()
        return view(request, *args, **kwargs)

    return wrapped


def filter_status(form) -> int:
    """400 when a page's filter form was given values it refuses (an id beyond 64 bits, a date
    outside 1900–2200): the page still renders, with the field's error, unfiltered."""
    return 400 if form.is_bound and form.errors else 200


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors on their fields, the rest on
    the form, so the person sees the field and the limit."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class FastPaginator(Paginator):
    """A paginator that counts with a plain COUNT over the filtered rows only (no ORDER BY, no
    prefetch), so the count stays cheap on large tables. With `cap`, it counts at most that
    many rows (a LIMIT inside the COUNT) and says "1000+" beyond, so a queue of 100k tickets
    costs what a queue of a thousand does. The count reaches further as the pages asked for
    do: page 50 of 25 rows counts up to the next multiple of `cap` past row 1,275, so every page
    before the end stays reachable and "next" is offered while rows remain."""

    def __init__(self, *args, cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap
        self.reach = cap

    def get_page(self, number):
        if self.cap is not None:
            try:
                wanted = int(number)
            except (TypeError, ValueError):
                wanted = 1
            if 1 < wanted < 10**9:
                rows = wanted * self.per_page + 1  # this page and one row past it
                self.reach = -(-rows // self.cap) * self.cap
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if hasattr(qs, "capped_count"):  # prepared rows (rapport.core.prepared.PageableRows)
            return qs.capped_count(self.reach if self.cap is not None else 10**12)
        if not hasattr(qs, "order_by"):
            return len(qs)
        if self.cap is None:
            return qs.order_by().count()
        return capped_count(qs, self.reach)

    @property
    def count_is_capped(self) -> bool:
        return self.cap is not None and self.count >= self.reach
