"""The analysis page with its exports, the list of sends with campaigns, and the public answer
page. Thin: forms parse, services write, selectors read."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.core.errors import DomainError
from rapport.core.http import (
    FastPaginator,
    add_service_errors,
    customer_page,
    filter_status,
    staff_view,
)
from rapport.surveys import analysis, selectors, services
from rapport.surveys.exports import CHARTS, as_csv, as_xlsx, chart_rows
from rapport.surveys.forms import AnalysisFilterForm, AnswerForm, CampaignForm, SegmentForm
from rapport.surveys.models import SurveySend
from rapport.surveys.presenters import analysis_context, loyalty_context


@require_GET
@staff_view("surveys.analyse")
def analysis_page(request: HttpRequest) -> HttpResponse:
    """The whole analysis. Satisfaction beside loyalty is the slow part: htmx fetches it after
    the page (`?part=loyalty`); without JavaScript the same link reloads the page with it."""
    form = AnalysisFilterForm(request.GET or None)
    filters = form.filters()
    if request.htmx and request.GET.get("part") == "loyalty":
        summary = analysis.analysis_summary(staff=request.user, filters=filters, parts=("loyalty",))
        return render(
            request,
            "surveys/analysis.html#loyalty",
            {"summary": summary, **loyalty_context(summary)},
        )
    parts = analysis.PAGE_PARTS
    if request.GET.get("part") == "loyalty":
        parts = tuple(analysis.PARTS)
    summary = analysis.analysis_summary(staff=request.user, filters=filters, parts=parts)
    return render(
        request,
        "surveys/analysis.html",
        {"form": form, **analysis_context(summary)},
        status=filter_status(form),
    )


@require_GET
@staff_view("surveys.analyse")
def analysis_export(request: HttpRequest, chart: str, fmt: str) -> HttpResponse:
    if chart not in CHARTS or fmt not in ("csv", "xlsx"):
        raise Http404
    form = AnalysisFilterForm(request.GET or None)
    summary = analysis.analysis_summary(staff=request.user, filters=form.filters(), parts=(chart,))
    header, rows = chart_rows(summary, chart)
    if fmt == "csv":
        response = HttpResponse(as_csv(header, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            as_xlsx(chart, header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="satisfaction-{chart}.{fmt}"'
    return response


@require_GET
@staff_view("surveys.view")
def send_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    sends = selectors.send_list(staff=request.user, status=status)
    page = FastPaginator(sends, settings.RAPPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": SurveySend.Status.choices,
        "segment_form": SegmentForm(),
        "campaign_form": CampaignForm(),
    }
    return render(request, "surveys/sends.html", context)


@require_POST
@staff_view("surveys.campaign")
def segment_create(request: HttpRequest) -> HttpResponse:
    form = SegmentForm(request.POST)
    if form.is_valid():
        try:
            segment = services.segment_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Segment %(name)s saved.") % {"name": segment.name})
            return redirect("surveys:sends")
    messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("surveys:sends")


@require_POST
@staff_view("surveys.campaign")
def campaign_send(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a segment and a questionnaire."))
        return redirect("surveys:sends")
    result = services.survey_campaign_send(by=request.user, **form.cleaned_data)
    skipped = sum(result["skipped"].values())
    messages.success(
        request,
        _("%(sent)s surveys sent; %(skipped)s customers skipped by the rules.")
        % {"sent": result["sent"], "skipped": skipped},
    )
    return redirect("surveys:sends")


def _public(request: HttpRequest, state: str, context: dict, status: int = 200):
    return render(request, "surveys/respond.html", {"state": state, **context}, status=status)


@customer_page
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page: no login; the link alone identifies one send and shows only it."""
    send = selectors.send_for_token(token=token)
    if send is None:
        return _public(request, "invalid", {}, status=404)
    with translation.override(send.language):
        if send.is_expired:
            return _public(request, "expired", {"send": send}, status=410)
        questions = list(send.template.questions.order_by("position", "id"))
        response = getattr(send, "response", None)
        initial = AnswerForm.initial_from(response) if response else None
        form = AnswerForm(request.POST or None, questions=questions, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.survey_respond(send=send, answers=form.answers())
            except ValidationError as exc:
                for code, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_question_error(code, error)
            except DomainError as exc:
                return _public(request, "expired", {"send": send, "reason": exc.message}, 410)
            else:
                send.refresh_from_db()
                return _public(request, "thanks", {"send": send})
        return _public(request, "page", {"send": send, "form": form, "response": response})
