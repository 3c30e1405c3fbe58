"""staff_view: the signed-in user itself reaches the view, not Django's lazy proxy."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from rapport.core.http import staff_view


class Staff:
    is_authenticated = True
    pk = 7


def test_the_view_gets_the_user_itself():
    staff = Staff()
    seen = []

    @staff_view()
    def view(request):
        seen.append(request.user)
        return HttpResponse("ok")

    request = RequestFactory().get("/x/")
    request.user = SimpleLazyObject(lambda: staff)
    assert view(request).status_code == 200
    assert seen[0] is staff


def test_an_anonymous_visitor_is_still_sent_to_sign_in():
    @staff_view()
    def view(request):  # pragma: no cover - never reached
        raise AssertionError

    request = RequestFactory().get("/x/")
    request.user = SimpleLazyObject(AnonymousUser)
    response = view(request)
    assert response.status_code == 302 and "/login/" in response["Location"]
