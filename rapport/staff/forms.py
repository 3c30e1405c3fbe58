"""The sign-in forms (staff pages and the admin site), throttled and bounded (staff.signin)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.core.addresses import client_ip
from rapport.core.bounds import BoundedFormMixin
from rapport.staff import signin


class ThrottledSignInMixin:
    """Refuses a locked-out account or address before checking the password; records failures.
    After a refusal for rate, `retry_after` holds the seconds to wait (else None)."""

    retry_after: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else None
        wait = signin.signin_locked_for(username=username, ip=ip)
        if wait:
            self.retry_after = wait
            minutes = max(1, (wait + 59) // 60)
            raise forms.ValidationError(
                ngettext(
                    "Too many failed sign-ins. To protect the account, signing in is paused; "
                    "try again in %(minutes)d minute.",
                    "Too many failed sign-ins. To protect the account, signing in is paused; "
                    "try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        try:
            with signin.password_check_slot():
                cleaned = super().clean()
        except signin.SignInBusy:
            self.retry_after = 5
            raise forms.ValidationError(
                _("Many people are signing in right now; please try again in a moment."),
                code="busy",
            ) from None
        except forms.ValidationError:
            signin.signin_failed(username=username, ip=ip)
            raise
        signin.signin_succeeded(username=username)
        return cleaned


class SignInForm(BoundedFormMixin, ThrottledSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(BoundedFormMixin, ThrottledSignInMixin, AdminAuthenticationForm):
    pass
