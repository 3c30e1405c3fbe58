"""The service-level policy form: targets in hours and minutes, matchers chosen from lists.

Administrators used to type seconds and free-text codes ("complaint", "vip"); a typo matched no
ticket and nothing said so. Every matcher is a choice now, and each target reads 2 小时 30 分钟.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.core.bounds import BoundedFormMixin
from rapport.sla.models import SlaPolicy, matcher_choices

TARGETS = ("first_response", "next_reply", "resolution")


class HoursMinutesWidget(forms.MultiWidget):
    template_name = "sla/hours_minutes_widget.html"

    def __init__(self, attrs=None):
        number = {"min": "0", "inputmode": "numeric", "class": "hm"}
        super().__init__(
            [
                forms.NumberInput(attrs={**number, "aria-label": _("hours")}),
                forms.NumberInput(attrs={**number, "max": "59", "aria-label": _("minutes")}),
            ],
            attrs,
        )

    def decompress(self, value):
        if not value:
            return [None, None]
        return [value // 3600, value % 3600 // 60]


class HoursMinutesField(forms.MultiValueField):
    """A duration typed as hours and minutes, cleaned to seconds (None when both are empty)."""

    widget = HoursMinutesWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        fields = (
            forms.IntegerField(min_value=0, max_value=24 * 365),
            forms.IntegerField(min_value=0, max_value=59),
        )
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or all(v in (None, "") for v in data_list):
            return None
        hours, minutes = (v or 0 for v in data_list)
        seconds = hours * 3600 + minutes * 60
        if seconds == 0:
            raise forms.ValidationError(_("A target must be longer than zero."), code="zero")
        return seconds


class SlaPolicyForm(BoundedFormMixin, forms.ModelForm):
    first_response_seconds = HoursMinutesField(label=_("First response within"))
    next_reply_seconds = HoursMinutesField(label=_("Next reply within"))
    resolution_seconds = HoursMinutesField(label=_("Resolution within"))

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "calendar",
            "ticket_kind",
            "priority",
            "channel",
            "customer_tier",
            "first_response_seconds",
            "next_reply_seconds",
            "resolution_seconds",
            "warn_share",
            "precedence",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = matcher_choices()
        for name in ("ticket_kind", "channel", "customer_tier"):
            self.fields[name] = forms.ChoiceField(
                label=self.fields[name].label,
                choices=[("", _("Any"))] + choices[name],
                required=False,
            )
        self.fields["priority"] = forms.TypedChoiceField(
            label=self.fields["priority"].label,
            choices=[("", _("Any"))] + choices["priority"],
            coerce=int,
            empty_value=None,
            required=False,
        )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"{t}_seconds") for t in TARGETS) and not self.errors:
            raise forms.ValidationError(_("A policy needs at least one target."))
        return cleaned
