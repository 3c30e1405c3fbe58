from django.contrib import admin

from rapport.notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title_key", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "title_key"]
    raw_id_fields = ["recipient", "actor"]
    readonly_fields = ["created_at", "dedupe_key"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "by_email", "in_digest"]
    list_filter = ["kind"]
    raw_id_fields = ["user"]
