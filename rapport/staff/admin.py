from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from rapport.staff.models import ApiToken, Team, User


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "display_name", "role", "is_active", "hired_on", "left_on"]
    list_filter = ["role", "is_active", "teams"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            _("Rapport"),
            {
                "fields": [
                    "display_name",
                    "role",
                    "teams",
                    "phone_extension",
                    "hired_on",
                    "left_on",
                    "language",
                ]
            },
        ),
    ]
    filter_horizontal = ["teams", "groups", "user_permissions"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are issued with `rapport token create USER`, shown once
