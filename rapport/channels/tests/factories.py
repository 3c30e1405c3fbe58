import factory

from rapport.channels.models import ChannelAccount
from rapport.staff.tests.factories import TeamFactory


class ChannelAccountFactory(factory.django.DjangoModelFactory):
    """An e-mail account on the fake provider (nothing leaves the machine)."""

    class Meta:
        model = ChannelAccount
        django_get_or_create = ["name"]

    kind = ChannelAccount.Kind.EMAIL
    name = factory.Sequence(lambda n: f"客服邮箱{n}")
    address = factory.Sequence(lambda n: f"service{n}@rapport.example")
    default_team = factory.SubFactory(TeamFactory)
    provider = ChannelAccount.Provider.FAKE
    is_default = True
