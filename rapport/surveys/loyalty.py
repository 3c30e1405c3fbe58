"""What satisfaction beside loyalty counts, written once for the live computation, the rollup and
the hooks that keep the rollup current (rapport.surveys.rollup_hooks).

For each answer: its band (what the customer said: CSAT 4–5, 3, 1–2; where no CSAT, NPS
promoters, passives, detractors), the customer's lifecycle stage and churn reason now, and
whether the customer came back after answering. Until appointments and sales exist, "came
back" is read from what is recorded: a later inbound contact to book or get service
(RETURN_PURPOSES), or a later asset (a purchase)."""

from django.db.models import Case, Exists, OuterRef, Q, Value, When

from rapport.customers.models import Asset
from rapport.interactions.models import Interaction, Purpose

SATISFIED, NEUTRAL, DISSATISFIED = "satisfied", "neutral", "dissatisfied"
BANDS = (SATISFIED, NEUTRAL, DISSATISFIED)
RETURN_PURPOSES = ("appointment", "after_sales")

# On SurveyResponse: the answer's band ("" for an answer without CSAT and NPS).
BAND = Case(
    When(csat__gte=4, then=Value(SATISFIED)),
    When(csat=3, then=Value(NEUTRAL)),
    When(csat__lte=2, then=Value(DISSATISFIED)),
    When(nps__gte=9, then=Value(SATISFIED)),
    When(nps__gte=7, then=Value(NEUTRAL)),
    When(nps__isnull=False, then=Value(DISSATISFIED)),
    default=Value(""),
)
HAS_BAND = Q(csat__isnull=False) | Q(nps__isnull=False)


def return_contacts():
    """Inbound contacts with a return purpose, any customer."""
    return Interaction.objects.filter(
        direction=Interaction.Direction.INBOUND,
        # a non-correlated subquery: evaluated once, not joined on every probe
        purpose_id__in=Purpose.objects.filter(code__in=RETURN_PURPOSES).values("pk"),
    )


def came_back(*, customer: str, after: str, contacts=None, assets=None) -> Q:
    """Whether the customer (an outer reference) came back after the instant `after` (another):
    a return contact or an asset recorded later. `contacts` and `assets` narrow the rows
    looked at (a hook leaves out the row it is announcing)."""
    contacts = return_contacts() if contacts is None else contacts
    assets = Asset.objects.all() if assets is None else assets
    later_contact = contacts.filter(customer_id=OuterRef(customer), started_at__gt=OuterRef(after))
    later_purchase = assets.filter(customer_id=OuterRef(customer), created_at__gt=OuterRef(after))
    return Exists(later_contact) | Exists(later_purchase)


def is_return_contact(interaction: Interaction) -> bool:
    """Without a query: the purpose is the one the contact was recorded with."""
    return (
        interaction.direction == Interaction.Direction.INBOUND
        and interaction.purpose.code in RETURN_PURPOSES
    )
