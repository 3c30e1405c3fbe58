"""Sending, the fatigue rules, delivery, answering and closing the loop."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from rapport.channels.models import OutboxMessage
from rapport.core.errors import Conflict, Forbidden
from rapport.customers.models import Identity
from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import Interaction
from rapport.surveys import services
from rapport.surveys.models import (
    Question,
    SurveyCredit,
    SurveyResponse,
    SurveySend,
    SurveySettings,
    SurveyTemplate,
)
from rapport.surveys.services import AnswerInput, SurveyRefused
from rapport.surveys.tests.factories import SendFactory, template
from rapport.tickets.models import Ticket


def invitations():
    """Survey invitations queued in the outbox (they used to go out by send_mail)."""
    return list(OutboxMessage.objects.filter(source="survey_invitation").order_by("id"))


pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    c = CustomerFactory(name="王芳")
    Identity.objects.create(customer=c, kind="email", value="wangfang@example.com", is_primary=True)
    return c


def _send(by, customer, key="service_completed:WO1", **kwargs):
    return services.survey_send(
        template=template(),
        customer=customer,
        trigger=SurveySend.Trigger.SERVICE_COMPLETED,
        trigger_key=key,
        by=by,
        owner=kwargs.pop("owner", by),
        **kwargs,
    )


def test_send_queues_one_link_by_email_and_keeps_only_its_digest(
    agent, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send = _send(agent, customer, subject="保养后回访")
    send.refresh_from_db()
    assert send.status == SurveySend.Status.SENT
    assert send.token_digest and len(send.token_digest) == 64
    assert send.expires_at - send.sent_at == timedelta(days=14)
    assert len(invitations()) == 1
    message = invitations()[0]
    assert message.to_address == "wangfang@example.com"
    assert "/s/" in message.body and "王芳" in message.body
    token = message.body.split("/s/")[1].split("/")[0]
    assert SurveySend.digest(token) == send.token_digest  # only the digest is stored
    assert token not in str(SurveySend.objects.values().get(pk=send.pk))
    # The timeline entry is the outbox's, once it is sent (test_timeline.py); no account sends it here.
    assert send.interaction_id is None and not Interaction.objects.exists()
    assert list(SurveyCredit.objects.values_list("staff", "role")) == [(agent.pk, "owner")]


def test_the_email_is_in_the_customers_language(
    agent, customer, django_capture_on_commit_callbacks
):
    customer.language = "en"
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        _send(agent, customer)
    assert "Dear 王芳" in invitations()[0].body
    assert "How did we do?" in invitations()[0].subject


def test_delivery_is_idempotent(agent, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send = _send(agent, customer)
    assert services.survey_deliver(send_id=send.pk) is None
    assert len(invitations()) == 1
    assert Interaction.objects.count() == 0  # the outbox writes it when it sends


def test_a_customer_without_email_is_marked_undeliverable(
    agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send = _send(agent, CustomerFactory())
    send.refresh_from_db()
    assert send.status == SurveySend.Status.UNDELIVERABLE
    assert send.token_digest is None and not invitations()


def test_a_customer_with_only_a_mobile_is_invited_by_sms_in_one_line(
    agent, django_capture_on_commit_callbacks
):
    from rapport.channels.models import ChannelAccount

    ChannelAccount.objects.create(
        name="短信",
        kind="sms",
        address="10690000",
        provider="fake",
        default_team=agent.teams.first(),
    )
    mobile_only = CustomerFactory(name="赵磊", phone="13912345678")
    with django_capture_on_commit_callbacks(execute=True):
        send = _send(agent, mobile_only)
    send.refresh_from_db()
    assert send.status == SurveySend.Status.SENT
    (message,) = invitations()
    assert (message.channel, message.to_address) == ("sms", "+8613912345678")
    assert "赵磊" in message.body and "/s/" in message.body and "\n" not in message.body
    assert message.channel_reason  # the reason for the channel is kept for the timeline


def test_one_send_per_event(agent, customer):
    SurveySettings.current()
    _send(agent, customer, key="service_completed:WO7")
    SurveySettings.objects.update(fatigue_days=0)
    with pytest.raises(Conflict) as exc:
        _send(agent, customer, key="service_completed:WO7")
    assert exc.value.code == "already_sent"
    assert SurveySend.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("marketing_opt_out", "opted_out"),
        ("is_deceased", "deceased"),
        ("do_not_contact", "do_not_contact"),
    ],
)
def test_no_survey_to_opted_out_deceased_or_do_not_contact(agent, customer, field, code):
    setattr(customer, field, True)
    customer.save()
    with pytest.raises(SurveyRefused) as exc:
        _send(agent, customer)
    assert exc.value.code == code
    assert not SurveySend.objects.exists()


def test_fatigue_one_survey_per_customer_per_window(agent, customer):
    SurveySettings.current()
    SurveySettings.objects.update(fatigue_days=30)
    first = _send(agent, customer, key="service_completed:A")
    with pytest.raises(SurveyRefused) as exc:
        _send(agent, customer, key="service_completed:B")
    assert exc.value.code == "fatigue"
    SurveySend.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert _send(agent, customer, key="service_completed:C").pk


def test_an_undeliverable_send_does_not_count_for_fatigue(agent, customer):
    first = _send(agent, customer, key="service_completed:A")
    SurveySend.objects.filter(pk=first.pk).update(status=SurveySend.Status.UNDELIVERABLE)
    assert _send(agent, customer, key="service_completed:B").pk


def test_open_high_priority_complaint_stops_a_survey(agent, customer, monkeypatch):
    from rapport.surveys import selectors

    calls = []

    def has_complaint(*, customer_id, except_ticket_id=None):
        calls.append((customer_id, except_ticket_id))
        return True

    monkeypatch.setattr(selectors, "customer_has_open_high_priority_complaint", has_complaint)
    with pytest.raises(SurveyRefused) as exc:
        _send(agent, customer, ticket_id=41)
    assert exc.value.code == "open_complaint"
    assert calls == [(customer.pk, 41)]


def test_rules_are_checked_again_at_delivery(agent, customer, django_capture_on_commit_callbacks):
    send = _send(agent, customer)
    customer.is_deceased = True
    customer.save()
    assert services.survey_deliver(send_id=send.pk) is None
    send.refresh_from_db()
    assert send.status == SurveySend.Status.UNDELIVERABLE and not invitations()


def test_a_template_without_questions_cannot_be_sent(agent, customer):
    empty = SurveyTemplate.objects.create(
        code="empty", kind="custom", name_zh="空", name_en="Empty"
    )
    with pytest.raises(ValidationError) as exc:
        services.survey_send(
            template=empty, customer=customer, trigger="manual", trigger_key="manual:1", by=agent
        )
    assert "template" in exc.value.message_dict


def test_transfer_handlers_get_their_own_credit(agent, specialist, supervisor, customer):
    send = _send(agent, customer, transfer_handlers=[specialist, supervisor, specialist])
    assert sorted(send.credits.values_list("staff__username", "role")) == [
        ("agent", "owner"),
        ("specialist", "transfer"),
        ("supervisor", "transfer"),
    ]


def _answers(send, csat=5, solved=1, comment=""):
    qs = {q.code: q for q in send.template.questions.all()}
    out = [
        AnswerInput(question=qs["csat"], value=csat),
        AnswerInput(question=qs["solved"], value=solved),
    ]
    if comment:
        out.append(AnswerInput(question=qs["comment"], text=comment))
    return out


def test_an_answer_is_stored_once_and_can_be_edited_until_expiry(agent):
    send = SendFactory(owner=agent)
    services.survey_respond(send=send, answers=_answers(send, csat=4))
    response = services.survey_respond(send=send, answers=_answers(send, csat=5, comment="很好"))
    assert SurveyResponse.objects.count() == 1
    assert response.csat == 5 and response.edit_count == 1
    assert response.answers.count() == 3
    send.refresh_from_db()
    assert send.status == SurveySend.Status.ANSWERED


def test_an_expired_link_takes_no_answer(agent):
    send = SendFactory(owner=agent, expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(SurveyRefused) as exc:
        services.survey_respond(send=send, answers=_answers(send))
    assert exc.value.code == "expired"
    assert not SurveyResponse.objects.exists()


def test_out_of_range_and_missing_answers_are_refused_by_question(agent):
    send = SendFactory(owner=agent)
    csat = send.template.questions.get(code="csat")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.survey_respond(send=send, answers=[AnswerInput(question=csat, value=6)])
    assert exc.value.message_dict == {
        "csat": ["Choose a value from 1 to 5."],
        "solved": ["Please answer this question."],
    }
    assert not SurveyResponse.objects.exists()


def test_a_servqual_pair_needs_both_halves():
    send = SendFactory(template=template("servqual_22"))
    item = send.template.questions.filter(kind=Question.Kind.SERVQUAL).first()
    with pytest.raises(ValidationError) as exc:
        services.survey_respond(send=send, answers=[AnswerInput(question=item, value=5)])
    assert exc.value.message_dict[item.code] == ["这道题的两部分都请作答。"]


@pytest.mark.parametrize(
    ("csat", "solved", "follow_up"), [(2, 1, True), (3, 1, False), (5, 0, True)]
)
def test_a_low_score_or_not_solved_opens_one_follow_up_ticket_for_the_owner(
    agent, specialist, csat, solved, follow_up
):
    send = SendFactory(owner=agent, sent_by=specialist, subject="T000001 空调不制冷")
    response = services.survey_respond(
        send=send, answers=_answers(send, csat=csat, solved=solved, comment="等了两个小时")
    )
    assert response.needs_follow_up is follow_up
    if follow_up:
        ticket = Ticket.objects.get()
        assert ticket.first_responder == agent and ticket.assignee == agent
        assert ticket.customer == send.customer and ticket.kind == "complaint"
        assert response.follow_up_ticket == ticket
        assert "等了两个小时" in ticket.customer_words  # the answers are attached verbatim
        assert "T000001" in ticket.description
        services.survey_respond(send=send, answers=_answers(send, csat=1, solved=0))
        assert Ticket.objects.count() == 1  # editing never opens a second
    else:
        assert not Ticket.objects.exists()


def test_a_comment_with_html_still_opens_the_follow_up(agent):
    send = SendFactory(owner=agent)
    response = services.survey_respond(
        send=send, answers=_answers(send, csat=1, comment="<script>alert(1)</script>")
    )
    assert "HTML" in response.follow_up_ticket.customer_words
    assert "<script>" not in response.follow_up_ticket.customer_words


def test_the_answer_is_kept_when_no_follow_up_can_be_opened(agent):
    send = SendFactory(owner=agent, email=False)  # no phone or e-mail left to call back on
    response = services.survey_respond(send=send, answers=_answers(send, csat=1))
    assert response.pk and response.csat == 1 and response.needs_follow_up
    assert response.follow_up_ticket is None and not Ticket.objects.exists()


def test_the_threshold_is_configurable(agent):
    SurveySettings.current()
    SurveySettings.objects.update(low_csat=3)
    send = SendFactory(owner=agent)
    assert services.survey_respond(send=send, answers=_answers(send, csat=3)).needs_follow_up


def test_a_low_nps_opens_a_follow_up(agent):
    send = SendFactory(owner=agent, template=template("relationship_nps"))
    nps = send.template.questions.get(code="nps")
    response = services.survey_respond(send=send, answers=[AnswerInput(question=nps, value=6)])
    assert response.nps == 6 and response.needs_follow_up
    assert Ticket.objects.get().first_responder == agent


def test_campaign_sends_to_the_segment_and_counts_who_the_rules_skip(
    supervisor, django_capture_on_commit_callbacks
):
    vips = CustomerFactory.create_batch(3, tier="vip")
    vips[0].do_not_contact = True
    vips[0].save()
    CustomerFactory(tier="regular")
    segment = services.segment_create(by=supervisor, name="VIP 客户", tier="vip")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.survey_campaign_send(
            segment=segment, template=template("relationship_nps"), by=supervisor
        )
    assert result == {"sent": 2, "skipped": {"do_not_contact": 1}}
    assert set(SurveySend.objects.values_list("customer__tier", flat=True)) == {"vip"}
    again = services.survey_campaign_send(
        segment=segment, template=template("relationship_nps"), by=supervisor
    )
    assert again["sent"] == 0 and sum(again["skipped"].values()) == 3


def test_agents_may_not_run_campaigns(agent, supervisor):
    segment = services.segment_create(by=supervisor, name="全部")
    with pytest.raises(Forbidden):
        services.survey_campaign_send(segment=segment, template=template(), by=agent)
    with pytest.raises(Forbidden):
        services.segment_create(by=agent, name="x")
    assert not SurveySend.objects.exists()
