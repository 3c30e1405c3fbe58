"""Forms of the self-booking pages: the customer's number and code, their need, a reason."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.appointments.forms import NeedForm
from rapport.core.bounds import BoundedFormMixin


class PhoneForm(BoundedFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0013 8000"}
        ),
    )


class CodeForm(PhoneForm):
    code = forms.RegexField(
        label=_("Code from the SMS"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("The code has six digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )


class SelfNeedForm(NeedForm):
    """What the customer needs, in their own words, and the day they would like: the staff
    booking form without what only staff record (mileage, a wished time of day)."""

    mileage_km = None
    wish_time = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer_words"].label = _("What does the car need? In your own words")
        self.fields["wish"].label = _("Preferred day")


class SelfChooseForm(SelfNeedForm):
    starts_at = forms.DateTimeField(label=_("Arrival time"))


class SelfMoveForm(BoundedFormMixin, forms.Form):
    starts_at = forms.DateTimeField(label=_("New arrival time"))


class SelfCancelForm(BoundedFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why do you cancel?"), max_length=300)
