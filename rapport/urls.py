from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path

from rapport.api.api import api
from rapport.api.api import not_found as api_not_found
from rapport.customers.urls import urlpatterns as customer_urlpatterns
from rapport.staff.forms import AdminSignInForm
from rapport.staff.views import SignInView
from rapport.web.customer360 import customer_detail

admin.site.login_form = AdminSignInForm  # the admin's sign-in is throttled the same way

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says; the neutral icon, not a 404.
    path(
        "favicon.ico",
        lambda request: HttpResponsePermanentRedirect(static("web/favicon-public.svg")),
    ),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<path>[\s\S]*)$", api_not_found),
    path(
        "customers/",
        include(
            (
                [
                    *customer_urlpatterns,
                    path("<int:customer_id>/", customer_detail, name="detail"),
                ],
                "customers",
            )
        ),
    ),
    path("", include("rapport.analytics.urls")),
    path("", include("rapport.interactions.urls")),
    path("", include("rapport.sla.urls")),
    path("", include("rapport.notifications.urls")),
    path("", include("rapport.tickets.urls")),
    path("", include("rapport.knowledge.urls")),
    path("", include("rapport.assist.urls")),
    path("", include("rapport.surveys.urls")),
    path("", include("rapport.care.urls")),
    path("", include("rapport.appointments.urls")),
    path("", include("rapport.web.urls")),
]
