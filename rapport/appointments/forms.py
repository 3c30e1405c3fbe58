from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.appointments.models import Appointment, ServiceType
from rapport.core.bounds import BoundedFormMixin


class NeedForm(BoundedFormMixin, forms.Form):
    """Step 2 of the booking: the need, in the customer's words, and the wished day."""

    service_type = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceType.objects.none(), empty_label=None
    )
    asset = forms.TypedChoiceField(label=_("Vehicle"), required=False, coerce=int, empty_value=None)
    customer_words = forms.CharField(
        label=_("The customer's words"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    mileage_km = forms.IntegerField(
        label=_("Mileage (km)"), required=False, min_value=0, max_value=2_000_000
    )
    wish = forms.DateField(
        label=_("Wished day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    wish_time = forms.TimeField(
        label=_("Wished time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args, service_types, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = service_types
        self.fields["asset"].choices = [("", _("No vehicle"))] + [(v.pk, str(v)) for v in vehicles]


class ChooseForm(NeedForm):
    starts_at = forms.DateTimeField(label=_("Arrival time"))


class ReasonForm(BoundedFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class RescheduleForm(ReasonForm):
    starts_at = forms.DateTimeField(label=_("New arrival time"))


class ArrivalForm(BoundedFormMixin, forms.Form):
    mileage_km = forms.IntegerField(label=_("Mileage (km)"), min_value=0, max_value=2_000_000)
    # No level is chosen for the advisor: a forgotten choice is refused, not recorded as empty.
    fuel_level = forms.ChoiceField(
        label=_("Fuel level"),
        choices=[("", pgettext_lazy("empty choice", "Choose…")), *Appointment.Fuel.choices],
    )
    damage_notes = forms.CharField(label=_("Damage marks"), max_length=500, required=False)
    items_left = forms.CharField(label=_("Items left in the car"), max_length=300, required=False)
    covers_fitted = forms.BooleanField(
        label=_("Seat, steering wheel and floor covers fitted"), required=False
    )
