from django.contrib import admin

from rapport.sla.models import ClockPause, ServiceClock, SlaAlert, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "calendar",
        "ticket_kind",
        "priority",
        "channel",
        "customer_tier",
        "first_response_seconds",
        "resolution_seconds",
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


@admin.register(SlaAlert)
class SlaAlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "clock", "kind", "level", "recipient", "acknowledged_at"]
    list_filter = ["kind", "level"]

    def has_change_permission(self, request, obj=None):
        return False
