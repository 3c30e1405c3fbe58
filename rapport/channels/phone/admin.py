"""Calls and their raw events in the admin: read-only, for finding out what a call centre sent."""

from django.contrib import admin

from rapport.channels.phone.models import Call, CallEvent


class CallEventInline(admin.TabularInline):
    model = CallEvent
    extra = 0
    can_delete = False
    fields = ["event_type", "occurred_at", "received_at", "outcome", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "account",
        "direction",
        "masked_number",
        "customer",
        "agent",
        "state",
        "duration_seconds",
    ]
    list_filter = ["state", "direction", "account"]
    list_select_related = ["account", "customer", "agent"]
    search_fields = ["provider_call_id"]
    exclude = ["from_number", "to_number", "customer_number"]  # numbers stay masked here too
    readonly_fields = [
        "account",
        "provider_call_id",
        "masked_number",
        "direction",
        "customer",
        "agent",
        "agent_ref",
        "state",
        "started_at",
        "answered_at",
        "ended_at",
        "duration_seconds",
        "hangup_side",
        "recording_url",
        "interaction",
        "callback_task",
        "note",
        "banner_dismissed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [CallEventInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "account", "provider_call_id", "event_type", "outcome", "reason"]
    list_filter = ["outcome", "event_type", "account"]
    search_fields = ["provider_call_id"]
    readonly_fields = [
        "account",
        "call",
        "provider_call_id",
        "event_type",
        "occurred_at",
        "payload",
        "outcome",
        "reason",
        "received_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False
