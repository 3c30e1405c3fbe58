"""The inbox pages. Thin: forms parse, channel and ticket services write, selectors read.
Every action is a plain POST form that redirects; the list refreshes itself with htmx."""

import uuid
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.assist.hooks import coach_record_reply
from rapport.channels import services as channel_services
from rapport.channels.models import InboundMessage, MessageAttachment
from rapport.channels.selectors import chat_window
from rapport.core.errors import DomainError, NotFound
from rapport.core.http import FastPaginator, add_service_errors, staff_view
from rapport.tickets import inbox_selectors as selectors
from rapport.tickets import messaging as ticket_messaging
from rapport.tickets.selectors import ticket_get_for_staff
from rapport.web.inbox.forms import (
    ChatSimulateForm,
    CloseForm,
    ConvertForm,
    LinkForm,
    ReplyForm,
    SimulateForm,
    SimulateSmsForm,
)

PAGE_SIZE = 30


@require_GET
@staff_view("inbox.work")
def inbox(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "team")
    tab = tab if tab in selectors.TABS else "team"
    page = FastPaginator(selectors.inbox(staff=request.user, tab=tab), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "tab": tab,
        "context_of": selectors.customer_context(customers=[c.customer for c in page]),
    }
    if request.htmx:
        return render(request, "web/inbox/inbox.html#results", context)
    context["counts"] = selectors.inbox_counts(staff=request.user)
    return render(request, "web/inbox/inbox.html", context)


def _page_context(request: HttpRequest, conversation, **forms) -> dict:
    detail = selectors.conversation_detail(conversation=conversation, staff=request.user)
    return {
        "conversation": conversation,
        **detail,
        "reply_form": forms.get("reply") or ReplyForm(),
        "convert_form": forms.get("convert") or ConvertForm(),
        "link_form": forms.get("link") or LinkForm(tickets=detail["open_tickets"]),
        "close_form": forms.get("close") or CloseForm(),
        "context": selectors.customer_context(customers=[conversation.customer])[
            conversation.customer_id
        ],
        "chat": chat_window(conversation=conversation),
    }


@require_GET
@staff_view("inbox.work")
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = selectors.conversation_get_for_staff(
        staff=request.user, conversation_id=conversation_id
    )
    return render(request, "web/inbox/conversation.html", _page_context(request, found))


@require_GET
@staff_view("inbox.work")
def conversation_window(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The time left in a chat conversation's 48-hour window (the page refreshes it)."""
    found = selectors.conversation_get_for_staff(
        staff=request.user, conversation_id=conversation_id
    )
    context = {"conversation": found, "chat": chat_window(conversation=found)}
    return render(request, "web/inbox/chat_window.html", context)


def _back(conversation_id: int) -> HttpResponse:
    return redirect("web:conversation", conversation_id)


@require_POST
@staff_view("inbox.work")
def conversation_claim(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One click; when two people claim at once one wins and the other is told who did."""
    found = selectors.conversation_get_for_staff(
        staff=request.user, conversation_id=conversation_id
    )
    try:
        channel_services.conversation_claim(conversation=found, by=request.user)
    except DomainError as exc:
        found.refresh_from_db()
        who = found.claimed_by if found.claimed_by_id else None
        text = (
            _("%(name)s claimed this conversation first.") % {"name": who}
            if who and who != request.user
            else exc.message
        )
        messages.error(request, text)
        return redirect(reverse("web:inbox") if who and who != request.user else _back(found.pk))
    messages.success(request, _("Claimed: it is yours now."))
    return _back(found.pk)


def _act(request, found, name: str, form, act, *, not_found_field: str | None = None):
    """Run `act(cleaned_data)` for a valid form and return its answer; on bad input or a
    refusal show the conversation again with the reasons on the form `name` (400)."""
    if form.is_valid():
        try:
            return act(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotFound as exc:
            form.add_error(
                not_found_field, _("No such ticket.") if not_found_field else exc.message
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    context = _page_context(request, found, **{name: form})
    return render(request, "web/inbox/conversation.html", context, status=400)


@require_POST
@staff_view("inbox.work")
def conversation_reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = selectors.conversation_get_for_staff(
        staff=request.user, conversation_id=conversation_id
    )

    def reply(data) -> HttpResponse:
        channel_services.conversation_reply(conversation=found, by=request.user, body=data["body"])
        coach_record_reply(
            request, channel="email" if found.account.kind == "email" else "chat", text=data["body"]
        )
        messages.success(request, _("Reply queued; it is sent within a minute."))
        return _back(found.pk)

    return _act(request, found, "reply", ReplyForm(request.POST), reply)


@require_POST
@staff_view("inbox.work")
def conversation_convert(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = selectors.conversation_get_for_staff(
        staff=request.user, conversation_id=conversation_id
    )

    def convert(data) -> HttpResponse:
        ticket = ticket_messaging.conversation_convert(
            conversation=found, by=request.user, kind=data["kind"]
        )
        messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
        return redirect("tickets:detail", ticket.pk)

    return _act(request, found, "convert", ConvertForm(request.POST), convert)


@require_POST
@staff_view("inbox.work")
def conversation_link(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = selectors.conversation_get_for_staff(
        staff=request.user, conversation_id=conversation_id
    )
    detail = selectors.conversation_detail(conversation=found, staff=request.user)

    def link(data) -> HttpResponse:
        ticket = ticket_get_for_staff(staff=request.user, ticket_id=data["ticket"])
        ticket_messaging.conversation_attach(conversation=found, ticket=ticket, by=request.user)
        messages.success(request, _("Added to ticket %(number)s.") % {"number": ticket.number})
        return redirect("tickets:detail", ticket.pk)

    form = LinkForm(request.POST, tickets=detail["open_tickets"])
    return _act(request, found, "link", form, link, not_found_field="ticket")


@require_POST
@staff_view("inbox.work")
def conversation_close(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = selectors.conversation_get_for_staff(
        staff=request.user, conversation_id=conversation_id
    )

    def close(data) -> HttpResponse:
        channel_services.conversation_close(
            conversation=found, by=request.user, reason=data["reason"]
        )
        messages.success(request, _("Conversation closed."))
        return redirect("web:inbox")

    return _act(request, found, "close", CloseForm(request.POST), close)


@require_GET
@staff_view("inbox.work")
def message_full(request: HttpRequest, message_id: int) -> HttpResponse:
    """The whole message: full text with the quoted history, and its HTML in a sandbox."""
    message = selectors.message_get_for_staff(staff=request.user, message_id=message_id)
    context = {"message": message}
    if request.htmx:
        return render(request, "web/inbox/message_full.html#full", context)
    return render(request, "web/inbox/message_full.html", context)


@require_GET
@staff_view("inbox.work")
def message_html(request: HttpRequest, message_id: int) -> HttpResponse:
    """The sanitised HTML of a message, for a sandboxed iframe: no scripts, no remote content."""
    message = selectors.message_get_for_staff(staff=request.user, message_id=message_id)
    head = '<meta charset="utf-8"><base target="_blank">'
    response = HttpResponse(head + message.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@require_GET
@staff_view("inbox.work")
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    try:
        found = MessageAttachment.objects.get(pk=attachment_id)
    except MessageAttachment.DoesNotExist as exc:
        raise NotFound(_("No such attachment.")) from exc
    selectors.message_get_for_staff(staff=request.user, message_id=found.message_id)
    inline = found.is_inline and not found.flagged and found.content_type.startswith("image/")
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=not inline,
        filename=found.filename,
        content_type=found.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


# -- Administrators -----------------------------------------------------------------------------


@require_GET
@staff_view("messaging.admin")
def quarantine(request: HttpRequest) -> HttpResponse:
    rows = selectors.quarantine(state=request.GET.get("state", "quarantined"))
    page = FastPaginator(rows, 50).get_page(request.GET.get("page"))
    context = {"page": page, "state": request.GET.get("state", "quarantined")}
    context["states"] = InboundMessage.State.choices
    return render(request, "web/inbox/quarantine.html", context)


@require_POST
@staff_view("messaging.admin")
def quarantine_replay(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = InboundMessage.objects.filter(pk=inbound_id).first()
    if inbound is None:
        raise NotFound(_("No such message."))
    try:
        inbound = channel_services.inbound_replay(inbound=inbound, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        inbound.refresh_from_db()
        if inbound.state == InboundMessage.State.QUARANTINED:
            messages.error(request, _("Still quarantined: %(error)s") % {"error": inbound.error})
        else:
            messages.success(
                request, _("Processed again: %(state)s.") % {"state": inbound.get_state_display()}
            )
    return redirect("web:quarantine")


def simulated_email(data: dict) -> tuple[str, bytes]:
    """The raw RFC 822 bytes of a simulated customer e-mail, and its Message-ID."""
    subject = data["subject"].strip()
    number = (data.get("ticket_number") or "").strip().upper().lstrip("T")
    if number:
        subject = f"回复：{subject} [T{int(number):06d}]"
    mail = EmailMessage()
    mail["From"] = Address(display_name=data.get("from_name") or "", addr_spec=data["from_address"])
    mail["To"] = data["account"].address
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.localtime())
    message_id = make_msgid(domain="simulated.rapport.invalid")
    mail["Message-ID"] = message_id
    in_reply_to = (data.get("in_reply_to") or "").strip()
    if in_reply_to:
        wrapped = in_reply_to if in_reply_to.startswith("<") else f"<{in_reply_to}>"
        mail["In-Reply-To"] = wrapped
        mail["References"] = wrapped
    mail.set_content(data["body"], charset="utf-8")
    return message_id, mail.as_bytes()


@require_http_methods(["GET", "POST"])
@staff_view("messaging.admin")
def simulate(request: HttpRequest) -> HttpResponse:
    """An e-mail written here goes through inbound_receive exactly like real mail; a WeChat or
    WeCom message goes through the account's real signed and encrypted callback."""
    chat = request.method == "POST" and request.POST.get("form") == "chat"
    form = SimulateForm(request.POST if request.method == "POST" and not chat else None)
    chat_form = ChatSimulateForm(request.POST if chat else None)
    if chat and chat_form.is_valid():
        return _simulate_chat(request, chat_form)
    if request.method == "POST" and not chat and form.is_valid():
        message_id, raw = simulated_email(form.cleaned_data)
        try:
            inbound = channel_services.inbound_receive(
                account=form.cleaned_data["account"], provider_id=f"simulated:{message_id}", raw=raw
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            # File it now rather than waiting for the worker, so the page shows where it went;
            # the task queued for it finds it processed (the claim makes that safe).
            channel_services.inbound_process(inbound_id=inbound.pk)
            inbound.refresh_from_db()
            if inbound.state == InboundMessage.State.RECEIVED:
                messages.info(request, _("Received; the worker files it within a few seconds."))
            else:
                messages.success(
                    request,
                    _("Received and filed: %(state)s.") % {"state": inbound.get_state_display()},
                )
            return redirect(_after_simulation(inbound))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "chat_form": chat_form, "sms_form": SimulateSmsForm()}
    return render(request, "web/inbox/simulate.html", context, status=status)


def _simulate_chat(request: HttpRequest, form: ChatSimulateForm) -> HttpResponse:
    from rapport.channels.wechat.simulate import simulate_inbound

    data = form.cleaned_data
    status, answer, inbound = simulate_inbound(
        account=data["chat_account"], user_id=data["user_id"], kind=data["kind"], text=data["text"]
    )
    if status != 200 or inbound is None:
        form.add_error(None, _("The callback refused it: %(answer)s") % {"answer": answer})
        context = {"form": SimulateForm(), "chat_form": form, "sms_form": SimulateSmsForm()}
        return render(request, "web/inbox/simulate.html", context, status=400)
    if inbound.state == InboundMessage.State.PROCESSED and not inbound.conversation_id:
        messages.success(request, _("Received and recorded: %(what)s") % {"what": inbound.summary})
        return redirect("web:simulate")
    messages.success(
        request, _("Received and filed: %(state)s.") % {"state": inbound.get_state_display()}
    )
    return redirect(_after_simulation(inbound))


@require_POST
@staff_view("messaging.admin")
def simulate_sms(request: HttpRequest) -> HttpResponse:
    """An SMS reply written here is stored and filed exactly like one a provider pushes."""
    from rapport.channels.sms.providers import InboundSms
    from rapport.channels.sms.services import sms_inbound_accept

    form = SimulateSmsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        sms = InboundSms(
            phone=data["phone"], text=data["text"], provider_id=f"simulated:{uuid.uuid4().hex}"
        )
        try:
            (result,) = sms_inbound_accept(account=data["account"], messages=[sms])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            channel_services.inbound_process(inbound_id=result["inbound_id"])
            inbound = InboundMessage.objects.get(pk=result["inbound_id"])
            messages.success(
                request,
                _("Received and filed: %(state)s.") % {"state": inbound.get_state_display()},
            )
            return redirect(_after_simulation(inbound))
    context = {"form": SimulateForm(), "chat_form": ChatSimulateForm(), "sms_form": form}
    return render(request, "web/inbox/simulate.html", context, status=400)


def _after_simulation(inbound: InboundMessage) -> str:
    if inbound.state == InboundMessage.State.QUARANTINED:
        return reverse("web:quarantine")
    if inbound.message_id is not None and inbound.message.ticket_id:
        return reverse("tickets:detail", args=[inbound.message.ticket_id]) + "#timeline"
    if inbound.conversation_id:
        return reverse("web:conversation", args=[inbound.conversation_id])
    return reverse("web:inbox")
