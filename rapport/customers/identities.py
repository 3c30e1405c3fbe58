"""Normalising identities so one contact always finds one customer."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from rapport.core.phones import national_digits, normalize_phone

WECHAT_RE = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")
# openid, unionid and WeCom external_userid: opaque ids issued by Tencent, case-sensitive.
OPAQUE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{6,128}$")
OPAQUE_KINDS = ("wxopenid", "wxunion", "wecom")


def normalize_identity(kind: str, raw: str) -> str:
    """Return the stored form of an identity or raise ValidationError naming the problem."""
    text = (raw or "").strip()
    if kind == "phone":
        return normalize_phone(text)
    if kind == "email":
        if len(text) > 254:
            raise ValidationError(
                _("An e-mail address has at most 254 characters."), code="max_length"
            )
        validate_email(text)
        local, _sep, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}".lower()
    if kind == "wechat":
        if not WECHAT_RE.match(text):
            raise ValidationError(
                _("A WeChat id has 6 to 20 letters, digits, - or _, and starts with a letter."),
                code="invalid",
            )
        return text.lower()
    if kind in OPAQUE_KINDS:
        if not OPAQUE_ID_RE.match(text):
            raise ValidationError(
                _("A WeChat/WeCom user id has 6 to 128 letters, digits, - or _."), code="invalid"
            )
        return text  # case matters in these ids
    raise ValidationError(_("Unknown identity kind “%(kind)s”."), params={"kind": kind})


def searchable_form(kind: str, value: str) -> str:
    """How an identity appears in the customer search text: phone numbers as dialled digits."""
    return national_digits(value) if kind == "phone" else value
