"""Care pages: programs, segments (with a live count), runs waiting for confirmation, call tasks,
results. Thin: each view parses, calls one service or selector, renders."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.care import results, selectors, services
from rapport.care.forms import CallOutcomeForm, ProgramForm, SegmentForm
from rapport.care.segments import segment_clean
from rapport.core.exports import csv_text, xlsx_bytes
from rapport.core.http import add_service_errors, staff_view
from rapport.customers.selectors import customer_get_for_staff


@require_GET
@staff_view("care.work")
def program_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "care/programs.html",
        {
            "programs": selectors.program_list(),
            "awaiting": selectors.runs_awaiting(),
            "open_tasks": selectors.tasks_for(staff=request.user)[:10],
        },
    )


def _program_form_page(request, form, program=None) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "care/program_form.html", {"form": form, "program": program}, status=status
    )


@require_http_methods(["GET", "POST"])
@staff_view("care.manage")
def program_new(request: HttpRequest) -> HttpResponse:
    form = ProgramForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("care:program", program.pk)
    return _program_form_page(request, form)


@require_http_methods(["GET", "POST"])
@staff_view("care.manage")
def program_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.program_get(staff=request.user, program_id=program_id)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(program=program, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Saved. A running program applies the change from its next run.")
            )
            return redirect("care:program", program.pk)
    return _program_form_page(request, form, program)


@require_GET
@staff_view("care.work")
def program_detail(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.program_get(staff=request.user, program_id=program_id)
    return render(
        request,
        "care/program.html",
        {
            "program": program,
            "runs": program.runs.all()[:20],
            "problems": services.program_problems(program),
        },
    )


@require_POST
@staff_view("care.manage")
def program_state(request: HttpRequest, program_id: int, verb: str) -> HttpResponse:
    program = selectors.program_get(staff=request.user, program_id=program_id)
    action = {
        "activate": services.program_activate,
        "pause": services.program_pause,
        "archive": services.program_archive,
    }.get(verb)
    if action is None:
        raise Http404
    try:
        action(program=program, by=request.user)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                messages.error(request, f"{field}: {error}" if field != "__all__" else error)
    return redirect("care:program", program.pk)


@require_GET
@staff_view("care.work")
def program_results(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.program_get(staff=request.user, program_id=program_id)
    rows, total, reasons, comparison = results.program_results(program=program)
    return render(
        request,
        "care/results.html",
        {
            "program": program,
            "rows": rows,
            "total": total,
            "reasons": reasons,
            "metrics": results.METRICS,
            "comparison": comparison,
            "chart": results.chart_svg(rows),
        },
    )


@require_GET
@staff_view("care.work")
def results_export(request: HttpRequest, program_id: int, fmt: str) -> HttpResponse:
    program = selectors.program_get(staff=request.user, program_id=program_id)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows, total, reasons, _comparison = results.program_results(program=program)
    header, body = results.export_rows(rows, total, reasons)
    name = f"care-{program.pk}-results"
    if fmt == "csv":
        response = HttpResponse(csv_text(header, body), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes(program.name, header, body),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- segments ---------------------------------------------------------------------------------


@require_GET
@staff_view("care.manage")
def segment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "care/segments.html", {"segments": selectors.segment_list()})


def _segment_page(request, form, segment=None) -> HttpResponse:
    count, sample, error = None, [], None
    if form.is_bound and form.is_valid():
        try:
            count, sample = selectors.segment_preview(definition=segment_clean(form.definition()))
        except ValidationError as exc:
            error = exc
    elif segment is not None:
        count, sample = selectors.segment_preview(definition=segment.definition)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "care/segment_form.html",
        {
            "form": form,
            "segment": segment,
            "count": count,
            "sample": sample,
            "errors": [m for ms in error.message_dict.values() for m in ms] if error else [],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_view("care.manage")
def segment_new(request: HttpRequest) -> HttpResponse:
    form = SegmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.segment_create(
                by=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                definition=form.definition(),
                confirm_everyone=form.cleaned_data["confirm_everyone"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("care:segments")
    return _segment_page(request, form)


@require_http_methods(["GET", "POST"])
@staff_view("care.manage")
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(staff=request.user, segment_id=segment_id)
    form = SegmentForm(request.POST or None, initial=SegmentForm.initial_for(segment))
    if request.method == "POST" and form.is_valid():
        try:
            services.segment_update(
                segment=segment,
                by=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                definition=form.definition(),
                confirm_everyone=form.cleaned_data["confirm_everyone"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("care:segments")
    return _segment_page(request, form, segment)


@require_POST
@staff_view("care.manage")
def segment_preview(request: HttpRequest) -> HttpResponse:
    """The live count and sample of the builder (htmx, on every change)."""
    form = SegmentForm(request.POST)
    count, sample, errors = None, [], []
    if form.is_valid():
        try:
            count, sample = selectors.segment_preview(definition=segment_clean(form.definition()))
        except ValidationError as exc:
            errors = [f"{k}: {v[0]}" for k, v in exc.message_dict.items()]
    else:
        errors = [
            f"{form.fields[k].label if k in form.fields else k}: {v[0]}"
            for k, v in form.errors.items()
            if k != "name"
        ]
    return render(
        request,
        "care/segment_form.html#preview",
        {"count": count, "sample": sample, "errors": errors},
    )


# --- runs -------------------------------------------------------------------------------------


@require_GET
@staff_view("care.work")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(staff=request.user, run_id=run_id)
    return render(request, "care/run.html", {"run": run, "sample": selectors.run_sample(run=run)})


@require_POST
@staff_view("care.confirm")
def run_decide(request: HttpRequest, run_id: int, verb: str) -> HttpResponse:
    run = selectors.run_get(staff=request.user, run_id=run_id)
    if verb == "confirm":
        services.run_confirm(run=run, by=request.user)
        messages.success(request, _("Run confirmed: the actions go out now."))
    elif verb == "cancel":
        services.run_cancel(run=run, by=request.user)
        messages.success(request, _("Run cancelled: nobody is contacted."))
    else:
        raise Http404
    return redirect("care:run", run.pk)


# --- call tasks -------------------------------------------------------------------------------


@require_GET
@staff_view("care.work")
def task_list(request: HttpRequest) -> HttpResponse:
    return render(request, "care/tasks.html", {"tasks": selectors.tasks_for(staff=request.user)})


@require_http_methods(["GET", "POST"])
@staff_view("care.work")
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = selectors.task_get(staff=request.user, task_id=task_id)
    form = CallOutcomeForm(request.POST or None)
    if request.method == "POST":
        if "acknowledge" in request.POST:
            services.task_acknowledge(task=task, by=request.user)
            return redirect("care:task", task.pk)
        if form.is_valid():
            try:
                services.task_record(task=task, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Call recorded."))
                return redirect("care:tasks")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "care/task.html", {"task": task, "form": form}, status=status)


@require_GET
@staff_view("care.work")
def customer_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The 360 page's care panel, fetched after the page: what each program did, and why not."""
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    context = {
        "customer": customer,
        "care_actions": selectors.customer_care_actions(customer_id=customer.pk),
    }
    template = "care/customer_panel.html#list" if request.htmx else "care/customer_panel.html"
    return render(request, template, context)
