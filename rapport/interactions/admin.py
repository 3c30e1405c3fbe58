"""Routing settings in the admin: each team's strategy, cap and escalation time, and each
agent's own cap and skills. The model's constraints refuse a cap below 1 by field."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rapport.core.bounds import BoundedFormMixin
from rapport.interactions import routing
from rapport.interactions.models import AgentRouting, TeamRouting, UnassignedEscalation


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ["team", "strategy", "cap", "escalate_after_minutes"]
    list_filter = ["strategy"]
    fields = ["team", "strategy", "cap", "escalate_after_minutes"]


class AgentRoutingForm(BoundedFormMixin, forms.ModelForm):
    skills = forms.MultipleChoiceField(
        label=_("skills"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Ticket types or channels this agent handles; none: everything."),
    )

    class Meta:
        model = AgentRouting
        fields = ["user", "cap", "skills"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skills"].choices = routing.skill_choices()

    def clean_skills(self) -> list[str]:
        return sorted(self.cleaned_data["skills"])


@admin.register(AgentRouting)
class AgentRoutingAdmin(admin.ModelAdmin):
    form = AgentRoutingForm
    list_display = ["user", "cap", "skills"]
    raw_id_fields = ["user"]


@admin.register(UnassignedEscalation)
class UnassignedEscalationAdmin(admin.ModelAdmin):
    list_display = ["escalated_at", "source", "item_id", "team"]
    list_filter = ["source", "team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
