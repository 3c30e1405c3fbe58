from django.contrib import admin

from rapport.tickets.models import (
    CaseLesson,
    ImprovementAction,
    PriorityRule,
    Ticket,
    TicketSettings,
    TicketType,
)


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "code", "parent", "sort_order", "is_active"]
    list_filter = ["is_active", "parent"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name_zh", "name_en", "code"]


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "ticket_type", "impact", "tier", "priority"]
    list_filter = ["impact", "tier", "priority"]
    list_editable = ["priority"]


@admin.register(TicketSettings)
class TicketSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "approval_threshold",
        "auto_close_days",
        "revisit_days",
        "repeat_window_days",
        "public_form_per_hour",
    ]

    def has_add_permission(self, request):
        return not TicketSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets change through their pages, where the transition table applies."""

    list_display = ["number", "subject", "kind", "status", "priority", "customer", "created_at"]
    list_filter = ["status", "kind", "impact", "priority"]
    search_fields = ["subject"]
    raw_id_fields = ["customer", "asset", "interaction", "repeat_of"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImprovementAction)
class ImprovementActionAdmin(admin.ModelAdmin):
    list_display = ["description", "kind", "owner", "due_on", "status"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["ticket"]


@admin.register(CaseLesson)
class CaseLessonAdmin(admin.ModelAdmin):
    list_display = ["__str__", "ticket", "created_by", "created_at"]
    raw_id_fields = ["ticket"]
