from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rapport.sla.forms import SlaPolicyForm
from rapport.sla.models import ClockPause, ServiceClock, SlaAlert, SlaPolicy


def _hm(seconds: int | None) -> str:
    if not seconds:
        return "—"
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    return f"{hours}:{minutes:02d}"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm

    @admin.display(description=_("first response (h:mm)"))
    def first_response(self, policy):
        return _hm(policy.first_response_seconds)

    @admin.display(description=_("resolution (h:mm)"))
    def resolution(self, policy):
        return _hm(policy.resolution_seconds)

    list_display = [
        "name",
        "calendar",
        "ticket_kind",
        "priority",
        "channel",
        "customer_tier",
        "first_response",
        "resolution",
        "precedence",
        "is_active",
    ]
    list_filter = ["is_active", "calendar"]


class ClockPauseInline(admin.TabularInline):
    model = ClockPause
    extra = 0
    readonly_fields = ["started_at", "ended_at", "reason", "flagged"]


@admin.register(ServiceClock)
class ServiceClockAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "state", "due_at", "warned_at", "breached_at"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["ticket", "assignee"]
    inlines = [ClockPauseInline]

    def has_change_permission(self, request, obj=None):
        return False  # clocks change through the ticket's actions only

    def has_delete_permission(self, request, obj=None):
        return False  # nor go: the compliance rollup counts every clock (rapport.sla.rollups)


@admin.register(SlaAlert)
class SlaAlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "clock", "kind", "level", "recipient", "acknowledged_at"]
    list_filter = ["kind", "level"]

    def has_change_permission(self, request, obj=None):
        return False
