"""Ticket pages: queues, intake, the detail page with its actions, improvement actions, and the
public form and tracking page. Thin: forms parse, services write, selectors read."""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.assist.hooks import coach_record_reply, coach_reply_fields
from rapport.core.errors import DomainError, NotFound
from rapport.core.html import fmt
from rapport.core.http import (
    FastPaginator,
    add_service_errors,
    customer_page,
    filter_status,
    staff_view,
)
from rapport.core.urls import reverse_kept
from rapport.customers.selectors import customer_get_for_staff
from rapport.interactions.selectors import interaction_get_for_staff
from rapport.tickets import messaging, selectors, services, views_saved
from rapport.tickets.event_items import event_items
from rapport.tickets.forms import (
    ACTION_FORMS,
    EAGER,
    ONE_CLICK,
    SERVICE_FIELDS,
    PublicAnswerForm,
    PublicTicketForm,
    QueueFilterForm,
    TicketCreateForm,
    default_occurred_at,
    new_form_token,
    uploads,
)
from rapport.tickets.models import ImprovementAction, Ticket, TicketSettings
from rapport.tickets.queue_rows import QueueRows
from rapport.tickets.ratelimit import (
    public_rate_count,
    public_rate_limited,
    public_rate_retry_after,
)
from rapport.tickets.services import assignment
from rapport.tickets.transitions import ACTIONS, action_allowed
from rapport.tickets.views_bulk import bulk_bar_context

PAGE_SIZE = 25
QUEUE_COUNT_CAP = 1000  # "1000+": the count reaches further as later pages are asked for
# Offered next to the remedy or investigation they concern, or in their own card.
# The step that moves the process forward is offered first, highlighted.
PRIMARY_ORDER = ["classify", "start", "resolve", "close", "resume", "reopen"]
ACTION_LABELS = {name: spec.label for name, spec in ACTIONS.items()}
INLINE_ACTIONS = {
    "answer_investigation",
    "choose_remedy",
    "decide_remedy",
    "flag_upset",
    "escalate",
}


@require_GET
@staff_view("tickets.view")
def ticket_queue(request: HttpRequest) -> HttpResponse:
    data, view = views_saved.queue_source(request)
    form = QueueFilterForm(data)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    filters.setdefault("queue", "mine")
    tickets = selectors.ticket_queue_rows(staff=request.user, **filters)
    page = FastPaginator(tickets, PAGE_SIZE, cap=QUEUE_COUNT_CAP).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "filters": filters, "queue": filters["queue"]}
    context.update(views_saved.queue_views_context(request, view))
    context["can_claim"] = request.user.can("tickets.work")
    context["rows"] = QueueRows(
        request=request, columns=context["columns"], can_claim=context["can_claim"]
    ).rows(page)
    status = filter_status(form)
    if request.htmx:
        return render(request, "tickets/queue.html#results", context, status=status)
    context["counts"] = selectors.queue_counts(staff=request.user)
    context.update(bulk_bar_context(request.user))
    context.update(views_saved.queue_views_page_context(request))
    return render(request, "tickets/queue.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("tickets.create")
def ticket_create(request: HttpRequest) -> HttpResponse:
    """Intake from the 360 page (?customer=) or from an interaction (?interaction=)."""
    interaction = None
    if request.GET.get("interaction"):
        interaction = interaction_get_for_staff(
            staff=request.user, interaction_id=request.GET["interaction"]
        )
        customer = interaction.customer
    else:
        customer = customer_get_for_staff(
            staff=request.user, customer_id=request.GET.get("customer")
        )
    initial = {
        "contact_name": customer.name,
        "occurred_at": default_occurred_at(),
        **_primary_contact(customer),
    }
    if interaction is not None:
        initial.update(
            description=interaction.summary,
            occurred_at=interaction.started_at,
            asset=interaction.asset_id,
            occurred_where=interaction.get_channel_display(),
        )
    form = TicketCreateForm(
        request.POST or None, request.FILES or None, customer=customer, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["attachments"] = uploads(data.pop("attachments"))
        try:
            ticket = services.ticket_create(
                by=request.user,
                customer=customer,
                interaction=interaction,
                source=Ticket.Source.INTERACTION if interaction else Ticket.Source.STAFF,
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
            return redirect("tickets:detail", ticket.pk)
    # Before a second ticket for the same problem: the customer's open ones, to add to instead.
    already_open = list(
        Ticket.objects.filter(customer=customer, is_open=True).order_by("-created_at", "-id")[:5]
    )
    context = {
        "form": form,
        "customer": customer,
        "interaction": interaction,
        "already_open": already_open,
    }
    return render(request, "tickets/create.html", context)


def _primary_contact(customer) -> dict:
    """The customer's primary phone and e-mail for the contact fields (one query)."""
    found: dict = {}
    for kind, value in (
        customer.identities.filter(kind__in=("phone", "email"))
        .order_by("-is_primary", "id")
        .values_list("kind", "value")
    ):
        field = "contact_phone" if kind == "phone" else "contact_email"
        found.setdefault(field, value.removeprefix("+86") if kind == "phone" else value)
    return found


def _detail_context(request: HttpRequest, ticket: Ticket, forms: dict | None = None) -> dict:
    detail = selectors.ticket_detail(
        ticket=ticket, staff=request.user, all_events=request.GET.get("events") == "all"
    )
    bound = forms or {}
    panel = [a for a in detail["actions"] if a in ACTION_FORMS and a not in INLINE_ACTIONS]
    # The form with errors, or the one asked for without JavaScript (?form=); the other panels
    # fetch their form when opened, so the page does not build a dozen forms nobody opens.
    open_form = next(iter(bound), "") or request.GET.get("form", "")
    built = ONE_CLICK | EAGER | {open_form}
    action_forms = {
        name: bound.get(name) or ACTION_FORMS[name](ticket=ticket, prefix=name)
        for name in detail["actions"]
        if name in ACTION_FORMS and name in built
    }
    return {
        "ticket": ticket,
        **detail,
        "event_items": timeline_items(ticket, detail["events"], detail["events_hidden"]),
        "undelivered": messaging.undelivered_replies(ticket=ticket),
        "tracking_url": messaging.tracking_url(ticket),
        "forms": action_forms,
        "one_click": ONE_CLICK,
        "open_form": open_form if open_form in action_forms else "",
        "panel_actions": panel,
        "action_shells": _action_shells(ticket, panel, action_forms),
        "primary_action": next((a for a in PRIMARY_ORDER if a in panel), ""),
        "labels": ACTION_LABELS,
        "upset_steps": services.UPSET_STEPS,
        "settings": TicketSettings.cached(),
    }


@require_GET
@staff_view("tickets.view")
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    context = _detail_context(request, ticket)
    if request.htmx:
        return render(request, "tickets/detail.html#main", context)
    return render(request, "tickets/detail.html", context)


def _action_shells(ticket: Ticket, panel: list[str], built: dict) -> dict[str, str]:
    """The closed panels of the actions whose form is fetched when opened, as
    tickets/action_form.html draws them (a dozen on a working ticket, the same every time)."""
    shells = {}
    open_label = _("Open the form")
    for name in panel:
        if name in built or name in ONE_CLICK:
            continue
        shells[name] = fmt(
            '<details class="tk-action" id="act-{name}" hx-get="{url}" hx-trigger="toggle once" '
            'hx-target="find .tk-action-body">\n          <summary class="btn">{label}</summary>\n'
            '          <div class="tk-action-body"><a class="btn-link" href="?form={name}#act-{name}">'
            "{open}</a></div>\n        </details>",
            name=name,
            url=reverse_kept("tickets:action-form", args=[ticket.pk, name]),
            label=ACTION_LABELS[name],
            open=open_label,
        )
    return shells


def timeline_items(ticket: Ticket, events: list, hidden: dict | None) -> list:
    """The timeline's entries, with the button that fetches the hidden middle in its place."""
    items = event_items(events, messaging.reply_deliveries(events))
    if hidden:
        more = render_to_string("tickets/timeline_more.html", {"ticket": ticket, **hidden})
        items.insert(selectors.TIMELINE_HEAD, mark_safe(more))
    return items


@require_GET
@staff_view("tickets.view")
def ticket_timeline_between(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The events a long timeline left out (?after=&before=, the ids around them), fetched by
    the page's "show more events" button; without htmx, the page with every event."""
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    if not request.htmx:
        return redirect(f"{reverse('tickets:detail', args=[ticket.pk])}?events=all#timeline")
    try:
        after, before = int(request.GET["after"]), int(request.GET["before"])
    except (KeyError, ValueError) as exc:
        raise NotFound(_("The timeline has changed; reload the page.")) from exc
    events = selectors.ticket_timeline_between(ticket=ticket, after=after, before=before)
    return HttpResponse("\n".join(event_items(events, messaging.reply_deliveries(events))))


@require_GET
@staff_view("tickets.view")
def ticket_action_form(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    """One action's form, fetched by htmx when its panel on the detail page is opened; without
    htmx, the detail page with that form open."""
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    if action not in ACTION_FORMS or not action_allowed(
        status=ticket.status, action=action, staff=request.user
    ):
        raise NotFound(_("No such action."))
    if not request.htmx:
        url = reverse("tickets:detail", args=[ticket.pk])
        return redirect(f"{url}?form={action}#act-{action}")
    context = {
        "ticket": ticket,
        "name": action,
        "f": ACTION_FORMS[action](ticket=ticket, prefix=action),
        "labels": ACTION_LABELS,
    }
    return render(request, "tickets/action_form.html#form", context)


def _perform(request: HttpRequest, ticket: Ticket, action: str, data: dict) -> None:
    """Call the service for `action` with the parsed fields."""
    staff = request.user
    if action == "answer_investigation":
        investigation = selectors.investigation_get_for_staff(
            staff=staff, investigation_id=data["investigation"]
        )
        if investigation.ticket_id != ticket.pk:
            raise NotFound(_("No such investigation."))
        services.investigation_answer(
            investigation=investigation, by=staff, finding=data["finding"]
        )
    elif action in ("choose_remedy", "decide_remedy"):
        remedy = selectors.remedy_get_for_staff(staff=staff, remedy_id=data["remedy"])
        if remedy.ticket_id != ticket.pk:
            raise NotFound(_("No such remedy."))
        if action == "choose_remedy":
            services.remedy_choose(remedy=remedy, by=staff)
        else:
            services.remedy_decide(
                remedy=remedy,
                by=staff,
                approve=data["decision"] == "approve",
                comment=data["comment"],
            )
    elif action == "attach":
        services.attachment_add(ticket=ticket, by=staff, files=uploads(data["attachments"]))
    elif action in SERVICE_FIELDS:
        fields = {k: data.get(k) for k in SERVICE_FIELDS[action]}
        services.ticket_act(ticket=ticket, by=staff, action=action, **fields)
    else:
        fields = {k: v for k, v in data.items() if v not in (None, "")}
        services.ticket_transition(ticket=ticket, by=staff, action=action, **fields)


@require_POST
@staff_view("tickets.view")
def ticket_act(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    """Every action of the table from the detail page: with htmx the page's main region is
    swapped; without, a redirect back (or the page again with the form's errors)."""
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    if action not in ACTION_FORMS:
        raise NotFound(_("No such action."))
    form = ACTION_FORMS[action](request.POST, request.FILES, ticket=ticket, prefix=action)
    ok = False
    if form.is_valid():
        try:
            _perform(request, ticket, action, form.cleaned_data)
            if action == "reply":
                coach_record_reply(request, **coach_reply_fields(ticket, form.cleaned_data))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            form.add_error(None, exc.message)
        else:
            ok = True
    if ok and not request.htmx:
        messages.success(request, _("%(action)s: done.") % {"action": ACTIONS[action].label})
        return redirect(reverse("tickets:detail", args=[ticket.pk]) + "#timeline")
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    context = _detail_context(request, ticket, None if ok else {action: form})
    if request.htmx:
        response = render(request, "tickets/detail.html#main", context)
        if ok:
            response["HX-Trigger"] = "ticket-changed"
        return response
    return render(request, "tickets/detail.html", context)


@require_POST
@staff_view("tickets.work")
def ticket_claim(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """One click from the queue or the ticket; of two people claiming at once one wins and the
    other is told who did."""
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    try:
        assignment.ticket_claim(ticket=ticket, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(number)s is yours now.") % {"number": ticket.number})
    back = request.POST.get("back") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("tickets:detail", ticket.pk)


@require_POST
@staff_view("tickets.work")
def ticket_send_link(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """E-mail the customer the tracking link (at most once a day per ticket)."""
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    try:
        outbox = messaging.tracking_link_send(ticket=ticket, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tracking link queued for %(to)s.") % {"to": outbox.to_address})
    return redirect(reverse("tickets:detail", args=[ticket.pk]) + "#tracking")


@require_GET
@staff_view("tickets.view")
def customer_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The 360 page's ticket list, fetched after the page so the 360 page stays cheap."""
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    context = {
        "customer": customer,
        **selectors.customer_ticket_panel(staff=request.user, customer=customer),
    }
    template = "tickets/customer_panel.html#list" if request.htmx else "tickets/customer_panel.html"
    return render(request, template, context)


@require_GET
@staff_view("tickets.view")
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Files live outside the web root; this view checks access before serving one."""
    attachment = selectors.attachment_get_for_staff(staff=request.user, attachment_id=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@require_GET
@staff_view("tickets.view")
def improvement_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ImprovementAction.Status.OPEN)
    if status not in ImprovementAction.Status.values:
        status = ImprovementAction.Status.OPEN
    rows = selectors.improvement_list(staff=request.user, status=status)
    page = FastPaginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": ImprovementAction.Status.choices,
        "approvals": list(selectors.pending_approvals(staff=request.user)[:20]),
    }
    return render(request, "tickets/improvements.html", context)


@require_POST
@staff_view("tickets.view")
def improvement_complete(request: HttpRequest, improvement_id: int) -> HttpResponse:
    improvement = selectors.improvement_get_for_staff(
        staff=request.user, improvement_id=improvement_id
    )
    try:
        services.improvement_complete(improvement=improvement, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Improvement action done."))
    return redirect("tickets:improvements")


# -- Public pages: no login ---------------------------------------------------------------------


@customer_page
@require_http_methods(["GET", "POST"])
def public_ticket_form(request: HttpRequest) -> HttpResponse:
    form = PublicTicketForm(
        request.POST or None,
        request.FILES or None,
        initial={"form_token": new_form_token(), "occurred_at": default_occurred_at()},
    )
    if request.method == "POST":
        if retry_after := public_rate_retry_after(request):
            # The form again with everything the customer typed, and why it was not sent.
            form.is_valid()
            form.add_error(
                None,
                _(
                    "We received several complaints from your connection in the last hour. "
                    "Your text is kept below: please send it again in %(minutes)s minutes, "
                    "or call us."
                )
                % {"minutes": max(1, retry_after // 60)},
            )
            context = {"form": form, "company_name": settings.COMPANY_NAME}
            response = render(request, "tickets/public_form.html", context, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket, created = services.ticket_create_public(
                    submission_key=f"form:{data['form_token']}",
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    kind=data["kind"],
                    description=data["customer_words"],
                    customer_words=data["customer_words"],
                    occurred_at=data["occurred_at"],
                    occurred_where=data["occurred_where"],
                    attachments=uploads(data["attachments"]),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if created:  # a complaint sent counts; a replayed post or a refused form does not
                    public_rate_count(request)
                return redirect("tickets:track", ticket.public_token)
    context = {"form": form, "company_name": settings.COMPANY_NAME}
    return render(request, "tickets/public_form.html", context)


def _track_context(ticket: Ticket, form=None, done: str = "") -> dict:
    return {
        "ticket": ticket,
        "events": selectors.public_events(ticket=ticket),
        "form": form or PublicAnswerForm(),
        "done": done,
        "company_name": settings.COMPANY_NAME,
    }


def _track_response(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, "tickets/public_track.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"  # the token is the key; keep it out of referrers
    response["X-Robots-Tag"] = "noindex"
    return response


@customer_page
@require_GET
def public_ticket_track(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's tracking page: status and public replies, never internal notes; the
    customer can answer and, once resolved, confirm it."""
    try:
        ticket = selectors.ticket_get_by_token(token=token)
    except NotFound:
        return render(request, "tickets/public_track.html", {"ticket": None}, status=404)
    return _track_response(request, _track_context(ticket, done=request.GET.get("done", "")))


@customer_page
@require_POST
def public_ticket_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The customer writes to us from the tracking page (or says it is not resolved)."""
    try:
        ticket = selectors.ticket_get_by_token(token=token)
    except NotFound:
        return render(request, "tickets/public_track.html", {"ticket": None}, status=404)
    if public_rate_limited(request):
        return render(request, "tickets/public_limited.html", status=429)
    form = PublicAnswerForm(request.POST)
    if form.is_valid():
        try:
            target, _action = messaging.ticket_customer_answer(
                ticket=ticket, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            url = reverse("tickets:track", args=[target.public_token])
            return redirect(f"{url}?done=answered")
    return _track_response(request, _track_context(ticket, form), status=400)


@customer_page
@require_POST
def public_ticket_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The customer confirms the problem is resolved; the ticket closes as confirmed."""
    try:
        ticket = selectors.ticket_get_by_token(token=token)
    except NotFound:
        return render(request, "tickets/public_track.html", {"ticket": None}, status=404)
    if public_rate_limited(request):
        return render(request, "tickets/public_limited.html", status=429)
    # Already closed or reopened meanwhile: the page shows where it stands.
    with contextlib.suppress(DomainError):
        messaging.ticket_customer_confirm(ticket=ticket)
    url = reverse("tickets:track", args=[ticket.public_token])
    return redirect(f"{url}?done=confirmed")
