from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.core.calendar.compute import (
    CalendarError,
    end_minute_of,
    format_intervals,
    minute_of,
    parse_hours,
)

HALF_DAY_ENDS = 12 * 60  # a half day without its own hours works the morning


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only record."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[override]
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self):  # type: ignore[override]
        raise AppendOnlyError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One access to, or export or merge of, personal data (个人信息访问审计). Append-only."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Revealed personal data")
        EXPORT = "export", _("Exported data")
        MERGE = "merge", _("Merged customers")
        TOKEN = "token", _("API token issued")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    target_type = models.CharField(_("target type"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=64, db_index=True)
    target_repr = models.CharField(_("whom"), max_length=200)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")


class PeriodicRun(models.Model):
    """When a periodic sweep may next run; claimed with a conditional UPDATE by one worker."""

    name = models.CharField(max_length=80, unique=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")

    def __str__(self) -> str:
        return self.name


# --- Business calendar (工作日历) ----------------------------------------------------------------
# The arithmetic lives in rapport.core.calendar.compute; cross-row rules (overlaps across rows, a
# calendar with no working time) in rapport.core.calendar.services.


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("“%(zone)s” is not a known time zone, e.g. Asia/Shanghai."),
            code="invalid_time_zone",
            params={"zone": value},
        ) from exc


def validate_whole_minute(value: time) -> None:
    if value.second or value.microsecond:
        raise ValidationError(_("Enter a time on a whole minute, e.g. 13:30."), code="whole_minute")


def validate_hours(value: str) -> None:
    try:
        parse_hours(value)
    except CalendarError as exc:
        raise ValidationError(exc.message, code="invalid_hours") from exc


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(TimeStampedModel):
    """Working hours in a time zone plus dated exceptions; SLAs count business time on one."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    is_default = models.BooleanField(
        _("default calendar"),
        default=False,
        help_text=_("Used where nothing names a calendar. Only one calendar can be the default."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="core_calendar_one_default",
                violation_error_message=_("Another calendar is already the default."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingInterval(models.Model):
    """One stretch of working time on a weekday, e.g. Monday 09:00–12:00. An end of 00:00 is 24:00."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        related_name="intervals",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("starts"), validators=[validate_whole_minute])
    end = models.TimeField(
        _("ends"),
        validators=[validate_whole_minute],
        help_text=_("00:00 means midnight at the end of the day (24:00)."),
    )

    class Meta:
        verbose_name = _("working time")
        verbose_name_plural = _("weekly working times")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="core_interval_weekday_range",
                violation_error_message=_("The weekday must be Monday to Sunday."),
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")) | models.Q(end=time(0)),
                name="core_interval_ends_after_start",
                violation_error_message=_("The working time must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start"],
                name="core_interval_unique_start",
                violation_error_message=_("Two working times on this weekday start together."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {format_intervals([self.minutes])}"

    @property
    def minutes(self) -> tuple[int, int]:
        """(start, end) as minutes from midnight; the end may be 1440."""
        return minute_of(self.start), end_minute_of(self.end)

    def clean(self) -> None:
        if self.start is not None and self.end is not None:
            start, end = self.minutes
            if end <= start:
                raise ValidationError(
                    {"end": _("The working time must end after it starts.")}, code="inverted"
                )


class CalendarException(models.Model):
    """A dated exception to the weekly hours: a holiday, a make-up working day (调休), a half day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")
        HALF_DAY = "half_day", _("Half day")
        CUSTOM = "custom", _("Custom hours")

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        related_name="exceptions",
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=80, blank=True)
    hours = models.CharField(
        _("working hours"),
        max_length=200,
        blank=True,
        validators=[validate_hours],
        help_text=_(
            "e.g. 09:00-12:00, 13:30-18:00. A make-up working day without hours works the normal "
            "hours of the weekday it stands for; a half day without hours works that weekday's "
            "morning (until 12:00); a holiday has none."
        ),
    )
    works_as_weekday = models.PositiveSmallIntegerField(
        _("works as"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("Whose normal hours a make-up working day or half day without hours follows."),
    )

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("holidays and exceptions")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="core_calendar_exception_unique_date",
                violation_error_message=_("This date is already listed for this calendar."),
                violation_error_code="duplicate_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="holiday") | models.Q(hours=""),
                name="core_calendar_exception_holiday_no_hours",
                violation_error_message=_("A holiday has no working hours."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="custom") | ~models.Q(hours=""),
                name="core_calendar_exception_custom_has_hours",
                violation_error_message=_(
                    "Custom hours need working hours; use a holiday for none."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(works_as_weekday__gte=0, works_as_weekday__lte=6),
                name="core_calendar_exception_weekday_range",
                violation_error_message=_("The weekday must be Monday to Sunday."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name or self.get_kind_display()}"

    def clean(self) -> None:
        if self.kind == self.Kind.HOLIDAY and self.hours.strip():
            raise ValidationError(
                {"hours": _("A holiday has no working hours.")}, code="holiday_hours"
            )
        if self.kind == self.Kind.CUSTOM and not self.hours.strip():
            raise ValidationError(
                {"hours": _("Custom hours need working hours; use a holiday for none.")},
                code="custom_without_hours",
            )

    def resolve(self, week: tuple[tuple[tuple[int, int], ...], ...]) -> tuple[tuple[int, int], ...]:
        """This day's working intervals, given the calendar's weekly pattern (Monday first)."""
        if self.kind == self.Kind.HOLIDAY:
            return ()
        if self.hours.strip():
            return parse_hours(self.hours)
        pattern = week[self.works_as_weekday]
        if self.kind == self.Kind.HALF_DAY:
            return tuple((s, min(e, HALF_DAY_ENDS)) for s, e in pattern if s < HALF_DAY_ENDS)
        return pattern
