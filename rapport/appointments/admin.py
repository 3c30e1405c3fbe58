from django.contrib import admin

from rapport.appointments.models import (
    Appointment,
    CapacityBucket,
    Resource,
    ServiceType,
    WorkshopSettings,
)


@admin.register(WorkshopSettings)
class WorkshopSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "slot_minutes",
        "min_notice_minutes",
        "horizon_days",
        "repeat_repair_days",
        "diagnosis_minutes",
    ]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "duration_minutes",
        "needs_bay",
        "technician_skill",
        "estimate",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "staff",
        "skills",
        "calendar",
        "walk_in_reserve_percent",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]


@admin.register(CapacityBucket)
class CapacityBucketAdmin(admin.ModelAdmin):
    list_display = [
        "resource",
        "day",
        "part",
        "capacity_minutes",
        "reserve_minutes",
        "booked_minutes",
    ]
    list_filter = ["day"]
    # Booked minutes change only through bookings (conditional UPDATE); editing them here would
    # let the counter drift from the appointments.
    readonly_fields = ["booked_minutes"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "service_type", "starts_at", "advisor", "bay", "state"]
    list_filter = ["state", "day"]
    raw_id_fields = ["customer", "asset", "rescheduled_to"]
    readonly_fields = ["holds", "customer_words"]
