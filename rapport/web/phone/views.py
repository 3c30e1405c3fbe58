"""The phone pages. Thin: forms parse, the phone services write, its selectors read."""

import json
import random
import time
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.models import ChannelAccount
from rapport.channels.phone import selectors, services
from rapport.channels.phone.api import receive_signed
from rapport.channels.phone.models import Call
from rapport.channels.webhook_api import WEBHOOK_SECRET_KEY, webhook_signature
from rapport.core.errors import NotFound
from rapport.core.http import add_service_errors, staff_view
from rapport.core.phones import display_phone
from rapport.customers import services as customer_services
from rapport.customers.errors import DuplicateIdentity
from rapport.customers.forms import CustomerCreateForm
from rapport.customers.models import Identity
from rapport.customers.selectors import customer_get_for_staff
from rapport.web.phone.forms import CallStepForm, DialForm, SimulateCallForm


@require_GET
@staff_view()
def call_banner(request: HttpRequest) -> HttpResponse:
    """Polled every few seconds by the header: 204 while what it shows is still right."""
    call = selectors.call_banner_for(user=request.user)
    token = selectors.banner_token(call)
    if token == request.GET.get("shown", ""):
        return HttpResponse(status=204)
    return render(request, "web/phone/banner.html", {"call": call, "token": token})


@require_POST
@staff_view()
def call_dismiss(request: HttpRequest, call_id: int) -> HttpResponse:
    call = selectors.call_get_for_agent(user=request.user, call_id=call_id)
    if call is None:
        raise NotFound(_("No such call."))
    services.call_banner_dismiss(call=call, by=request.user)
    if request.htmx:
        return render(request, "web/phone/banner.html", {"call": None, "token": ""})
    return redirect("web:home")


@require_POST
@staff_view("interactions.log")
def customer_dial(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Click-to-call: the browser sends the identity id; the number stays on the server."""
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    form = DialForm(request.POST)
    if not form.is_valid():
        raise NotFound(_("No such phone number."))
    try:
        call = services.call_dial(
            by=request.user, customer=customer, identity_id=form.cleaned_data["identity"]
        )
    except (services.DialRefused, services.DialFailed) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Calling %(number)s: your extension %(extension)s rings first.")
            % {"number": call.masked_number, "extension": request.user.phone_extension},
        )
    return redirect("customers:detail", customer.pk)


@require_http_methods(["GET", "POST"])
@staff_view("customers.create")
def call_new_customer(request: HttpRequest, call_id: int) -> HttpResponse:
    """ "New customer" from the banner of an unknown caller, the number filled in."""
    call = selectors.call_get_for_agent(user=request.user, call_id=call_id)
    if call is None or not call.customer_number:
        raise NotFound(_("No such call."))
    if call.customer_id:
        return redirect("customers:detail", call.customer_id)
    form = CustomerCreateForm(
        request.POST or None, initial={"phone": display_phone(call.customer_number)}
    )
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identities = [
            customer_services.IdentityInput(kind, data[kind])
            for kind in ("phone", "email", "wechat")
            if data.get(kind)
        ]
        fields = {k: v for k, v in data.items() if k not in ("phone", "email", "wechat", "name")}
        try:
            customer = customer_services.customer_create(
                by=request.user, name=data["name"], identities=identities, **fields
            )
        except DuplicateIdentity as exc:
            existing = exc
            form.add_error(exc.kind, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            services.call_link_customer(call=call)
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", customer.pk)
    return render(request, "customers/create.html", {"form": form, "existing": existing})


# -- The demo: simulate a call ------------------------------------------------------------------


def _post_event(account: ChannelAccount, payload: dict) -> tuple[int, dict]:
    """Sign the event with the account's secret and hand it to the webhook's own entry."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    secret = account.get_secrets().get(WEBHOOK_SECRET_KEY, "")
    answer = receive_signed(
        account_id=account.pk,
        timestamp=timestamp,
        signature=webhook_signature(secret, timestamp, body),
        body=body,
    )
    return answer.status_code, answer.value


def _event(call_id: str, kind: str, *, number: str, account, agent, **extra) -> dict:
    return {
        "call_id": call_id,
        "event": kind,
        "direction": "inbound",
        "from": number,
        "to": account.address,
        "agent": {"extension": agent.phone_extension},
        **extra,
    }


def _simulate_run(request: HttpRequest, form: SimulateCallForm) -> bool:
    data = form.cleaned_data
    account, agent = data["account"], data["agent"]
    if data["caller"]:
        identity = Identity.objects.filter(pk=data["caller"], kind="phone").first()
        if identity is None:
            form.add_error("caller", _("No such number."))
            return False
        number = identity.value
    else:
        number = f"+86139{random.randint(10000000, 99999999)}"  # a demo number
    call_id = f"sim-{uuid.uuid4().hex[:12]}"
    steps = {
        "ring": [("ringing", {})],
        "talk": [("ringing", {}), ("answered", {}), ("ended", {"duration": 180})],
        "missed": [("ringing", {}), ("missed", {})],
    }[data["scenario"]]
    for kind, extra in steps:
        status, answer = _post_event(
            account, _event(call_id, kind, number=number, account=account, agent=agent, **extra)
        )
        if status != 200:
            form.add_error(None, answer.get("message", ""))
            return False
    return True


@require_http_methods(["GET", "POST"])
@staff_view("messaging.admin")
def simulate_call(request: HttpRequest) -> HttpResponse:
    """Signed events posted through the webhook's own checks, as a call centre would."""
    form = SimulateCallForm(request.POST or None, initial={"agent": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            done = _simulate_run(request, form)
        except SecretsUnreadable as exc:
            form.add_error(None, str(exc))
            done = False
        if done:
            messages.success(request, _("The call events were sent."))
            return redirect("web:simulate-call")
    calls = Call.objects.filter(provider_call_id__startswith="sim-").select_related(
        "account", "agent", "customer"
    )[:10]
    return render(request, "web/phone/simulate.html", {"form": form, "calls": calls})


@require_POST
@staff_view("messaging.admin")
def simulate_call_step(request: HttpRequest, call_id: int) -> HttpResponse:
    call = Call.objects.select_related("account", "agent").filter(pk=call_id).first()
    form = CallStepForm(request.POST)
    if call is None or call.agent is None or not form.is_valid():
        raise NotFound(_("No such call."))
    kind = form.cleaned_data["step"]
    extra = {"duration": 180} if kind == "ended" and call.answered_at is None else {}
    status, answer = _post_event(
        call.account,
        _event(
            call.provider_call_id,
            kind,
            number=call.customer_number or call.from_number,
            account=call.account,
            agent=call.agent,
            **extra,
        ),
    )
    if status == 200:
        messages.success(request, _("The call events were sent."))
    else:
        messages.error(request, answer.get("message", ""))
    return redirect("web:simulate-call")
