from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rapport.core.errors import DomainError, Forbidden
from rapport.core.models import AuditEntry
from rapport.customers.errors import DuplicateIdentity
from rapport.customers.models import Asset, Contact, Customer, CustomerMerge, Identity, Tag
from rapport.customers.selectors import customer_find_by_identity, customer_list
from rapport.customers.services import (
    IdentityInput,
    asset_create,
    contact_create,
    customer_create,
    customer_merge,
    customer_reveal,
    customer_update,
    identity_add,
    identity_remove,
    tag_get_or_create,
)


def make(by, name="张伟", phone="13800138000", **fields):
    identities = [IdentityInput("phone", phone)] if phone else []
    return customer_create(by=by, name=name, identities=identities, **fields)


def test_create_normalises_identities(agent):
    customer = customer_create(
        by=agent,
        name=" 李娜 ",
        identities=[
            IdentityInput("phone", "+86 139-1234-5678"),
            IdentityInput("email", "Li.Na@QQ.com"),
            IdentityInput("wechat", "LiNa_2020"),
        ],
    )
    assert customer.name == "李娜"
    assert set(customer.identities.values_list("kind", "value", "is_primary")) == {
        ("phone", "+8613912345678", True),
        ("email", "li.na@qq.com", True),
        ("wechat", "lina_2020", True),
    }


def test_duplicate_phone_names_the_existing_customer_and_creates_nothing(agent):
    existing = make(agent)
    with pytest.raises(DuplicateIdentity) as exc:
        make(agent, name="张伟2", phone="138-0013-8000")
    assert exc.value.existing_customer_id == existing.pk
    assert "张伟" in exc.value.message
    assert Customer.objects.count() == 1


def test_invalid_second_identity_leaves_nothing_half_written(agent):
    with pytest.raises(ValidationError) as exc:
        customer_create(
            by=agent,
            name="王芳",
            identities=[IdentityInput("phone", "13800138000"), IdentityInput("email", "not-mail")],
        )
    assert "email" in exc.value.message_dict
    assert Customer.objects.count() == 0
    assert Identity.objects.count() == 0


def test_overlong_name_is_refused_with_the_limit(agent):
    with pytest.raises(ValidationError) as exc:
        make(agent, name="长" * 101)
    assert "100" in exc.value.message_dict["name"][0]


def test_lost_customer_needs_a_churn_reason(agent):
    customer = make(agent)
    with pytest.raises(ValidationError) as exc:
        customer_update(customer=customer, by=agent, lifecycle_stage="lost")
    assert exc.value.message_dict
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "active" or customer.lifecycle_stage == "new"
    customer_update(customer=customer, by=agent, lifecycle_stage="lost", churn_reason="competition")
    customer.refresh_from_db()
    assert (customer.lifecycle_stage, customer.churn_reason) == ("lost", "competition")


def test_leaving_lost_clears_the_churn_reason(agent):
    customer = make(agent, lifecycle_stage="lost", churn_reason="moved_away")
    customer_update(customer=customer, by=agent, lifecycle_stage="active")
    customer.refresh_from_db()
    assert customer.churn_reason == ""


def test_representative_edits_only_own_team_customers(agent, other_team_agent, team, other_team):
    mine = make(agent, service_team=team)
    theirs = make(agent, name="赵六", phone="13900001111", service_team=other_team)
    customer_update(customer=mine, by=agent, city="北京")
    with pytest.raises(Forbidden):
        customer_update(customer=theirs, by=agent, city="北京")
    theirs.refresh_from_db()
    assert theirs.city == ""


def test_identity_add_remove_keeps_one_primary(agent):
    customer = make(agent)
    second = identity_add(customer=customer, by=agent, kind="phone", value="13900001111")
    assert not second.is_primary
    first = customer.identities.get(is_primary=True)
    identity_remove(identity=first, by=agent)
    assert customer.identities.get().is_primary
    assert "13900001111" in Customer.objects.get().search_text


def test_asset_rules(agent):
    customer = make(agent)
    asset = asset_create(
        customer=customer,
        by=agent,
        kind="vehicle",
        name="大众 帕萨特",
        identifier="lsvaa4182e2345678",
        plate="京a12345",
        mileage_km=1000,
    )
    assert asset.identifier == "LSVAA4182E2345678"
    assert asset.plate == "京A12345"
    with pytest.raises(ValidationError) as exc:
        asset_create(
            customer=customer, by=agent, kind="vehicle", name="x", identifier="LSVAA4182E2345678"
        )
    assert "identifier" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        asset_create(
            customer=customer, by=agent, kind="vehicle", name="x", identifier="IOQ12345678901234"
        )
    assert "identifier" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        asset_create(customer=customer, by=agent, kind="vehicle", name="x", plate="ABC123")
    assert "plate" in exc.value.message_dict
    assert Asset.objects.count() == 1


def test_contacts_only_for_organisations(agent):
    person = make(agent)
    with pytest.raises(DomainError):
        contact_create(organisation=person, by=agent, name="某人")
    org = make(agent, name="华联超市有限公司", phone="01065529988", kind="organisation")
    contact_create(organisation=org, by=agent, name="钱经理", title="采购经理")
    assert "钱经理" in Customer.objects.get(pk=org.pk).search_text


def test_merge_moves_everything_and_is_recorded(agent, supervisor):
    survivor = make(agent, name="张伟", phone="13800138000")
    duplicate = make(
        agent,
        name="张伟(重复)",
        phone="13900001111",
        marketing_opt_out=True,
        tier="vip",
        lifetime_value=Decimal("100.50"),
        city="上海",
    )
    identity_add(customer=duplicate, by=agent, kind="email", value="zw@qq.com")
    asset_create(customer=duplicate, by=agent, kind="policy", name="交强险", identifier="P1")
    duplicate.tags.add(tag_get_or_create(name="老客户"))
    survivor.tags.add(tag_get_or_create(name="老客户"))

    result = customer_merge(survivor=survivor, duplicate=duplicate, by=supervisor)

    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert set(survivor.identities.values_list("value", flat=True)) == {
        "+8613800138000",
        "+8613900001111",
        "zw@qq.com",
    }
    assert survivor.assets.get().identifier == "P1"
    assert list(survivor.tags.values_list("name", flat=True)) == ["老客户"]
    assert survivor.marketing_opt_out is True  # the safer consent wins
    assert survivor.tier == "vip"
    assert survivor.city == "上海"
    assert survivor.lifetime_value == Decimal("100.50")
    assert result.moved["customers.identity"] == 2
    record = CustomerMerge.objects.get()
    assert (record.merged_by, record.snapshot["name"]) == (supervisor, "张伟(重复)")
    assert AuditEntry.objects.get(action="merge").actor == supervisor
    # An inbound contact on the duplicate's old number finds the survivor.
    assert customer_find_by_identity(kind="phone", raw="13900001111") == survivor
    assert list(customer_list(staff=agent)) == [survivor]


def test_merge_refusals_change_nothing(agent, supervisor):
    a = make(agent)
    b = make(agent, name="李四", phone="13900001111")
    with pytest.raises(Forbidden):
        customer_merge(survivor=a, duplicate=b, by=agent)
    with pytest.raises(DomainError):
        customer_merge(survivor=a, duplicate=a, by=supervisor)
    customer_merge(survivor=a, duplicate=b, by=supervisor)
    with pytest.raises(DomainError):
        customer_merge(survivor=b, duplicate=a, by=supervisor)
    assert CustomerMerge.objects.count() == 1


def test_reveal_writes_an_audit_record_and_needs_the_right(agent, supervisor, rf):
    customer = make(agent, id_number="110105198001011234")
    with pytest.raises(Forbidden):
        customer_reveal(customer=customer, by=agent, what="identities", reason="verify")
    request = rf.post("/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="pytest")
    values = customer_reveal(
        customer=customer, by=supervisor, what="id_number", reason="complaint", request=request
    )
    assert values == {"id_number": "110105198001011234"}
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_id, entry.ip_address) == (
        supervisor,
        "reveal",
        str(customer.pk),
        "10.1.2.3",
    )


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("张伟", True),
        ("zw", True),
        ("zhangwei", True),
        ("0013", True),
        ("138 0013 8000", True),
        ("+86 13800138000", True),
        ("zw@qq", True),
        ("李", False),
        ("9999", False),
    ],
)
def test_search(agent, q, found):
    customer = make(agent)
    identity_add(customer=customer, by=agent, kind="email", value="zw@qq.com")
    make(agent, name="王芳", phone="13900001111")
    result = list(customer_list(staff=agent, q=q))
    assert (customer in result) is found


def test_filters_by_tier_stage_and_tag(agent):
    vip = make(agent, tier="vip", lifecycle_stage="active")
    make(agent, name="王芳", phone="13900001111", tier="regular", lifecycle_stage="at_risk")
    vip.tags.add(tag_get_or_create(name="新能源车主"))
    assert list(customer_list(staff=agent, tier="vip")) == [vip]
    assert [c.name for c in customer_list(staff=agent, stage="at_risk")] == ["王芳"]
    assert list(customer_list(staff=agent, tag="新能源车主")) == [vip]
    assert Tag.objects.count() == 1


def test_find_by_identity_unknown_or_invalid_is_none(agent):
    make(agent)
    assert customer_find_by_identity(kind="phone", raw="13900001111") is None
    assert customer_find_by_identity(kind="phone", raw="garbage") is None
    assert customer_find_by_identity(kind="phone", raw="+86 138 0013 8000").name == "张伟"


def test_contact_identity_belongs_to_the_organisation(agent):
    org = make(agent, name="华联超市有限公司", phone="01065529988", kind="organisation")
    other = make(agent, name="别家公司", phone="01065529989", kind="organisation")
    contact = Contact.objects.create(organisation=other, name="x")
    with pytest.raises(DomainError):
        identity_add(customer=org, by=agent, kind="phone", value="13900001111", contact=contact)


@pytest.mark.parametrize("q", ['a"b"c', "%%%", "___", "'; drop", '张"伟'])
def test_search_with_special_characters_matches_nothing_and_never_fails(agent, q):
    make(agent)
    assert list(customer_list(staff=agent, q=q)) == []


def test_short_terms_match_the_start_of_name_pinyin_or_initials(agent):
    zhang = make(agent)
    wang = make(agent, name="王张", phone="13900001111")
    assert list(customer_list(staff=agent, q="张")) == [zhang]
    assert list(customer_list(staff=agent, q="wz")) == [wang]
    assert set(customer_list(staff=agent, q="zh")) == {zhang}  # zhangwei; wangzhang starts with w


def test_possible_duplicates_share_the_name_or_its_pinyin(agent):
    from rapport.customers.selectors import customer_possible_duplicates

    zhang = make(agent)
    same_sound = make(agent, name="章伟", phone="13900001111")
    make(agent, name="王芳", phone="13900002222")
    assert customer_possible_duplicates(customer=zhang) == [same_sound]


def test_reveal_audit_records_the_peer_not_a_forged_forwarded_for(supervisor, rf, settings):
    settings.TRUSTED_PROXIES = []
    customer = make(supervisor, id_number="110105198001011234")
    request = rf.post("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="8.8.8.8")

    customer_reveal(
        customer=customer, by=supervisor, what="id_number", reason="complaint", request=request
    )

    assert AuditEntry.objects.get().ip_address == "10.1.2.3"
