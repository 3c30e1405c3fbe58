"""Signing in: Django's login view with the throttled form; a refusal for rate answers 429."""

from django.contrib.auth import views as auth_views

from rapport.staff.forms import SignInForm


class SignInView(auth_views.LoginView):
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response
