from rapport.customers.models import Customer
from rapport.customers.services import IdentityInput, customer_create


def test_create_customer_finds_it_by_phone_suffix(agent, as_user):
    customer_create(by=agent, name="张伟", identities=[IdentityInput("phone", "138 0013 8000")])

    response = as_user(agent).get("/customers/", {"q": "8000"})

    assert response.status_code == 200
    assert "张伟" in response.content.decode()
    assert Customer.objects.get().search_text.startswith("张伟|zhangwei|zw|13800138000")
