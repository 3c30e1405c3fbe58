import pytest

from rapport.core.models import AuditEntry
from rapport.customers.models import Customer
from rapport.customers.services import IdentityInput, customer_create


@pytest.fixture
def zhang(agent, team):
    return customer_create(
        by=agent,
        name="张伟",
        identities=[IdentityInput("phone", "13800138000")],
        service_team=team,
        id_number="110105198001011234",
    )


def test_list_searches_by_phone_digits_and_masks_numbers(agent, as_user, zhang):
    response = as_user(agent).get("/customers/", {"q": "0013"})
    body = response.content.decode()
    assert "张伟" in body
    assert "138****8000" in body
    assert "13800138000" not in body


def test_list_htmx_returns_only_the_results_partial(agent, as_user, zhang):
    response = as_user(agent).get("/customers/", {"q": "zw"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body


def test_list_query_count_does_not_grow_with_rows(agent, as_user, django_assert_max_num_queries):
    for n in range(30):
        customer_create(
            by=agent, name=f"客户{n}", identities=[IdentityInput("phone", f"1390000{n:04d}")]
        )
    client = as_user(agent)
    client.get("/customers/")  # warm the session
    with django_assert_max_num_queries(8):
        assert client.get("/customers/").status_code == 200


def test_create_points_to_existing_customer_on_duplicate_phone(agent, as_user, zhang):
    response = as_user(agent).post(
        "/customers/new/",
        {
            "name": "张伟二",
            "kind": "person",
            "tier": "regular",
            "lifecycle_stage": "new",
            "phone": "138 0013 8000",
            "language": "zh-hans",
            "lifetime_value": "0",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"/customers/{zhang.pk}/" in body
    assert Customer.objects.count() == 1


def test_create_with_bad_phone_names_the_field(agent, as_user):
    response = as_user(agent).post(
        "/customers/new/",
        {
            "name": "王芳",
            "kind": "person",
            "tier": "regular",
            "lifecycle_stage": "new",
            "phone": "12345",
            "language": "zh-hans",
            "lifetime_value": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert Customer.objects.count() == 0


def test_create_redirects_to_the_new_customer(agent, as_user):
    response = as_user(agent).post(
        "/customers/new/",
        {
            "name": "<script>alert(1)</script>",
            "kind": "person",
            "tier": "regular",
            "lifecycle_stage": "new",
            "phone": "13900001111",
            "language": "zh-hans",
            "lifetime_value": "0",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response.url == f"/customers/{customer.pk}/"
    page = as_user(agent).get(response.url).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_360_page_shows_profile_and_masks_id(agent, as_user, zhang, django_assert_max_num_queries):
    client = as_user(agent)
    client.get(f"/customers/{zhang.pk}/")
    with django_assert_max_num_queries(17):  # the phone panel's recent calls, the consent panel
        response = client.get(f"/customers/{zhang.pk}/")
    body = response.content.decode()
    assert "110***********1234" in body
    assert "110105198001011234" not in body


def test_360_of_unknown_customer_is_404(agent, as_user):
    assert as_user(agent).get("/customers/999999/").status_code == 404


def test_edit_in_place_with_htmx_returns_the_profile_partial(agent, as_user, zhang):
    client = as_user(agent)
    form = client.get(f"/customers/{zhang.pk}/edit/", headers={"HX-Request": "true"})
    assert 'id="profile"' in form.content.decode() and "<html" not in form.content.decode()
    response = client.post(
        f"/customers/{zhang.pk}/edit/",
        {
            "name": "张伟",
            "kind": "person",
            "tier": "vip",
            "lifecycle_stage": "active",
            "city": "杭州",
            "language": "zh-hans",
            "lifetime_value": "10",
        },
        headers={"HX-Request": "true"},
    )
    assert "杭州" in response.content.decode()
    zhang.refresh_from_db()
    assert (zhang.city, zhang.tier, zhang.id_number) == ("杭州", "vip", "110105198001011234")


def test_edit_without_javascript_redirects(agent, as_user, zhang):
    response = as_user(agent).post(
        f"/customers/{zhang.pk}/edit/",
        {
            "name": "张伟",
            "kind": "person",
            "tier": "regular",
            "lifecycle_stage": "lost",
            "churn_reason": "",
            "language": "zh-hans",
            "lifetime_value": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["churn_reason"]
    zhang.refresh_from_db()
    assert zhang.lifecycle_stage != "lost"


def test_other_team_representative_cannot_edit(other_team_agent, as_user, zhang):
    client = as_user(other_team_agent)
    assert client.get(f"/customers/{zhang.pk}/").status_code == 200
    assert client.post(f"/customers/{zhang.pk}/edit/", {"name": "x"}).status_code == 403
    zhang.refresh_from_db()
    assert zhang.name == "张伟"


def test_reveal_shows_numbers_and_is_audited(supervisor, as_user, zhang):
    response = as_user(supervisor).post(
        f"/customers/{zhang.pk}/reveal/",
        {"what": "identities", "reason": "contact"},
        headers={"HX-Request": "true"},
    )
    assert "138 0013 8000" in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_id) == (supervisor, "reveal", str(zhang.pk))


def test_representative_cannot_reveal(agent, as_user, zhang):
    assert (
        as_user(agent)
        .post(f"/customers/{zhang.pk}/reveal/", {"what": "identities", "reason": "contact"})
        .status_code
        == 403
    )
    assert not AuditEntry.objects.exists()


def test_identity_asset_contact_and_tags_forms(agent, as_user, zhang):
    client = as_user(agent)
    client.post(f"/customers/{zhang.pk}/identities/", {"kind": "email", "value": "ZW@qq.com"})
    client.post(f"/customers/{zhang.pk}/tags/", {"tags": "老客户，新能源车主, 老客户"})
    client.post(
        f"/customers/{zhang.pk}/assets/new/",
        {
            "kind": "vehicle",
            "name": "比亚迪 汉EV",
            "identifier": "LGXCE4CB5N0123456",
            "plate": "浙A·D12345",
        },
    )
    zhang.refresh_from_db()
    assert zhang.identities.filter(kind="email", value="zw@qq.com").exists()
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["新能源车主", "老客户"]
    assert zhang.assets.get().plate == "浙A·D12345"


def test_merge_page_merges_and_follows_old_link(supervisor, agent, as_user, zhang):
    dup = customer_create(
        by=agent, name="张伟(重复)", identities=[IdentityInput("phone", "13900001111")]
    )
    client = as_user(supervisor)
    preview = client.get(f"/customers/{zhang.pk}/merge/", {"duplicate": dup.pk})
    assert "张伟(重复)" in preview.content.decode()
    response = client.post(f"/customers/{zhang.pk}/merge/", {"duplicate": dup.pk, "confirm": "1"})
    assert response.status_code == 302
    assert client.get(f"/customers/{dup.pk}/").url == f"/customers/{zhang.pk}/"


def test_export_is_audited(manager, as_user, zhang):
    response = as_user(manager).get("/customers/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.get().action == "export"


def test_export_dates_a_customer_in_site_time(manager, as_user, agent):
    from datetime import UTC, datetime
    from io import BytesIO

    from openpyxl import load_workbook

    customer = customer_create(by=agent, name="凌晨建档", identities=[])
    # 2026-11-30 17:30 UTC is already 1 December 01:30 in Shanghai.
    Customer.objects.filter(pk=customer.pk).update(
        created_at=datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    )

    response = as_user(manager).get("/customers/export.xlsx")

    sheet = load_workbook(BytesIO(response.content)).active
    assert [row[-1].value for row in sheet.iter_rows(min_row=2)] == ["2026-12-01"]


def test_audit_log_page_for_admins(admin_user, supervisor, as_user, zhang):
    as_user(supervisor).post(
        f"/customers/{zhang.pk}/reveal/", {"what": "id_number", "reason": "verify"}
    )
    body = as_user(admin_user).get("/audit/").content.decode()
    assert "张伟" in body


def test_export_does_not_turn_a_customer_name_into_a_formula(manager, as_user, agent):
    from io import BytesIO

    from openpyxl import load_workbook

    customer_create(by=agent, name='=HYPERLINK("http://evil.example","点我")', identities=[])

    response = as_user(manager).get("/customers/export.xlsx")

    sheet = load_workbook(BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in names] == [
        ('\'=HYPERLINK("http://evil.example","点我")', "s")
    ]
