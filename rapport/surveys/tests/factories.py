from datetime import timedelta

import factory
from django.utils import timezone

from rapport.customers.models import Identity
from rapport.customers.tests.factories import CustomerFactory
from rapport.staff.tests.factories import StaffFactory
from rapport.surveys.models import SurveySend, SurveyTemplate


def template(code: str = "post_ticket_csat") -> SurveyTemplate:
    """Ready templates are shipped by a data migration."""
    return SurveyTemplate.objects.get(code=code)


class SendFactory(factory.django.DjangoModelFactory):
    """A delivered send; pass `token=` to give it a link (only the digest is stored)."""

    class Meta:
        model = SurveySend
        skip_postgeneration_save = True

    template = factory.LazyFunction(template)
    customer = factory.SubFactory(CustomerFactory)
    trigger = SurveySend.Trigger.SERVICE_COMPLETED
    trigger_key = factory.Sequence(lambda n: f"service_completed:WO{n:06d}")
    owner = factory.SubFactory(StaffFactory)
    sent_by = factory.SelfAttribute("owner")
    status = SurveySend.Status.SENT
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))

    @factory.post_generation
    def email(self, create, extracted, **kwargs):
        """The customer has the e-mail address the survey went to (pass email=False for none)."""
        if create and extracted is not False:
            Identity.objects.get_or_create(
                customer=self.customer,
                kind=Identity.Kind.EMAIL,
                defaults={"value": f"customer{self.customer_id}@example.com"},
            )

    @factory.post_generation
    def token(self, create, extracted, **kwargs):
        if extracted:
            self.token_digest = SurveySend.digest(extracted)
            if create:
                self.save(update_fields=["token_digest"])
