"""Pages for interactions: the 360 timeline and quick log, tasks, corrections, transfers, agent
status and the supervisor's measures. Thin: forms parse, services write, selectors read."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.core.bounds import control_character_message
from rapport.core.bulk import bulk_flash
from rapport.core.errors import DomainError, NotFound
from rapport.core.http import FastPaginator, add_service_errors, filter_status, staff_view
from rapport.customers.models import Customer
from rapport.customers.selectors import customer_get_for_staff
from rapport.interactions import measures as m
from rapport.interactions import selectors, services
from rapport.interactions.bulk import tasks_bulk as tasks_bulk_service
from rapport.interactions.forms import (
    AgentStatusForm,
    CorrectForm,
    MeasuresFilterForm,
    QuickLogForm,
    TaskForm,
    TimelineFilterForm,
    TransferForm,
)
from rapport.interactions.models import AgentStatusInterval, FollowUpTask
from rapport.interactions.timeline_items import timeline_items

# A drill-down over a long period lists its rows a page at a time and counts at most this many.
DRILL_CAP = 10_000


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: `redirect` would try any other text as a view name (a 500).
    if (
        target.startswith("/")
        and control_character_message(target) is None
        and url_has_allowed_host_and_scheme(target, {request.get_host()})
    ):
        return target
    return default


def timeline_context(*, request: HttpRequest, customer: Customer, form=None) -> dict:
    """The 360 panel's context: the quick-log form and the first (or cursor's) timeline page."""
    filters = TimelineFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    page = selectors.customer_timeline(
        customer=customer,
        channel=data.get("channel", ""),
        direction=data.get("direction", ""),
        cursor=data.get("cursor", ""),
    )
    return {
        "customer": customer,
        "timeline": page,
        "timeline_items": timeline_items(page.entries),
        "timeline_filters": filters,
        "timeline_query": {
            "channel": data.get("channel", ""),
            "direction": data.get("direction", ""),
        },
        "quick_log_form": form or QuickLogForm(),
    }


@require_GET
@staff_view("interactions.log")
def customer_timeline(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    context = timeline_context(request=request, customer=customer)
    if not request.htmx:
        return render(request, "interactions/timeline_page.html", context)
    part = "entries" if request.GET.get("cursor") else "timeline"
    return render(request, f"interactions/customer_timeline.html#{part}", context)


@require_http_methods(["GET", "POST"])
@staff_view("interactions.log")
def quick_log(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    form = QuickLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        follow_up = None
        if data["follow_up"]:
            follow_up = services.FollowUpInput(
                title=data["follow_up"], due_at=form.follow_up_due_at(), assignee=request.user
            )
        try:
            logged = services.interaction_log(
                by=request.user,
                customer=customer,
                channel=data["channel"],
                direction=data["direction"],
                purpose=data["purpose"],
                summary=data["summary"],
                outcome=data["outcome"],
                duration_seconds=(data["duration_minutes"] or 0) * 60,
                follow_up=follow_up,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if request.POST.get("then") == "ticket" and request.user.can("tickets.create"):
                # "Log and open a complaint": the call is on the timeline, the complaint form
                # opens with its summary, time and the customer's contact filled in.
                url = reverse("tickets:create") + f"?interaction={logged.pk}"
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
            if not request.htmx:
                messages.success(request, _("Interaction recorded."))
                return redirect(reverse("customers:detail", args=[customer.pk]) + "#timeline")
            form = None
    context = timeline_context(request=request, customer=customer, form=form)
    if request.htmx:
        response = render(request, "interactions/customer_timeline.html#panel", context)
        if form is None:
            response["HX-Trigger"] = "interaction-logged"
        return response
    return render(request, "interactions/timeline_page.html", context)


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict") and "due_at" in exc.error_dict:
        exc.error_dict["follow_up_due"] = exc.error_dict.pop("due_at")
    if hasattr(exc, "error_dict") and "duration_seconds" in exc.error_dict:
        exc.error_dict["duration_minutes"] = exc.error_dict.pop("duration_seconds")
    add_service_errors(form, exc)


@require_GET
@staff_view("interactions.log")
def interaction_detail(request: HttpRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.interaction_get_for_staff(
        staff=request.user, interaction_id=interaction_id
    )
    context = {
        "interaction": interaction,
        "can_correct": services.interaction_can_correct(
            staff=request.user, interaction=interaction
        ),
        "task_form": TaskForm(initial={"assignee": request.user}),
        **selectors.interaction_detail(interaction=interaction),
    }
    return render(request, "interactions/detail.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("interactions.log")
def interaction_correct(request: HttpRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.interaction_get_for_staff(
        staff=request.user, interaction_id=interaction_id
    )
    if not services.interaction_can_correct(staff=request.user, interaction=interaction):
        raise NotFound(_("No such interaction."))
    form = CorrectForm(request.POST or None, instance=interaction)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_correct(
                interaction=interaction,
                by=request.user,
                reason=form.cleaned_data["reason"],
                **form.changes(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Correction saved; the old values are in the history."))
            return redirect("interactions:detail", interaction.pk)
    return render(request, "interactions/correct.html", {"interaction": interaction, "form": form})


@require_http_methods(["GET", "POST"])
@staff_view("interactions.transfer")
def interaction_transfer(request: HttpRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.interaction_get_for_staff(
        staff=request.user, interaction_id=interaction_id
    )
    if not services.interaction_can_transfer(staff=request.user, interaction=interaction):
        raise NotFound(_("No such interaction."))
    targets = selectors.transfer_targets(exclude=request.user)
    form = TransferForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_create(interaction=interaction, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Transferred to %(name)s. The first responder will check back with the customer.")
                % {"name": form.cleaned_data["to_staff"]},
            )
            return redirect("interactions:detail", interaction.pk)
    return render(request, "interactions/transfer.html", {"interaction": interaction, "form": form})


@require_POST
@staff_view("interactions.log")
def task_add(request: HttpRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.interaction_get_for_staff(
        staff=request.user, interaction_id=interaction_id
    )
    form = TaskForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_task_create(
                by=request.user,
                customer=interaction.customer,
                interaction=interaction,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Task created."))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect(reverse("interactions:detail", args=[interaction.pk]) + "#tasks")


@require_GET
@staff_view("interactions.log")
def my_tasks(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", FollowUpTask.Status.OPEN)
    if status not in FollowUpTask.Status.values:
        status = FollowUpTask.Status.OPEN
    tasks = selectors.task_list_for_staff(staff=request.user, status=status)
    page = FastPaginator(tasks, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": FollowUpTask.Status.choices,
        "task_bulk_choices": [("complete", _("Mark done")), ("cancel", _("Cancel task"))],
    }
    template = "interactions/tasks.html#task-list" if request.htmx else "interactions/tasks.html"
    return render(request, template, context)


@require_POST
@staff_view("interactions.log")
def tasks_bulk(request: HttpRequest) -> HttpResponse:
    """Mark done or cancel the ticked tasks, each through its service; the summary as messages."""
    try:
        result = tasks_bulk_service(
            staff=request.user,
            action=request.POST.get("action", ""),
            ids=request.POST.getlist("ids"),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        bulk_flash(request, result)
    return redirect(_next_url(request, reverse("interactions:tasks")))


def _task_close(request: HttpRequest, task_id: int, close) -> HttpResponse:
    task = selectors.task_get_for_staff(staff=request.user, task_id=task_id)
    try:
        close(task=task, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "interactions/tasks.html#task-row", {"task": task})
    return redirect(_next_url(request, reverse("interactions:tasks")))


@require_POST
@staff_view("interactions.log")
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    return _task_close(request, task_id, services.follow_up_task_complete)


@require_POST
@staff_view("interactions.log")
def task_cancel(request: HttpRequest, task_id: int) -> HttpResponse:
    return _task_close(request, task_id, services.follow_up_task_cancel)


@require_POST
@staff_view()
def agent_status(request: HttpRequest) -> HttpResponse:
    form = AgentStatusForm(request.POST)
    current = None
    if form.is_valid():
        current = services.agent_status_set(staff=request.user, status=form.cleaned_data["status"])
    if request.htmx:
        return render(request, "web/agent_status_slot.html", {"agent_status": current})
    return redirect(_next_url(request, reverse("web:home")))


def _scope(form: MeasuresFilterForm) -> m.Scope:
    data = form.cleaned_data if form.is_valid() else {}
    return m.Scope(team=data.get("team"), person=data.get("person"))


@require_GET
@staff_view("measures.view")
def measures(request: HttpRequest) -> HttpResponse:
    form = MeasuresFilterForm(request.GET)
    scope = _scope(form)
    current, previous, chosen = _measures_periods(form)
    kept = {"team": form.data.get("team", ""), "person": form.data.get("person", "")}
    if chosen:
        kept |= {"date_from": current[0].date(), "date_to": current[1].date() - timedelta(days=1)}
    context = {
        "form": form,
        "scope": scope,
        "chosen_period": chosen,
        "period_last_day": current[1] - timedelta(days=1),
        "previous_last_day": previous[1] - timedelta(days=1),
        "keep": urlencode(kept),
        "current": m.measures_for(start=current[0], end=current[1], scope=scope),
        "previous": m.measures_for(start=previous[0], end=previous[1], scope=scope),
    }
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("drill"):
        start, end = previous if data.get("period") == "previous" else current
        context.update(_drilldown(request, data, start, end, scope))
        # The drill's URL is pushed: a visit back to it that htmx cannot restore from its own
        # history asks for the whole page (HX-History-Restore-Request), not the drill alone.
        if request.htmx and not request.htmx.history_restore_request:
            return render(request, "interactions/measures.html#drill", context)
    return render(request, "interactions/measures.html", context, status=filter_status(form))


def _measures_periods(form: MeasuresFilterForm) -> tuple[tuple, tuple, bool]:
    """The period shown and the one it is compared with: a chosen period of days beside the
    same number of days just before it, or this month beside last month."""
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("date_from"):
        tz = timezone.get_current_timezone()
        start = datetime.combine(data["date_from"], time.min, tzinfo=tz)
        end = datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=tz)
        days = (data["date_to"] - data["date_from"]).days + 1
        before = datetime.combine(data["date_from"] - timedelta(days=days), time.min, tzinfo=tz)
        return (start, end), (before, start), True
    current = m.month_bounds(timezone.localdate())
    return current, m.month_bounds(current[0].date().replace(day=1) - timedelta(days=1)), False


def _drilldown(request, data: dict, start, end, scope: m.Scope) -> dict:
    measure = data["drill"]
    if measure == "non_contact":
        rows = m.drilldown_status_intervals(start=start, end=end, scope=scope)
    elif measure == "turnover":
        rows = m.drilldown_leavers(start=start, end=end, scope=scope)
    else:
        rows = m.drilldown_interactions(
            measure=measure,
            start=start,
            end=end,
            scope=scope,
            channel=data.get("channel") or "",
            direction=data.get("direction") or "",
        )
    return {
        "drill": measure,
        "drill_start": start,
        "drill_end": end,
        "drill_last_day": end - timedelta(days=1),
        "drill_page": FastPaginator(rows, 25, cap=DRILL_CAP).get_page(request.GET.get("page")),
        "non_contact_labels": [AgentStatusInterval.Status(s).label for s in m.NON_CONTACT_STATUSES],
    }
