"""Phone numbers: parsed with phonenumbers, CN by default, stored in E.164."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of a phone number or raise ValidationError."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    if len(text) > 32:
        raise ValidationError(_("A phone number has at most 32 characters."), code="max_length")
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid", params={"value": text}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."), code="invalid", params={"value": text}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Group a number for reading: +8613800138000 -> 138 0013 8000; foreign numbers keep +CC."""
    if e164.startswith("+86") and len(e164) == 14:
        n = e164[3:]
        return f"{n[:3]} {n[3:7]} {n[7:]}"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def national_digits(e164: str) -> str:
    """The digits a person dials at home: +8613800138000 -> 13800138000."""
    if e164.startswith("+86"):
        return e164[3:]
    return e164.lstrip("+")
