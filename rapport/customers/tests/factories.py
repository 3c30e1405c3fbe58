import factory

from rapport.customers.models import Asset, Customer, Identity


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer row; use customers.services.customer_create when identities matter."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"客户{n}")
    tier = Customer.Tier.REGULAR
    lifecycle_stage = Customer.Stage.ACTIVE

    @factory.post_generation
    def phone(self, create, extracted, **kwargs):
        if create and extracted:
            from rapport.customers.identities import normalize_identity
            from rapport.customers.services import customer_refresh_search_text

            Identity.objects.create(
                customer=self,
                kind="phone",
                value=normalize_identity("phone", extracted),
                is_primary=True,
            )
            customer_refresh_search_text(customer=self)


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    customer = factory.SubFactory(CustomerFactory)
    kind = Asset.Kind.VEHICLE
    name = "大众 帕萨特"
    identifier = factory.Sequence(lambda n: f"LSVAA{n:012d}")
    plate = factory.Sequence(lambda n: f"京A{n % 100000:05d}")
    mileage_km = 12000
