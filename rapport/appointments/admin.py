from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from rapport.appointments.models import (
    Appointment,
    CapacityBucket,
    PriceItem,
    Resource,
    ServiceType,
    WorkshopSettings,
)
from rapport.appointments.workorders import price_clean
from rapport.core.bounds import BoundedFormMixin


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


class PriceItemForm(BoundedFormMixin, forms.ModelForm):
    """The price list behind the reception desk: a negative or absurd price is refused with the
    same words as everywhere else (workorders.price_clean)."""

    class Meta:
        model = PriceItem
        fields = ["code", "name", "kind", "price", "minutes", "is_active"]

    def clean_price(self):
        try:
            return price_clean(self.cleaned_data.get("price"))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["price"]) from exc


@admin.register(PriceItem)
class PriceItemAdmin(admin.ModelAdmin):
    """Work orders keep the price of the day on their lines, so a change here never alters one
    already written; an item in use is switched off (active), not deleted."""

    form = PriceItemForm
    list_display = ["name", "code", "kind", "price", "minutes", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
