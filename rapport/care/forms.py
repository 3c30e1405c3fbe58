"""Forms of the care pages: parsing only; the services validate and save."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.care.models import Program, Segment
from rapport.core.bounds import BoundedFormMixin
from rapport.customers.models import Asset, Customer


def _multi(choices, label):
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class SegmentForm(BoundedFormMixin, forms.Form):
    """The segment builder: one input per condition; blank ones are left out."""

    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    tier = _multi(Customer.Tier.choices, _("Tier"))
    stage = _multi(Customer.Stage.choices, _("Lifecycle stage"))
    tags = forms.CharField(label=_("Tags (comma-separated)"), required=False, max_length=500)
    city = forms.CharField(label=_("Cities (comma-separated)"), required=False, max_length=500)
    asset_kind = _multi(Asset.Kind.choices, _("Owns an asset of kind"))
    asset_model = forms.CharField(label=_("Asset model contains"), required=False, max_length=60)
    purchased_from = forms.DateField(label=_("Purchased from"), required=False)
    purchased_to = forms.DateField(label=_("Purchased until"), required=False)
    no_contact_days = forms.IntegerField(label=_("No contact for (days)"), required=False)
    contact_within_days = forms.IntegerField(label=_("Contacted within (days)"), required=False)
    open_tickets = forms.ChoiceField(
        label=_("Open tickets"),
        required=False,
        choices=[("", _("Any")), ("true", _("Has open tickets")), ("false", _("No open ticket"))],
    )
    satisfaction = forms.ChoiceField(
        label=_("Ticket satisfaction given"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Satisfied")), ("no", _("Not satisfied"))],
    )
    marketing_ok = forms.ChoiceField(
        label=_("Marketing consent"),
        required=False,
        choices=[("", _("Any")), ("true", _("May receive marketing")), ("false", _("May not"))],
    )
    confirm_everyone = forms.BooleanField(
        label=_("Yes, this segment may match every customer"), required=False
    )

    CONDITIONS = (
        "tier",
        "stage",
        "tags",
        "city",
        "asset_kind",
        "asset_model",
        "purchased_from",
        "purchased_to",
        "no_contact_days",
        "contact_within_days",
        "open_tickets",
        "satisfaction",
        "marketing_ok",
    )

    def definition(self) -> dict:
        data = self.cleaned_data
        out = {}
        for key in self.CONDITIONS:
            value = data.get(key)
            if value in (None, "", []):
                continue
            out[key] = value.isoformat() if hasattr(value, "isoformat") else value
        return out

    @classmethod
    def initial_for(cls, segment: Segment) -> dict:
        initial = {"name": segment.name, "description": segment.description}
        for key, value in (segment.definition or {}).items():
            if key in ("tags", "city"):
                value = ", ".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            initial[key] = value
        initial["confirm_everyone"] = segment.everyone_confirmed
        return initial


class ProgramForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "name",
            "description",
            "purpose",
            "segment",
            "trigger",
            "offset_days",
            "schedule_on",
            "maintenance_days",
            "maintenance_km",
            "action",
            "template_code",
            "script_code",
            "script_text",
            "followup_days",
            "team",
            "quiet_days",
            "holdout_percent",
            "max_per_run",
            "starts_on",
            "ends_on",
        ]
        widgets = {
            "schedule_on": forms.DateInput(attrs={"type": "date"}),
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "script_text": forms.Textarea(attrs={"rows": 4}),
        }


class CallOutcomeForm(BoundedFormMixin, forms.Form):
    reached = forms.BooleanField(label=_("Reached"), required=False)
    interested = forms.BooleanField(label=_("Interested"), required=False)
    booked = forms.BooleanField(label=_("Booked"), required=False)
    declined = forms.BooleanField(label=_("Declined"), required=False)
    reason = forms.CharField(label=_("Reason / note"), required=False, max_length=300)
