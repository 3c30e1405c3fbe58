from datetime import timedelta

import factory
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    Interaction,
    Purpose,
    Transfer,
)
from rapport.staff.tests.factories import StaffFactory


def purpose(code: str = "information") -> Purpose:
    """Purposes are seeded by a data migration."""
    return Purpose.objects.get(code=code)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = Interaction.Channel.PHONE
    direction = Interaction.Direction.INBOUND
    staff = factory.SubFactory(StaffFactory)
    first_responder = factory.SelfAttribute("staff")
    handler = factory.SelfAttribute("staff")
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    created_at = factory.SelfAttribute("started_at")
    duration_seconds = 120
    purpose = factory.LazyFunction(purpose)
    summary = factory.Sequence(lambda n: f"客户来电咨询保养事宜 {n}")


class FollowUpTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpTask

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"回访客户 {n}")
    assignee = factory.SubFactory(StaffFactory)
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    created_by = factory.SelfAttribute("assignee")


class TransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transfer

    interaction = factory.SubFactory(InteractionFactory)
    customer = factory.SelfAttribute("interaction.customer")
    from_staff = factory.SelfAttribute("interaction.staff")
    to_staff = factory.SubFactory(StaffFactory)
    kind = Transfer.Kind.TO_SPECIALIST
    reason = "需要技术支持"
    at = factory.LazyFunction(timezone.now)


class StatusIntervalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentStatusInterval

    staff = factory.SubFactory(StaffFactory)
    status = AgentStatusInterval.Status.AVAILABLE
    seconds = factory.LazyAttribute(
        lambda o: int((o.ended_at - o.started_at).total_seconds()) if o.ended_at else None
    )
