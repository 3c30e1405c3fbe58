"""Forms of the self-booking pages: the customer's number and code, their need, a reason."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.appointments.models import ServiceType
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


class SelfNeedForm(BoundedFormMixin, forms.Form):
    """What the customer needs, in their own words, and the day they would like."""

    service_type = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceType.objects.none(), empty_label=None
    )
    asset = forms.TypedChoiceField(label=_("Vehicle"), required=False, coerce=int, empty_value=None)
    customer_words = forms.CharField(
        label=_("What does the car need? In your own words"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    wish = forms.DateField(
        label=_("Preferred day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, service_types, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = service_types
        self.fields["asset"].choices = [("", _("No vehicle"))] + [(v.pk, str(v)) for v in vehicles]


class SelfChooseForm(SelfNeedForm):
    starts_at = forms.DateTimeField(label=_("Arrival time"))


class SelfMoveForm(BoundedFormMixin, forms.Form):
    starts_at = forms.DateTimeField(label=_("New arrival time"))


class SelfCancelForm(BoundedFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why do you cancel?"), max_length=300)
