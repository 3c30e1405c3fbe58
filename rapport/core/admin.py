from collections import defaultdict
from itertools import groupby

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from rapport.core.bounds import BoundedFormMixin
from rapport.core.calendar.compute import CalendarError, format_intervals
from rapport.core.calendar.selectors import (
    calendar_gap_text,
    calendar_weekly_pattern,
    calendar_year_gaps,
)
from rapport.core.calendar.services import calendar_exception_check_hours, week_minutes
from rapport.core.models import (
    AuditEntry,
    BusinessCalendar,
    CalendarException,
    Weekday,
    WorkingInterval,
)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "target_repr", "ip_address"]
    list_filter = ["action"]
    search_fields = ["target_repr", "target_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WorkingIntervalFormSet(BaseInlineFormSet):
    """Cross-row rules of the weekly hours: no overlaps within a weekday, some working time."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        week: dict[int, list] = defaultdict(list)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            week[data["weekday"]].append((data["start"], data["end"]))
        try:
            week_minutes(week)
        except CalendarError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    formset = WorkingIntervalFormSet
    extra = 0
    min_num = 1


class CalendarExceptionForm(BoundedFormMixin, forms.ModelForm):
    """Checks a make-up or half day against the calendar's saved weekly hours."""

    class Meta:
        model = CalendarException
        fields = ["calendar", "date", "kind", "name", "hours", "works_as_weekday"]

    def clean(self):
        data = super().clean()
        calendar = data.get("calendar") or (
            self.instance.calendar if self.instance.calendar_id else None
        )
        if calendar is not None and calendar.pk and not self.errors:
            probe = CalendarException(
                kind=data.get("kind"),
                hours=data.get("hours") or "",
                works_as_weekday=data.get("works_as_weekday") or 0,
            )
            try:
                calendar_exception_check_hours(probe, calendar_weekly_pattern(calendar=calendar))
            except CalendarError as exc:
                raise ValidationError({"hours": exc.message}) from exc
        return data


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    form = CalendarExceptionForm
    fields = ["date", "kind", "name", "hours", "works_as_weekday"]
    extra = 1
    ordering = ["-date"]


class BusinessCalendarForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "is_default", "description"]

    def _get_validation_exclusions(self):
        # Ticking "default" moves the default here (save_model clears the old one) instead of
        # failing the one-default constraint.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_default")
        return exclusions


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "time_zone", "is_default", "weekly_hours", "updated_at"]
    search_fields = ["name"]
    fields = ["name", "time_zone", "is_default", "description"]
    inlines = [WorkingIntervalInline, CalendarExceptionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("intervals")

    def changelist_view(self, request, extra_context=None):
        for calendar, year in calendar_year_gaps():
            messages.warning(request, calendar_gap_text(calendar, year))
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("weekly hours"))
    def weekly_hours(self, obj: BusinessCalendar) -> str:
        days = [
            f"{Weekday(i).label} " + ", ".join(format_intervals([iv.minutes]) for iv in rows)
            for i, rows in groupby(obj.intervals.all(), key=lambda iv: iv.weekday)
        ]
        return "；".join(str(d) for d in days)

    def save_model(self, request, obj, form, change):
        if obj.is_default:
            BusinessCalendar.objects.filter(is_default=True).exclude(pk=obj.pk).update(
                is_default=False
            )
        super().save_model(request, obj, form, change)


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    form = CalendarExceptionForm
    list_display = ["date", "calendar", "kind", "name", "hours"]
    list_filter = ["calendar", "kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        obj.calendar.save(update_fields=["updated_at"])  # invalidates the cached snapshot

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        obj.calendar.save(update_fields=["updated_at"])

    def delete_queryset(self, request, queryset):
        calendars = list(BusinessCalendar.objects.filter(exceptions__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for calendar in calendars:
            calendar.save(update_fields=["updated_at"])
