"""One action on many items, each through its own service: the shared shape of bulk work.

`bulk_run` calls a service once per item, each call inside its own savepoint, and collects what
happened to every item: done, or refused with the reason in words. One item refused never undoes
another, and nothing of a refused item stays written (its savepoint is rolled back). The service
keeps its own checks and events; this module adds none of its own.

    ids = bulk_ids(request.POST.getlist("ids"))            # ValidationError {"ids": …}
    found = {t.pk: t for t in ticket_visible_qs(staff=me).filter(pk__in=ids)}
    result = bulk_run(ids=ids, found=found, label=lambda t: t.number,
                      act=lambda t: ticket_note(ticket=t, by=me, body=body))
    result.done_count, result.refused  # → the summary page, or the API's per-item list

Ids the person may not see are refused as "not found" (the same as ids that do not exist), so
a bulk request never tells more than opening each item would.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from rapport.core.errors import DomainError

# A supervisor reassigns a queue page or two at a time; beyond this it is a script's job, and a
# request of this size still answers within a few seconds.
MAX_BULK_ITEMS = 500


@dataclass(frozen=True)
class BulkOutcome:
    """What happened to one item: `ok`, or refused with `code` and `reason` (words)."""

    item_id: int
    ok: bool
    label: str = ""
    code: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "label": self.label,
            "ok": self.ok,
            "code": self.code,
            "reason": self.reason,
        }


@dataclass
class BulkResult:
    outcomes: list[BulkOutcome] = field(default_factory=list)

    @property
    def done(self) -> list[BulkOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def refused(self) -> list[BulkOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def done_count(self) -> int:
        return len(self.done)

    @property
    def refused_count(self) -> int:
        return len(self.outcomes) - self.done_count

    def refused_by_reason(self) -> list[tuple[str, list[BulkOutcome]]]:
        """Refusals grouped by their reason, the most frequent first: one line per reason."""
        groups: dict[str, list[BulkOutcome]] = {}
        for outcome in self.refused:
            groups.setdefault(outcome.reason, []).append(outcome)
        return sorted(groups.items(), key=lambda item: -len(item[1]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done_count,
            "refused": self.refused_count,
            "items": [o.as_dict() for o in self.outcomes],
        }


def bulk_ids(
    raw: Iterable[Any] | None, *, limit: int = MAX_BULK_ITEMS, field_name: str = "ids"
) -> list[int]:
    """The ids of a bulk request as positive integers, in the order given, without repeats.

    Raises ValidationError keyed by `field_name` when none is given, one is not a number, or
    there are more than `limit` (nothing is done then: a request cut off halfway would leave
    the person guessing which part ran)."""
    values = list(raw or [])
    if len(values) > limit * 4:  # a flood: refused before a single value is parsed
        _too_many(field_name, limit, len(values))
    ids: dict[int, None] = {}
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or len(text) > 18 or int(text) == 0:
            raise ValidationError(
                {field_name: [_("“%(value)s” is not an item number.") % {"value": text[:30]}]}
            )
        ids[int(text)] = None
    if not ids:
        raise ValidationError({field_name: [_("Select at least one item.")]})
    if len(ids) > limit:
        _too_many(field_name, limit, len(ids))
    return list(ids)


def _too_many(field_name: str, limit: int, count: int) -> None:
    message = _("Select at most %(limit)d items at a time; you selected %(count)d.") % {
        "limit": limit,
        "count": count,
    }
    raise ValidationError({field_name: [message]})


def _reason(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            messages = [m for errors in exc.message_dict.values() for m in errors]
        else:
            messages = exc.messages
        return "invalid", " ".join(str(m) for m in messages)
    if isinstance(exc, DomainError):
        return exc.code, str(exc.message)
    return "conflict", _("It changed while you were working on it; open it and try again.")


def bulk_run(
    *,
    ids: Iterable[int],
    found: Mapping[int, Any],
    act: Callable[[Any], Any],
    label: Callable[[Any], str] = str,
    not_found: str | None = None,
    id_label: Callable[[int], str] = str,
) -> BulkResult:
    """Call `act(item)` for each id, each in its own savepoint, and say what happened to each.

    `found` maps the ids the person may work on to their objects (from an access-checked
    selector); an id missing from it is refused as not found. `act` is the item's normal
    service: a ValidationError, a DomainError or a database conflict it raises refuses that
    item only and rolls its writes back. Any other exception is a bug and propagates.
    `label` names a found item in the summary, `id_label` an id that was not found."""
    result = BulkResult()
    missing = not_found or _("Not found, or not yours to change.")
    for item_id in ids:
        item = found.get(item_id)
        if item is None:
            result.outcomes.append(
                BulkOutcome(item_id, False, id_label(item_id), "not_found", str(missing))
            )
            continue
        name = str(label(item))
        try:
            with transaction.atomic():
                act(item)
        except (ValidationError, DomainError, DatabaseError) as exc:
            code, reason = _reason(exc)
            result.outcomes.append(BulkOutcome(item_id, False, name, code, reason))
        else:
            result.outcomes.append(BulkOutcome(item_id, True, name))
    return result


def bulk_flash(request, result: BulkResult) -> None:
    """The summary as page messages, for pages that redirect after a bulk action: how many were
    done, then one line per reason with the items it refused."""
    from django.contrib import messages

    messages.success(request, _("Done: %(done)d.") % {"done": result.done_count})
    for reason, items in result.refused_by_reason():
        labels = ", ".join(o.label or str(o.item_id) for o in items[:20])
        more = "…" if len(items) > 20 else ""
        messages.error(
            request,
            _("Refused (%(count)d): %(reason)s %(items)s%(more)s")
            % {"count": len(items), "reason": reason, "items": labels, "more": more},
        )
