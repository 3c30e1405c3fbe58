"""Bench scenarios of the workspace: search everywhere, and one bulk action on 100 tickets."""

from rapport.customers.models import Asset
from rapport.tickets.models import Ticket


def bench_context(ctx: dict) -> dict:
    """A plate as people type it (lower case, a space for the dot) and 100 open tickets."""
    plate = (
        Asset.objects.exclude(plate="").order_by("id").values_list("plate", flat=True).first()
        or "粤B·D2507"
    )
    ids = list(
        Ticket.objects.filter(is_open=True).order_by("-id").values_list("id", flat=True)[:100]
    )
    return {
        "search_plate": plate.replace("·", " ").lower(),
        "bulk_ticket_ids": ids,
        "bulk_ticket_number": f"T{ids[0]:06d}" if ids else "T000001",
    }


def benchmarks() -> list:
    from urllib.parse import quote

    from rapport.demo.benchmarks import Scenario

    def search(key: str):
        return lambda c: f"/search/?q={quote(str(c[key]))}"

    return [
        Scenario("Search everywhere, a customer's name", "GET", search("search_name")),
        Scenario("Search everywhere, phone digits", "GET", search("search_digits")),
        Scenario("Search everywhere, a plate typed loosely", "GET", search("search_plate")),
        Scenario("Search everywhere, a ticket number", "GET", search("bulk_ticket_number")),
        Scenario(
            "Search everywhere, the header dropdown (htmx)",
            "GET",
            search("search_name"),
            htmx=True,
        ),
        Scenario(
            "Bulk action: a note on 100 tickets",
            "POST",
            lambda c: "/tickets/bulk/",
            htmx=True,
            body=lambda c, i: {
                "action": "note",
                "ids": c["bulk_ticket_ids"],
                "body": f"批量回访 {i}",
            },
            target_ms=3000,
            notes="100 tickets, each through ticket_note in its own savepoint",
        ),
    ]
