"""What the system accepts, bounded in one place: dates and times within a sane window, text
without control characters, integers that fit the database.

Forms use `BoundedFormMixin` (every form in Rapport has it), the API uses the annotated types
(`BoundedDatetime`, `DueDatetime`, ...) on the fields it reads and `BoundedParser`, which checks
every string and integer of every request before the schemas see them. Refusals name the field.

Why: PostgreSQL stores instants Python cannot read back (`0001-01-01T00:00:00+14:00` is a date
before year 1 in UTC), refuses NUL in text, and SQLite overflows on integers beyond 64 bits — each
of them a 500 from then on, wherever the row or the value is read.
"""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# A due date (a follow-up, an investigation, an improvement) lies at most this far ahead.
DUE_AHEAD = timedelta(days=2 * 366)
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)
MAX_JSON_DEPTH = 32

# C0 controls except tab, newline and carriage return (browsers send textarea lines as CRLF),
# DEL, C1 controls, lone surrogates (no UTF-8 for them) and the two non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


# --- the checks ---------------------------------------------------------------------------------


def control_character_message(value: str) -> str | None:
    """Why `value` is refused, or None when it is clean text."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    return _("Remove the control character %(char)s (position %(position)d).") % {
        "char": f"U+{ord(found.group()):04X}",
        "position": found.start() + 1,
    }


def refuse_control_characters(value: Any) -> None:
    """A Django validator: text may hold tab and newlines, never NUL or other controls."""
    if isinstance(value, str) and (message := control_character_message(value)):
        raise ValidationError(message, code="control_character")


def _aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        return value.replace(tzinfo=timezone.get_current_timezone())
    return value


def datetime_message(
    value: datetime, *, earliest: datetime | None = None, latest: datetime | None = None
) -> str | None:
    """Why the instant is refused, or None when it lies within [earliest, latest]."""
    earliest = max(earliest or EARLIEST, EARLIEST)
    latest = min(latest or LATEST, LATEST)
    try:
        instant = _aware(value).astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is not None and earliest <= instant <= latest:
        return None
    return _("Give a time between %(earliest)s and %(latest)s.") % {
        "earliest": _show(earliest),
        "latest": _show(latest),
    }


def _show(instant: datetime) -> str:
    if instant in (EARLIEST, LATEST):
        return instant.date().isoformat()
    return timezone.localtime(instant).strftime("%Y-%m-%d %H:%M")


def date_message(
    value: date, *, earliest: date | None = None, latest: date | None = None
) -> str | None:
    """Why the day is refused, or None when it lies within [earliest, latest]."""
    earliest = max(earliest or EARLIEST.date(), EARLIEST.date())
    latest = min(latest or LATEST.date(), LATEST.date())
    if earliest <= value <= latest:
        return None
    return _("Give a date between %(earliest)s and %(latest)s.") % {
        "earliest": earliest.isoformat(),
        "latest": latest.isoformat(),
    }


def integer_message(value: int) -> str | None:
    if MIN_INT <= value <= MAX_INT:
        return None
    return _("Give a number of at most 19 digits.")


def due_latest() -> datetime:
    """The latest due instant accepted now."""
    return timezone.now() + DUE_AHEAD


def check_datetime(
    value: datetime | None,
    *,
    field: str,
    earliest: datetime | None = None,
    latest: datetime | None = None,
) -> datetime | None:
    """`value` unchanged, or ValidationError naming `field` when it is outside the window
    (always within 1900–2200)."""
    if value is not None and (message := datetime_message(value, earliest=earliest, latest=latest)):
        raise ValidationError({field: ValidationError(message, code="out_of_range")})
    return value


def check_date(
    value: date | None, *, field: str, earliest: date | None = None, latest: date | None = None
) -> date | None:
    """`value` unchanged, or ValidationError naming `field` outside the window (1900–2200)."""
    if value is not None and (message := date_message(value, earliest=earliest, latest=latest)):
        raise ValidationError({field: ValidationError(message, code="out_of_range")})
    return value


def check_text(value: str, *, field: str) -> str:
    """`value` unchanged, or ValidationError naming `field` when it holds a control character."""
    if message := control_character_message(value):
        raise ValidationError({field: ValidationError(message, code="control_character")})
    return value


# --- the API: annotated types and the parser ---------------------------------------------------


def _pydantic_datetime(latest_ahead: timedelta | None = None):
    def validate(value: datetime) -> datetime:
        latest = timezone.now() + latest_ahead if latest_ahead else None
        if message := datetime_message(value, latest=latest):
            raise PydanticCustomError("datetime_out_of_range", message.replace("{", "("))
        return value

    return AfterValidator(validate)


def _pydantic_date(latest_ahead: timedelta | None = None):
    def validate(value: date) -> date:
        latest = timezone.localdate() + latest_ahead if latest_ahead else None
        if message := date_message(value, latest=latest):
            raise PydanticCustomError("date_out_of_range", message.replace("{", "("))
        return value

    return AfterValidator(validate)


_DATETIME_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "description": "An instant between 1900-01-01 and 2200-01-01 (UTC).",
}
_DATE_SCHEMA = {
    "type": "string",
    "format": "date",
    "description": "A day between 1900-01-01 and 2200-01-01.",
}

# The bounds alone, to add to another annotated type: Annotated[IsoDatetime, InBounds].
InBounds = _pydantic_datetime()
# Any instant the API reads: 1900–2200.
BoundedDatetime = Annotated[datetime, _pydantic_datetime(), WithJsonSchema(_DATETIME_SCHEMA)]
# A due instant: also at most two years ahead.
DueDatetime = Annotated[
    datetime,
    _pydantic_datetime(DUE_AHEAD),
    WithJsonSchema({**_DATETIME_SCHEMA, "description": "At most two years ahead."}),
]
BoundedDate = Annotated[date, _pydantic_date(), WithJsonSchema(_DATE_SCHEMA)]
DueDate = Annotated[
    date,
    _pydantic_date(DUE_AHEAD),
    WithJsonSchema({**_DATE_SCHEMA, "description": "At most two years ahead."}),
]


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith(("_id", "_ids"))


class BoundedParser(Parser):
    """The API's parser: refuses, naming the field, any string with a control character, any
    JSON integer beyond 64 bits, an id in the query string beyond 64 bits, and JSON nested
    deeper than MAX_JSON_DEPTH."""

    def parse_body(self, request):
        data = super().parse_body(request)
        errors: list[dict] = []
        _walk(data, ("body",), errors, depth=0)
        if errors:
            raise NinjaValidationError(errors)
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        errors: list[dict] = []
        for key, value in result.items():
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str):  # an uploaded file: its checks are the service's
                    continue
                loc = ("query", key)
                if message := control_character_message(key) or control_character_message(item):
                    errors.append(_error(loc, message, "control_character"))
                elif (
                    _is_id_key(key)
                    and re.fullmatch(r"\s*[+-]?\d+\s*", item)
                    and (message := integer_message(int(item)))
                ):
                    errors.append(_error(loc, message, "integer_out_of_range"))
        if errors:
            raise NinjaValidationError(errors)
        return result


def _error(loc: tuple, message: str, kind: str) -> dict:
    return {"loc": loc, "msg": message, "type": kind}


def _walk(value: Any, loc: tuple, errors: list[dict], *, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        errors.append(
            _error(
                loc,
                _("Nested deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH},
                "too_deep",
            )
        )
    elif isinstance(value, str):
        if message := control_character_message(value):
            errors.append(_error(loc, message, "control_character"))
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if message := integer_message(value):
            errors.append(_error(loc, message, "integer_out_of_range"))
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            errors.append(_error(loc, _("Give a finite number."), "not_finite"))
    elif isinstance(value, dict):
        for key, item in value.items():
            if message := control_character_message(key):
                errors.append(_error((*loc, key), message, "control_character"))
            else:
                _walk(item, (*loc, key), errors, depth=depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, (*loc, index), errors, depth=depth + 1)


# --- forms --------------------------------------------------------------------------------------


class BoundedDateTimeField(forms.DateTimeField):
    """A date-time within 1900–2200, and at most `latest_ahead` from now when given."""

    def __init__(self, *args, latest_ahead: timedelta | None = None, **kwargs):
        self.latest_ahead = latest_ahead
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        latest = timezone.now() + self.latest_ahead if self.latest_ahead else None
        if message := datetime_message(value, latest=latest):
            raise ValidationError(message, code="out_of_range")


class BoundedDateField(forms.DateField):
    """A date within 1900–2200, and at most `latest_ahead` from today when given."""

    def __init__(self, *args, latest_ahead: timedelta | None = None, **kwargs):
        self.latest_ahead = latest_ahead
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        latest = timezone.localdate() + self.latest_ahead if self.latest_ahead else None
        if message := date_message(value, latest=latest):
            raise ValidationError(message, code="out_of_range")


def _bounded_datetime(value):
    if isinstance(value, datetime) and (message := datetime_message(value)):
        raise ValidationError(message, code="out_of_range")


def _bounded_date(value):
    if (
        isinstance(value, date)
        and not isinstance(value, datetime)
        and (message := date_message(value))
    ):
        raise ValidationError(message, code="out_of_range")


def _bounded_integer(value):
    if isinstance(value, int) and (message := integer_message(value)):
        raise ValidationError(message, code="out_of_range")


class BoundedFormMixin:
    """Every form of Rapport: text without control characters, dates and times within 1900–2200,
    integers that fit 64 bits, on every field (a test checks that every form has this mixin)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(refuse_control_characters)
            elif isinstance(field, forms.DateTimeField):
                field.validators.append(_bounded_datetime)
            elif isinstance(field, forms.DateField):
                field.validators.append(_bounded_date)
            elif isinstance(field, forms.IntegerField):
                field.validators.append(_bounded_integer)
