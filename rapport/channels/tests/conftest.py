import pytest

from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.customers.services import IdentityInput, customer_create


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Raw mail and attachments go to a throwaway directory, not var/media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def account(team):
    return ChannelAccountFactory(
        name="售后邮箱", address="service@rapport.example", default_team=team
    )


@pytest.fixture
def customer(db):
    return customer_create(
        by=None,
        name="张伟",
        identities=[
            IdentityInput("email", "zhangwei@qq.com"),
            IdentityInput("phone", "13800138000"),
        ],
    )
