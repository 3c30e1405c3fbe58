"""Search everywhere (全局搜索): one box finds customers, tickets, vehicles and other assets.

Each group is one bounded, indexed query:
- customers: the customer list's own search (name, pinyin, phone digits, e-mail, WeChat id);
- tickets: by number (T000256 or 256) through the primary key, the tickets of the customers
  found above (ticket_customer index), and by subject through a trigram index (tickets 0008);
- assets: plate, VIN, policy or contract number by prefix of a stored normalised key
  (customers.Asset.plate_key / identifier_key), so 粤B·D2507, 粤b d2507 and 粤BD2507 match.
"""

import re
from dataclasses import dataclass, field

from rapport.core.bounds import control_character_message
from rapport.core.search import SUBSTRING_MIN, substring_q
from rapport.customers.models import Asset, Customer, asset_search_key
from rapport.customers.selectors import customer_list
from rapport.staff.models import User
from rapport.tickets.models import Ticket
from rapport.tickets.selectors import ticket_visible_qs

GROUP_SIZE = 8
MAX_QUERY = 100
_NUMBER = re.compile(r"^[Tt]?0*(\d{1,12})$")


@dataclass
class SearchResults:
    q: str
    customers: list[Customer] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.customers or self.tickets or self.assets)


def _tickets(staff: User, term: str, customer_ids: list[int]) -> list[Ticket]:
    visible = ticket_visible_qs(staff=staff).select_related("customer")
    found: dict[int, Ticket] = {}
    number = _NUMBER.match(term.replace(" ", ""))
    if number:
        found.update((t.pk, t) for t in visible.filter(pk=int(number.group(1))))
    if customer_ids:
        for t in visible.filter(customer_id__in=customer_ids).order_by("-is_open", "-id")[
            :GROUP_SIZE
        ]:
            found.setdefault(t.pk, t)
    # Subjects through the trigram index (three characters or more; shorter terms would read
    # every ticket, and a two-character word is better found through its customer).
    if len(found) < GROUP_SIZE and not number and len(term) >= SUBSTRING_MIN:
        by_subject = substring_q(column="subject", fts_table="tickets_ticket_fts", term=term)
        for t in visible.filter(by_subject).order_by("-id")[:GROUP_SIZE]:
            found.setdefault(t.pk, t)
    return list(found.values())[:GROUP_SIZE]


def _assets(staff: User, term: str) -> list[Asset]:
    if not staff.can("customers.view"):
        return []
    key = asset_search_key(term)
    if len(key) < 3:
        return []
    end = key + "\U0010ffff"
    # Two index range scans: an OR across two columns would read the whole table on SQLite.
    by_plate = Asset.objects.filter(plate_key__gte=key, plate_key__lt=end)
    by_identifier = Asset.objects.filter(identifier_key__gte=key, identifier_key__lt=end)
    ids = list(by_plate.values_list("pk", flat=True)[:GROUP_SIZE]) + list(
        by_identifier.values_list("pk", flat=True)[:GROUP_SIZE]
    )
    if not ids:
        return []
    return list(
        Asset.objects.filter(pk__in=ids, customer__merged_into__isnull=True)
        .select_related("customer")
        .order_by("kind", "plate_key", "identifier_key")[:GROUP_SIZE]
    )


def search_everywhere(*, staff: User, q: str) -> SearchResults:
    """The grouped results for `q` that `staff` may see: at most GROUP_SIZE per group."""
    term = " ".join((q or "").split())[:MAX_QUERY]
    if control_character_message(term):
        term = ""  # nothing anyone typed: answered as an empty search, not refused
    results = SearchResults(q=term)
    if not term:
        return results
    results.customers = list(customer_list(staff=staff, q=term)[:GROUP_SIZE])
    if staff.can("tickets.view"):
        results.tickets = _tickets(staff, term, [c.pk for c in results.customers])
    results.assets = _assets(staff, term)
    return results


__all__ = ["GROUP_SIZE", "SearchResults", "search_everywhere"]
