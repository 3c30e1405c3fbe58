"""Every page and every API operation, walked as a representative of another team, with the ids
of team A's objects: what belongs to a team answers 404 or 403 and nothing of it shows.

The pages come from the URL conf and the operations from the OpenAPI schema, so a new endpoint
is walked without a test written for it. A new path parameter must be named in PARAMS (which
object's id to put there) and a new write on a team's object needs a body in BODIES (a valid
one, so the refusal cannot hide behind a validation error); the walk fails until it is.

What is legitimately shared across teams is listed, with the reason, in CROSS_TEAM. Customer
files and their contacts are company-wide (customers.selectors.customer_visible_qs,
interactions.selectors.interaction_qs); tickets, tasks, SLA alerts and surveys are scoped to
teams (tickets.selectors, interactions.selectors.task_qs, sla, surveys.selectors).
"""

import json
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from rapport.api.api import api
from rapport.customers.tests.factories import AssetFactory, CustomerFactory
from rapport.interactions.tests.factories import FollowUpTaskFactory, InteractionFactory
from rapport.notifications.models import Notification
from rapport.notifications.services import notify
from rapport.sla.models import ServiceClock, SlaAlert
from rapport.surveys.tests.factories import SendFactory
from rapport.tickets import services as ticket_services
from rapport.tickets.models import TicketAttachment
from rapport.tickets.services.saved_views import saved_view_save
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db

# Text that exists only in team A's scoped objects: none of it may reach the other team.
SECRETS = {
    "subject": "甲组机密投诉主题",
    "customer_words": "甲组客户原话机密内容",
    "remedy": "甲组补救方案机密",
    "improvement": "甲组改进措施机密",
    "task": "甲组交办事项机密",
    "survey": "甲组回访主题机密",
    "attachment": "jia-secret-scan.pdf",
    "mail_subject": "甲组客户来信机密主题",
    "mail_body": "甲组客户来信机密正文",
    "mail_attachment": "jia-secret-invoice.pdf",
    "reply": "甲组回复客户机密内容",
    "notification": "甲组通知机密",
}

# Path parameter → (key of the id in the world, whether the object belongs to a team).
PARAMS = {
    "customer_id": ("customer", False),
    "identity_id": ("identity", False),
    "asset_id": ("asset", False),
    "interaction_id": ("interaction", False),
    "calendar_id": ("calendar", False),
    "template_id": ("template", False),
    "day": ("day", False),
    "chart": ("chart", False),
    "fmt": ("fmt", False),
    "action": ("action", False),
    "figure": ("figure", False),
    "token": ("token", False),
    "ticket_id": ("ticket", True),
    "remedy_id": ("remedy", True),
    "improvement_id": ("improvement", True),
    "attachment_id": ("attachment", True),
    "task_id": ("task", True),
    "alert_id": ("alert", True),
    "send_id": ("send", True),
    # Messaging (issue 9, rapport.channels): a conversation of team A's inbox, its inbound
    # message and attachment, the reply queued in the outbox, the quarantined mail.
    "conversation_id": ("conversation", True),
    "message_id": ("message", True),
    "outbox_id": ("outbox", True),
    # Administrators only (messaging.admin): refused to every representative by capability.
    "inbound_id": ("inbound", True),
    "account_id": ("account", True),
    # A call that rang at team A's representative (rapport.channels.phone): its banner, its
    # "new customer" form and the demo's simulation steps are theirs (or administrators').
    "call_id": ("call", True),
    # A WeChat binding code made for team A's customer; only administrators simulate its scan.
    "invite_id": ("binding_invite", True),
    # Message templates are the company's wording, readable by everyone in the inbox.
    "code": ("code", False),
    # What team A's representative is told (rapport.notifications): only ever their own.
    "notification_id": ("notification", True),
    # Knowledge articles are the company's, read by every member of staff (rapport.knowledge).
    "article_id": ("article", False),
    # Care programs, their runs and segments are the company's (rapport.care): representatives
    # read programs and runs (care.work), only leads change them or read segments.
    "program_id": ("program", False),
    "run_id": ("run", False),
    "segment_id": ("segment", False),
    "verb": ("verb", False),
    # A queue view saved by team A's representative for themself (tickets.SavedView).
    "view_id": ("saved_view", True),
    # Appointments follow the customer file (rapport.appointments): company-wide, like it.
    "appointment_id": ("appointment", False),
    "work_order_id": ("work_order", False),
    "step": ("step", False),
}

# The same parameter name meaning another object on one page.
PARAMS_ON = {
    "/inbox/attachments/{attachment_id}/": {"attachment_id": "message_attachment"},
}

# Shared across teams on purpose; the walk still checks that no secret shows on them.
CROSS_TEAM = {
    # Customer files are company-wide: an inbound contact can reach anyone (customers.selectors).
    "/customers/{customer_id}/",
    "/interactions/customers/{customer_id}/timeline/",
    "/interactions/customers/{customer_id}/log/",
    "/tickets/customers/{customer_id}/panel/",  # lists only the tickets the viewer may open
    "/customers/{customer_id}/assets/{asset_id}/",  # the form; saving is narrowed by team
    "/customers/{customer_id}/assets/new/",
    "/customers/{customer_id}/edit/",
    "/api/v1/customers/{customer_id}",
    "/api/v1/customers/{customer_id}/identities",
    "/api/v1/customers/{customer_id}/assets",
    "/api/v1/customers/assets/{asset_id}",
    "/api/v1/interactions/customers/{customer_id}/timeline",
    # A customer's contacts are on the company-wide timeline; correcting and handing on are not.
    "/interactions/{interaction_id}/",
    "/interactions/{interaction_id}/tasks/",  # anyone may add a follow-up to a contact
    "/api/v1/interactions/{interaction_id}",
    "/api/v1/interactions/{interaction_id}/revisions",
    "/api/v1/interactions/{interaction_id}/transfers",
    # Business calendars and questionnaires are the company's, not a team's.
    "/api/v1/calendars/{calendar_id}",
    "/api/v1/calendars/{calendar_id}/due",
    "/api/v1/calendars/{calendar_id}/between",
    "/api/v1/calendars/{calendar_id}/exceptions",  # administrators only: 403 for everyone else
    "/api/v1/calendars/{calendar_id}/exceptions/{day}",
    "/api/v1/surveys/templates/{template_id}",
    # Message templates are the company's wording for every team's replies (channels.api).
    "/api/v1/message-templates/{code}",
    # Lead-only analysis exports: refused to representatives by capability.
    "/satisfaction/export/{chart}.{fmt}",
    # The customer's own links: the unguessable token is the key, whoever holds it.
    "/support/t/{token}/",
    "/s/{token}/",
}

# Not staff endpoints: the sender proves itself with a signature, and a staff session is no
# signature, so the refusal is 401 (channels.webhook_api).
SIGNED = {
    "/api/v1/channels/email/inbound/{account_id}",
    "/api/v1/channels/phone/{account_id}/events",
    "/api/v1/channels/phone/{account_id}/tccc",
    # SMS provider callbacks: the callback token or the same HMAC (channels.sms.api).
    "/api/v1/channels/sms/{account_id}/receipt",
    "/api/v1/channels/sms/{account_id}/inbound",
}

# A contact's follow-up tasks are part of its record (DOMAIN.md §8: "any follow-up tasks it
# created: who, what, due date, status"), so their titles show on the company-wide contact pages;
# opening, completing or listing the task itself stays with its assignee's team.
SHARED_ON_CONTACT_PAGES = {
    "task": {
        "/customers/{customer_id}/",
        "/interactions/customers/{customer_id}/timeline/",
        "/interactions/customers/{customer_id}/log/",
        "/interactions/{interaction_id}/",
        "/api/v1/interactions/customers/{customer_id}/timeline",
    }
}
# A customer's mail is a contact like a call (DOMAIN.md §2: "every contact is recorded, whatever
# its channel, in one timeline per customer"; messaging.md: inbound_process records an inbound
# Interaction), so its subject and text show where the customer's contacts do — including the
# customer panel of the other team's own ticket. The conversation, its attachments and the
# replies stay with the team.
_CONTACTS = SHARED_ON_CONTACT_PAGES["task"] - {"/interactions/{interaction_id}/"} | {
    "/api/v1/interactions",
    "/tickets/{ticket_id}/",
}
SHARED_ON_CONTACT_PAGES["mail_subject"] = SHARED_ON_CONTACT_PAGES["mail_body"] = _CONTACTS

# Valid bodies for writes on one object, so a refusal is about who asks, not what was sent.
BODIES = {
    ("patch", "/api/v1/customers/{customer_id}"): {"city": "上海"},
    ("post", "/api/v1/customers/{customer_id}/merge"): {"duplicate_id": "{other_customer}"},
    ("post", "/api/v1/customers/{customer_id}/reveal"): {"what": "id_number", "reason": "verify"},
    ("post", "/api/v1/customers/{customer_id}/identities"): {
        "kind": "email",
        "value": "walk@example.cn",
    },
    ("post", "/api/v1/customers/{customer_id}/assets"): {"kind": "vehicle", "name": "walk"},
    ("patch", "/api/v1/customers/assets/{asset_id}"): {"name": "改名"},
    ("patch", "/api/v1/interactions/{interaction_id}"): {"summary": "改写", "reason": "walk"},
    ("post", "/api/v1/interactions/{interaction_id}/transfers"): {
        "to_staff_id": "{specialist}",
        "reason": "walk",
    },
    ("post", "/api/v1/calendars/{calendar_id}/exceptions"): {
        "date": "2030-01-02",
        "kind": "holiday",
    },
    ("patch", "/api/v1/tickets/{ticket_id}"): {"subject": "改写"},
    ("post", "/api/v1/tickets/{ticket_id}/transitions"): {"action": "note", "body": "walk"},
    ("post", "/api/v1/tickets/{ticket_id}/remedies"): {"kind": "apology", "description": "x"},
    ("post", "/api/v1/tickets/remedies/{remedy_id}/approval"): {"decision": "approve"},
    ("post", "/api/v1/tickets/{ticket_id}/improvements"): {
        "kind": "training",
        "description": "walk",
        "owner_id": "{specialist}",
        "due_on": "{due}",
    },
    ("post", "/api/v1/tickets/{ticket_id}/merge"): {"into_id": "{own_ticket}"},
    ("post", "/api/v1/tickets/{ticket_id}/split"): {"message_ids": [1], "subject": "walk"},
    ("post", "/api/v1/conversations/{conversation_id}/reply"): {"body": "walk"},
    ("post", "/api/v1/conversations/{conversation_id}/convert"): {"kind": "complaint"},
}
# Uploads, posted as multipart with one small PDF in the named field.
MULTIPART = {("post", "/api/v1/tickets/{ticket_id}/attachments"): "files"}
# Writes whose refusal by role/scope comes before the body is read (no body needed).
NO_BODY = {"delete", "get"}


@pytest.fixture
def world(agent, team, specialist, kam, other_team_agent, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    customer = CustomerFactory(service_team=team, id_number="110105198001011234")
    ticket = in_progress(
        agent, customer, subject=SECRETS["subject"], customer_words=SECRETS["customer_words"]
    )
    remedy = ticket_services.remedy_offer(
        ticket=ticket, by=agent, kind="compensation", amount="900", description=SECRETS["remedy"]
    )
    improvement = ticket_services.improvement_add(
        ticket=ticket,
        by=agent,
        kind="training",
        description=SECRETS["improvement"],
        owner=agent,
        due_on=timezone.localdate() + timedelta(days=7),
    )
    attachment = TicketAttachment(
        ticket=ticket, name=SECRETS["attachment"], content_type="application/pdf", size=9
    )
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    interaction = InteractionFactory(staff=agent, customer=customer, summary="来电咨询保养")
    task = FollowUpTaskFactory(
        assignee=agent, customer=customer, interaction=interaction, title=SECRETS["task"]
    )
    clock = ServiceClock.objects.filter(ticket=ticket).first()
    alert = SlaAlert.objects.create(
        clock=clock, kind="warning", level=0, recipient=agent, created_at=timezone.now()
    )
    send = SendFactory(owner=agent, customer=customer, subject=SECRETS["survey"])
    identity = customer.identities.first() or customer.identities.create(
        kind="email", value="jia@example.cn"
    )
    from rapport.core.models import BusinessCalendar
    from rapport.surveys.models import SurveyTemplate

    # The other team's own ticket about the same customer: its pages may be opened, and must
    # still show nothing of team A's ticket.
    own_ticket = in_progress(other_team_agent, customer, subject="二组自己的工单")
    messaging = _messaging_world(team, agent, customer)
    notify(users=[agent], kind="mention", title=SECRETS["notification"], url="/")
    return {
        "notification": Notification.objects.filter(recipient=agent).latest("id").pk,
        **messaging,
        "call": _phone_call(team, agent),
        "binding_invite": _binding_invite(team, agent, customer),
        "own_ticket": own_ticket.pk,
        "customer": customer.pk,
        "other_customer": CustomerFactory().pk,
        "identity": identity.pk,
        "asset": AssetFactory(customer=customer).pk,
        "interaction": interaction.pk,
        "calendar": BusinessCalendar.objects.first().pk,
        "template": SurveyTemplate.objects.first().pk,
        "day": "2030-01-02",
        "chart": "csat",
        "fmt": "csv",
        **_care_world(),
        "action": "note",
        "figure": "csat",  # a figure of the team dashboard and of the team-lead figures
        "token": ticket.public_token,
        "ticket": ticket.pk,
        "remedy": remedy.pk,
        "improvement": improvement.pk,
        "attachment": attachment.pk,
        "task": task.pk,
        "alert": alert.pk,
        "send": send.pk,
        "specialist": specialist.pk,
        "article": _article(agent),
        "saved_view": saved_view_save(
            by=agent, name="甲组视图", filters={"queue": "team"}, columns=[]
        ).pk,
        "appointment": _appointment(customer),
        "work_order": _work_order(agent, customer),
        "step": "start",
    }


def _binding_invite(team, agent, customer) -> int:
    from rapport.channels.wechat.binding import binding_invite
    from rapport.channels.wechat.tests.conftest import make_account

    account = make_account(team, is_default=False)
    return binding_invite(customer=customer, account=account, by=agent).pk


def _work_order(agent, customer) -> int:
    from rapport.appointments.workorders import work_order_open

    car = AssetFactory(customer=customer)
    return work_order_open(
        by=agent, customer=customer, asset=car, customer_words="刹车异响", payment_method="cash"
    ).pk


def _appointment(customer) -> int:
    from rapport.appointments.models import Appointment, Resource, ServiceType

    service = ServiceType.objects.create(
        code="walk", name="保养", kind="maintenance", duration_minutes=60
    )
    advisor = Resource.objects.create(kind="advisor", name="顾问")
    start = timezone.now() + timedelta(days=3)
    return Appointment.objects.create(
        customer=customer,
        service_type=service,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        day=timezone.localdate(start),
        part=0,
        advisor=advisor,
    ).pk


def _article(agent) -> int:
    from rapport.knowledge.services import article_create

    return article_create(by=agent, title="知识库文章", body="空调不制冷先检查冷媒。").pk


def _messaging_world(team, agent, customer) -> dict:
    """Team A's inbox: a customer's mail with an attachment in a conversation agent claimed and
    answered, and a quarantined mail on the same account."""
    from rapport.channels import services as channel_services
    from rapport.channels.models import Conversation, InboundMessage, MessageTemplate
    from rapport.channels.tests.factories import ChannelAccountFactory
    from rapport.channels.tests.helpers import mail, receive

    account = ChannelAccountFactory(address="jia@rapport.example", default_team=team)
    customer.identities.get_or_create(kind="email", value="jia-customer@qq.com")
    raw = mail(
        sender="甲组客户 <jia-customer@qq.com>",
        to="jia@rapport.example",
        subject=SECRETS["mail_subject"],
        body=SECRETS["mail_body"],
        attachments=[(SECRETS["mail_attachment"], b"%PDF-1.4\n", "application/pdf")],
    )
    inbound = receive(account, raw)
    conversation = Conversation.objects.get(pk=inbound.conversation_id, team=team)
    message = conversation.messages.get(direction="inbound")
    outbox = channel_services.conversation_reply(
        conversation=conversation, by=agent, body=SECRETS["reply"]
    )
    quarantined = receive(account, mail(sender="", to="jia@rapport.example"))
    assert quarantined.state == InboundMessage.State.QUARANTINED
    template = MessageTemplate.objects.first() or MessageTemplate.objects.create(
        code="walk", name="walk", body_zh="您好", body_en="Hello"
    )
    return {
        "conversation": conversation.pk,
        "message": message.pk,
        "message_attachment": message.attachments.get().pk,
        "inbound": quarantined.pk,
        "outbox": outbox.pk,
        "account": account.pk,
        "code": template.code,
    }


def _care_world() -> dict:
    from rapport.care.models import CareRun, Program, Segment

    program = Program.objects.order_by("id").first()
    run = CareRun.objects.create(program=program, run_on=timezone.localdate())
    return {
        "program": program.pk,
        "run": run.pk,
        "segment": Segment.objects.order_by("id").first().pk,
        "verb": "pause",
    }


def _phone_call(team, agent) -> int:
    """An unknown caller ringing at team A's representative."""
    from rapport.channels.models import ChannelAccount
    from rapport.channels.phone.events import CallEventData
    from rapport.channels.phone.services import call_event_record

    agent.phone_extension = "8001"
    agent.save(update_fields=["phone_extension"])
    account = ChannelAccount.objects.create(
        kind="phone", name="甲组热线", address="4008001234", default_team=team
    )
    event = CallEventData(
        call_id="walk-1", event_type="ringing", from_number="13911112222", agent_extension="8001"
    )
    return call_event_record(account=account, event=event).event.call_id


def _pages(patterns=None, prefix="/"):
    """(route template with {param}, parameter names) for every page of the URL conf."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin/", "api/", "i18n/")):
                continue  # Django's admin, the API (walked from its schema), the language switch
            yield from _pages(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and not route.startswith("^"):
            template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", prefix + route)
            yield template, tuple(re.findall(r"{(\w+)}", template))


def _operations():
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method in operations:
            yield method, path, re.findall(r"{(\w+)}", path)


PAGES = sorted(set(_pages()))
OPERATIONS = sorted(_operations())


def _fill(template: str, names: list[str], world: dict) -> str:
    unknown = [n for n in names if n not in PARAMS]
    assert not unknown, f"name the object for {unknown} in PARAMS"
    keys = {n: PARAMS_ON.get(template, {}).get(n, PARAMS[n][0]) for n in names}
    return template.format(**{n: world[key] for n, key in keys.items()})


def _is_team_owned(template: str, names: list[str]) -> bool:
    return any(PARAMS.get(n, ("", False))[1] for n in names) and template not in CROSS_TEAM


def _text(response) -> str:
    """The body as read: JSON escapes Chinese as \\uXXXX, which a plain search would miss."""
    body = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            pass
    return body


def _assert_nothing_leaks(response, where: str, template: str) -> None:
    body = _text(response)
    leaked = [
        k
        for k, text in SECRETS.items()
        if text in body and template not in SHARED_ON_CONTACT_PAGES.get(k, ())
    ]
    assert not leaked, f"{where} shows team A's {leaked}"
    assert response.status_code < 500, f"{where} answered {response.status_code}"


def test_the_walk_covers_pages_and_operations():
    assert len(PAGES) > 40 and len(OPERATIONS) > 60
    assert all(
        template in {p for p, _n in PAGES} | {o[1] for o in OPERATIONS} for template in CROSS_TEAM
    )


@pytest.mark.parametrize(("template", "names"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_as_another_teams_representative(template, names, world, other_team_agent, as_user):
    client = as_user(other_team_agent)
    url = _fill(template, names, world)

    for method in ("get", "post"):
        response = getattr(client, method)(url)
        _assert_nothing_leaks(response, f"{method.upper()} {url}", template)
        if _is_team_owned(template, names):
            assert response.status_code in (403, 404, 405), f"{method.upper()} {url}"


@pytest.mark.parametrize(("template", "names"), PAGES, ids=[p[0] for p in PAGES])
def test_the_other_teams_own_pages_show_nothing_of_team_a(
    template, names, world, other_team_agent, as_user
):
    client = as_user(other_team_agent)
    url = _fill(template, names, {**world, "ticket": world["own_ticket"]})

    _assert_nothing_leaks(client.get(url), f"GET {url}", template)


@pytest.mark.parametrize(
    ("method", "template", "names"), OPERATIONS, ids=[f"{o[0]} {o[1]}" for o in OPERATIONS]
)
def test_api_as_another_teams_representative(
    method, template, names, world, other_team_agent, api_client
):
    client = api_client(other_team_agent)
    url = _fill(template, names, world)
    body = BODIES.get((method, template))
    team_owned = _is_team_owned(template, names)
    body_needed = (method, template) not in MULTIPART and template not in SIGNED
    if body is None and names and method not in NO_BODY and body_needed:
        operation = api.get_openapi_schema()["paths"][template][method]
        assert "requestBody" not in operation or not team_owned, (
            f"give {method} {template} a valid body in BODIES"
        )
    data = json.loads(
        json.dumps(body or {})
        .replace('"{other_customer}"', str(world["other_customer"]))
        .replace('"{specialist}"', str(world["specialist"]))
        .replace('"{own_ticket}"', str(world["own_ticket"]))
        .replace("{due}", (timezone.localdate() + timedelta(days=30)).isoformat())
    )

    if (method, template) in MULTIPART:
        upload = SimpleUploadedFile("walk.pdf", b"%PDF-1.4\n", "application/pdf")
        response = client.post(url, {MULTIPART[(method, template)]: [upload]})
    elif method != "get":
        response = getattr(client, method)(url, json.dumps(data), content_type="application/json")
    else:
        response = client.get(url)

    _assert_nothing_leaks(response, f"{method.upper()} {url}", template)
    if template in SIGNED:
        assert response.status_code == 401, f"{method.upper()} {url}: {response.status_code}"
    elif team_owned or (names and method != "get" and (method, template) in BODIES):
        assert response.status_code in (403, 404), f"{method.upper()} {url}: {response.status_code}"


def test_team_a_sees_its_own_messaging_secrets(world, agent, as_user, api_client):
    """The walk can fail: the pages it refuses to team B do show the secrets to team A, and
    the API's escaped JSON is read as text."""
    page = _text(as_user(agent).get(f"/inbox/{world['conversation']}/"))
    api = _text(api_client(agent).get(f"/api/v1/conversations/{world['conversation']}"))
    outbox = _text(api_client(agent).get(f"/api/v1/outbox/{world['outbox']}"))
    for body in (page, api):
        assert SECRETS["mail_subject"] in body and SECRETS["mail_attachment"] in body
    assert SECRETS["reply"] in outbox
    attachment = as_user(agent).get(f"/inbox/attachments/{world['message_attachment']}/")
    assert attachment.status_code == 200
