from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rapport.analytics.measures import Period, this_month
from rapport.core.bounds import BoundedFormMixin
from rapport.interactions.forms import StaffChoiceField
from rapport.staff.models import Team, User

MAX_DAYS = 3 * 366


class PeriodForm(BoundedFormMixin, forms.Form):
    """Whose figures and for which days: any period, this month when none is given."""

    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.filter(is_active=True),
        required=False,
        empty_label=_("All teams"),
    )
    person = StaffChoiceField(
        label=_("Person"),
        empty_label=_("Everyone"),
        queryset=User.objects.filter(
            role__in=[User.Role.REPRESENTATIVE, User.Role.SPECIALIST, User.Role.SUPERVISOR]
        ).order_by("display_name", "username"),
        required=False,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        default = this_month()
        first = data.get("date_from") or default.first
        last = data.get("date_to") or (default.last if not data.get("date_from") else first)
        if data.get("date_from") and not data.get("date_to"):
            last = max(first, default.last)
        if last < first:
            raise ValidationError({"date_to": _("The end cannot be before the start.")})
        if (last - first).days >= MAX_DAYS:
            raise ValidationError({"date_to": _("Choose a period of at most three years.")})
        data["period"] = Period(first, last)
        return data
