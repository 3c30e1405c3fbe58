"""The price list (维修价格表) kept in the admin, with the price list's own rule."""

from decimal import Decimal

import pytest
from django.urls import reverse

from rapport.appointments.models import PriceItem

pytestmark = pytest.mark.django_db


def _item(**changes) -> dict:
    return {
        "code": "oil",
        "name": "更换机油机滤",
        "kind": "labour",
        "price": "380",
        "minutes": "30",
        "is_active": "on",
        **changes,
    }


@pytest.mark.parametrize(
    ("price", "message"),
    [("-1", "价格不能为负"), ("250000", "¥250,000.00"), ("abc", "")],
)
def test_a_negative_or_absurd_price_is_refused_on_its_field_and_nothing_is_saved(
    admin_user, as_user, price, message
):
    response = as_user(admin_user).post(
        reverse("admin:appointments_priceitem_add"), _item(price=price)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"price"} and message in " ".join(errors["price"])
    assert not PriceItem.objects.exists()


def test_a_price_list_line_is_saved_to_the_fen(admin_user, as_user):
    response = as_user(admin_user).post(
        reverse("admin:appointments_priceitem_add"), _item(price="99.5")
    )

    assert response.status_code == 302
    assert PriceItem.objects.get().price == Decimal("99.50")
