import importlib
from datetime import timedelta

import factory
from django.apps import apps
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import Purpose
from rapport.tickets import services
from rapport.tickets.models import Ticket, TicketType


def ensure_seed_data() -> None:
    """Types, priority rules and purposes come from data migrations; a transactional test that
    ran earlier in the same worker may have flushed them."""
    if TicketType.objects.exists() and Purpose.objects.exists():
        return
    for module in (
        "rapport.tickets.migrations.0002_types_priority_settings",
        "rapport.interactions.migrations.0002_purposes_seed",
    ):
        importlib.import_module(module).seed(apps, None)


def ticket_type(code: str = "product_quality") -> TicketType:
    """Types are seeded by a data migration."""
    ensure_seed_data()
    return TicketType.objects.get(code=code)


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as intake leaves it; use `open_ticket` to go through the service."""

    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    source = Ticket.Source.STAFF
    subject = factory.Sequence(lambda n: f"空调不制冷 {n}")
    description = "客户反映空调不制冷"
    customer_words = "我的车空调一点都不凉,上周刚修过!"
    contact_name = "张先生"
    contact_phone = "+8613800138000"
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    occurred_where = "北京朝阳店"


def intake(**overrides) -> dict:
    data = {
        "description": "客户反映空调不制冷,上周刚在我店维修过。",
        "customer_words": "我的车空调一点都不凉,上周刚修过!  你们怎么修的?",
        "contact_name": "张先生",
        "contact_phone": "13800138000",
        "occurred_at": timezone.now() - timedelta(days=1),
        "occurred_where": "北京朝阳店",
    }
    data.update(overrides)
    return data


def open_ticket(by, customer=None, **overrides) -> Ticket:
    ensure_seed_data()
    customer = customer or CustomerFactory()
    return services.ticket_create(by=by, customer=customer, **intake(**overrides))


def in_progress(by, customer=None, **overrides) -> Ticket:
    ticket = open_ticket(by, customer, **overrides)
    ticket = services.ticket_transition(
        ticket=ticket, by=by, action="classify", ticket_type=ticket_type(), impact="normal"
    )
    return services.ticket_transition(ticket=ticket, by=by, action="start")


def resolved(by, customer=None, **overrides) -> Ticket:
    ticket = in_progress(by, customer, **overrides)
    remedy = services.remedy_offer(
        ticket=ticket, by=by, kind="apology", description="致歉并免费复检"
    )
    services.remedy_choose(remedy=remedy, by=by)
    return services.ticket_transition(
        ticket=ticket, by=by, action="resolve", resolution="更换冷凝器,复检正常"
    )
