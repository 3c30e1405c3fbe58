import factory

from rapport.staff.models import Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"团队{n}")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    role = User.Role.REPRESENTATIVE
    password = factory.django.Password("rapport-test")

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.set(extracted)
