"""Masking personal data on the server (138****1234)."""


def mask_phone(value: str) -> str:
    """Keep the first three and last four digits of a number: +8613800138000 -> 138****8000."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) <= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(value: str) -> str:
    """A resident ID keeps its first 3 and last 4 characters: 110105********1234."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return mask_id_number(value)
    shown = local[:1]
    return f"{shown}***@{domain}"
