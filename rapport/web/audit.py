"""The audit log page: filters by person, action and date, and each entry's detail in words."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.models import AuditEntry
from rapport.customers.services import RevealReason

WHAT = {"identities": "Phones, e-mail, WeChat", "id_number": "ID number"}


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def audit_filter(params) -> tuple[dict, dict[str, str], dict]:
    """(filter kwargs for AuditEntry, errors by field, the values to show back)."""
    kwargs, errors = {}, {}
    shown = {k: params.get(k, "").strip() for k in ("action", "actor", "since", "until")}
    if shown["action"] in AuditEntry.Action.values:
        kwargs["action"] = shown["action"]
    if shown["actor"]:
        if shown["actor"].isdigit():
            kwargs["actor_id"] = int(shown["actor"])
        else:
            errors["actor"] = _("Choose a person from the list.")
    since, until = _day(shown["since"]), _day(shown["until"])
    if shown["since"] and since is None:
        errors["since"] = _("Enter a date such as 2026-12-01.")
    if shown["until"] and until is None:
        errors["until"] = _("Enter a date such as 2026-12-31.")
    if since and until and since > until:
        errors["until"] = _("The end date is before the start date.")
    zone = timezone.get_current_timezone()
    if since and "until" not in errors:
        kwargs["at__gte"] = datetime.combine(since, time.min, tzinfo=zone)
    if until and "until" not in errors:
        kwargs["at__lt"] = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    return kwargs, errors, shown


def audit_detail_text(entry: AuditEntry) -> str:
    """The entry's detail in the reader's language, e.g. 查看：身份证号；事由：处理投诉。"""
    d = entry.detail if isinstance(entry.detail, dict) else {}
    parts: list[str] = []
    if entry.action == AuditEntry.Action.REVEAL:
        if d.get("what") in WHAT:
            parts.append(_("Seen: %(what)s") % {"what": _(WHAT[d["what"]])})
        if d.get("reason") in RevealReason.values:
            parts.append(_("Reason: %(reason)s") % {"reason": RevealReason(d["reason"]).label})
        elif "what" in d:
            parts.append(_("No reason recorded (before reasons were asked)"))
        if d.get("note"):
            parts.append(_("Note: %(note)s") % {"note": d["note"]})
    elif entry.action == AuditEntry.Action.EXPORT:
        parts.append(_("%(count)s rows") % {"count": d.get("count", "?")})
        filters = d.get("filters") or {}
        if filters:
            shown = ", ".join(f"{k}={v}" for k, v in sorted(filters.items()))
            parts.append(_("Filters: %(filters)s") % {"filters": shown})
        else:
            parts.append(_("No filter: the whole list"))
    elif entry.action == AuditEntry.Action.MERGE:
        parts.append(
            _("Merged %(name)s (no. %(id)s) into this customer")
            % {"name": d.get("merged_name", "?"), "id": d.get("merged_id", "?")}
        )
        moved = d.get("moved") or {}
        if moved:
            count = sum(v for v in moved.values() if isinstance(v, int))
            parts.append(_("%(count)s records moved") % {"count": count})
    elif entry.action == AuditEntry.Action.TOKEN:
        parts.append(_("Token name: %(name)s") % {"name": d.get("name") or "—"})
        if d.get("via") == "cli":
            parts.append(_("Issued on the server's command line"))
    return _("; ").join(parts) if parts else "—"
