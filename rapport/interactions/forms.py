"""Parsing input for the interaction pages. Forms parse; services decide and save."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.core.bounds import DUE_AHEAD, BoundedDateTimeField, BoundedFormMixin
from rapport.interactions.measures import period_length_message
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    Interaction,
    Purpose,
    Transfer,
)
from rapport.staff.models import Team, User


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} · {obj.get_role_display()}"


def _local_input(value) -> str:
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%dT%H:%M")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if hasattr(value, "tzinfo"):
            return _local_input(value)
        return value


class QuickLogForm(BoundedFormMixin, forms.Form):
    """The 360 page's quick log: four fields and an optional follow-up, keyboard only."""

    channel = forms.ChoiceField(
        label=_("Channel"), choices=Interaction.Channel.choices, initial="phone"
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Interaction.Direction.choices, initial="inbound"
    )
    purpose = forms.ModelChoiceField(
        label=_("Purpose"), queryset=Purpose.objects.filter(is_active=True), empty_label=None
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=500, required=False)
    duration_minutes = forms.IntegerField(
        label=_("Minutes"), required=False, min_value=0, max_value=24 * 60
    )
    follow_up = forms.CharField(
        label=_("Follow-up task"),
        max_length=200,
        required=False,
        help_text=_("Optional: the next step"),
    )
    follow_up_due = BoundedDateTimeField(
        latest_ahead=DUE_AHEAD,
        label=_("Due"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Defaults to tomorrow at this time."),
    )

    @property
    def purpose_choices(self) -> list[Purpose]:
        """What the select offers, from the per-process list (the field's queryset still
        validates what is sent)."""
        return Purpose.active_cached()

    def follow_up_due_at(self):
        return self.cleaned_data.get("follow_up_due") or timezone.now() + timedelta(days=1)


class CorrectForm(BoundedFormMixin, forms.ModelForm):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        help_text=_("Kept in the history with the old values."),
    )

    class Meta:
        model = Interaction
        fields = [
            "channel",
            "direction",
            "purpose",
            "started_at",
            "duration_seconds",
            "summary",
            "outcome",
            "contact",
            "asset",
        ]
        widgets = {"started_at": DateTimeLocalInput(), "summary": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = Purpose.objects.filter(is_active=True)
        self.fields["purpose"].empty_label = None
        customer = self.instance.customer
        self.fields["contact"].queryset = customer.contacts.all()
        self.fields["asset"].queryset = customer.assets.all()
        if not customer.is_organisation:
            del self.fields["contact"]

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.fields}

    def _post_clean(self):
        # The service validates and saves; keep ModelForm from writing onto the instance.
        pass


class TransferForm(BoundedFormMixin, forms.Form):
    to_staff = StaffChoiceField(label=_("Transfer to"), queryset=User.objects.none())
    # The kind follows from the colleague's role; choosing one is a check, not a label.
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("From the colleague's role")), *Transfer.Kind.choices],
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Any active user may be chosen; the service names the refusal (e.g. oneself).
        self.fields["to_staff"].queryset = targets if targets is not None else User.objects.none()


class TaskForm(BoundedFormMixin, forms.Form):
    title = forms.CharField(label=_("What"), max_length=200)
    due_at = BoundedDateTimeField(
        label=_("Due"), widget=DateTimeLocalInput(), latest_ahead=DUE_AHEAD
    )
    assignee = StaffChoiceField(
        label=_("Assignee"), queryset=User.objects.filter(is_active=True), required=False
    )
    assignee_team = forms.ModelChoiceField(
        label=_("Or a team"), queryset=Team.objects.filter(is_active=True), required=False
    )


class TaskFilterForm(BoundedFormMixin, forms.Form):
    status = forms.ChoiceField(
        choices=FollowUpTask.Status.choices, required=False, initial=FollowUpTask.Status.OPEN
    )


class AgentStatusForm(BoundedFormMixin, forms.Form):
    status = forms.ChoiceField(choices=AgentStatusInterval.Status.choices)


class TimelineFilterForm(BoundedFormMixin, forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All channels")), *Interaction.Channel.choices],
        required=False,
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("", _("Both directions")), *Interaction.Direction.choices],
        required=False,
    )
    cursor = forms.CharField(required=False, max_length=200)


class MeasuresFilterForm(BoundedFormMixin, forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.filter(is_active=True),
        required=False,
        empty_label=_("All teams"),
    )
    person = StaffChoiceField(
        empty_label=_("Everyone"),
        label=_("Person"),
        queryset=User.objects.filter(
            role__in=[User.Role.REPRESENTATIVE, User.Role.SPECIALIST, User.Role.SUPERVISOR]
        ).order_by("display_name", "username"),
        required=False,
    )
    drill = forms.ChoiceField(
        choices=[
            (d, d) for d in ("empowerment", "generalist", "channel", "non_contact", "turnover")
        ],
        required=False,
    )
    period = forms.ChoiceField(
        choices=[("current", "current"), ("previous", "previous")], required=False
    )
    channel = forms.ChoiceField(choices=Interaction.Channel.choices, required=False)
    direction = forms.ChoiceField(choices=Interaction.Direction.choices, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        """A period of days, or none (this month beside last month). Given only a start, the
        period runs to today; given only an end, it starts on the first of that month."""
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first is None and last is None:
            return data
        first = first or last.replace(day=1)
        last = last or max(first, timezone.localdate())
        if last < first:
            raise ValidationError({"date_to": _("The end cannot be before the start.")})
        if message := period_length_message(first, last):
            raise ValidationError({"date_to": message})
        data["date_from"], data["date_to"] = first, last
        return data
