"""Customer list, creation and the customer 360 page. Thin: forms parse, services write."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.core.errors import DomainError, Forbidden
from rapport.core.http import FastPaginator, add_service_errors, filter_status, staff_view
from rapport.customers import selectors, services
from rapport.customers.errors import DuplicateIdentity
from rapport.customers.exports import customers_xlsx
from rapport.customers.forms import (
    AssetForm,
    ConsentForm,
    ContactForm,
    CustomerCreateForm,
    CustomerFilterForm,
    CustomerProfileForm,
    IdentityForm,
    MergeForm,
    TagsForm,
)
from rapport.customers.models import Customer

# The list says "Page 1 · more than 1000" beyond a thousand customers instead of counting every
# live customer on each request (45 ms at 100k with planner statistics, which read the table).
LIST_COUNT_CAP = 1000


@require_GET
@staff_view("customers.view")
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    customers = selectors.customer_list(
        staff=request.user, **{k: v for k, v in filters.items() if v}
    )
    page = FastPaginator(customers, 25, cap=LIST_COUNT_CAP).get_page(request.GET.get("page"))
    template = "customers/list.html#results" if request.htmx else "customers/list.html"
    context = {"page": page, "form": form, "filters": filters}
    return render(request, template, context, status=filter_status(form))


@require_GET
@staff_view("customers.export")
def customer_export(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    customers = selectors.customer_list(staff=request.user, **filters)[:10000]
    services.customer_audit_export(
        by=request.user, count=len(customers), filters=filters, request=request
    )
    response = HttpResponse(
        customers_xlsx(customers),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="customers.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
@staff_view("customers.create")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerCreateForm(request.POST or None)
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identities = [
            services.IdentityInput(kind, data[kind])
            for kind in ("phone", "email", "wechat")
            if data.get(kind)
        ]
        fields = {k: v for k, v in data.items() if k not in ("phone", "email", "wechat", "name")}
        try:
            customer = services.customer_create(
                by=request.user, name=data["name"], identities=identities, **fields
            )
        except DuplicateIdentity as exc:
            existing = exc
            form.add_error(exc.kind, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", customer.pk)
    return render(request, "customers/create.html", {"form": form, "existing": existing})


def _profile_context(request: HttpRequest, customer: Customer) -> dict:
    return {
        "customer": customer,
        "can_edit": services.customer_can_edit(staff=request.user, customer=customer),
        **selectors.customer_profile(customer=customer),
    }


@require_http_methods(["GET", "POST"])
@staff_view("customers.edit")
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The profile form: in place on the 360 page with htmx, or as its own page without JS."""
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    if not services.customer_can_edit(staff=request.user, customer=customer):
        raise Forbidden(_("You may not change this customer."))
    form = CustomerProfileForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if request.htmx:
                context = _profile_context(request, customer)
                return render(request, "customers/detail.html#profile", context)
            messages.success(request, _("Saved."))
            return redirect("customers:detail", customer.pk)
    if form.errors:
        customer.refresh_from_db()  # the page header shows what is stored, not the rejected input
    template = "customers/edit.html#profile-form" if request.htmx else "customers/edit.html"
    return render(request, template, {"customer": customer, "form": form})


@require_POST
@staff_view("customers.edit")
def consent_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Record a consent change (with its reason) from the 360 page's consent panel."""
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.consent_record(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(_messages(exc)))
        else:
            messages.success(request, _("Consent recorded."))
    else:
        messages.error(request, " ".join(_form_messages(form)))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#consent")


@require_POST
@staff_view("customers.edit")
def identity_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            services.identity_add(customer=customer, by=request.user, **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(_messages(exc)))
        else:
            messages.success(request, _("Identity added."))
    else:
        messages.error(request, " ".join(_form_messages(form)))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#identities")


@require_POST
@staff_view("customers.edit")
def identity_remove(request: HttpRequest, identity_id: int) -> HttpResponse:
    identity = selectors.identity_get_for_staff(staff=request.user, identity_id=identity_id)
    services.identity_remove(identity=identity, by=request.user)
    messages.success(request, _("Identity removed."))
    return redirect(reverse("customers:detail", args=[identity.customer_id]) + "#identities")


@require_POST
@staff_view("customers.reveal")
def customer_reveal(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    what = request.POST.get("what", "identities")
    partial = "identities" if what == "identities" else "profile"
    try:
        revealed = services.customer_reveal(
            customer=customer,
            by=request.user,
            what=what,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            request=request,
        )
    except DomainError as exc:
        if exc.field not in ("reason", "note"):
            raise
        # Shown where the person clicked, the reveal form open again with what they chose.
        context = {
            **_profile_context(request, customer),
            "reveal_error": {"what": what, "message": exc.message},
            "reveal_posted": request.POST,
        }
        if request.htmx:
            return render(request, f"customers/detail.html#{partial}", context)
        return render(request, "customers/reveal.html", context, status=400)
    context = {**_profile_context(request, customer), "revealed": revealed}
    if request.htmx:
        return render(request, f"customers/detail.html#{partial}", context)
    return render(request, "customers/revealed.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("customers.edit")
def asset_form(request: HttpRequest, customer_id: int, asset_id: int | None = None) -> HttpResponse:
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    asset = (
        selectors.asset_get_for_staff(staff=request.user, asset_id=asset_id) if asset_id else None
    )
    if asset is not None and asset.customer_id != customer.pk:
        asset = selectors.asset_get_for_staff(staff=request.user, asset_id=0)
    form = AssetForm(request.POST or None, instance=asset)
    if request.method == "POST" and form.is_valid():
        try:
            if asset is None:
                services.asset_create(customer=customer, by=request.user, **form.cleaned_data)
            else:
                services.asset_update(asset=asset, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Asset saved."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#assets")
    return render(
        request, "customers/asset_form.html", {"customer": customer, "form": form, "asset": asset}
    )


@require_POST
@staff_view("customers.edit")
def contact_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_create(organisation=customer, by=request.user, **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(_messages(exc)))
        else:
            messages.success(request, _("Contact added."))
    else:
        messages.error(request, " ".join(_form_messages(form)))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")


@require_POST
@staff_view("customers.edit")
def tags_set(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    form = TagsForm(request.POST)
    if form.is_valid():
        try:
            tags = [services.tag_get_or_create(name=n) for n in form.tag_names()]
            services.customer_set_tags(customer=customer, by=request.user, tags=tags)
        except ValidationError as exc:
            messages.error(request, " ".join(_messages(exc)))
    else:
        messages.error(request, " ".join(_form_messages(form)))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#tags")


@require_http_methods(["GET", "POST"])
@staff_view("customers.merge")
def customer_merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    survivor = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    form = MergeForm(request.POST or request.GET or None)
    duplicate = None
    if form.is_bound and form.is_valid():
        try:
            duplicate = selectors.customer_get_for_staff(
                staff=request.user, customer_id=form.cleaned_data["duplicate"]
            )
        except DomainError:
            form.add_error("duplicate", _("No such customer."))
    if request.method == "POST" and duplicate is not None and request.POST.get("confirm"):
        try:
            result = services.customer_merge(
                survivor=survivor, duplicate=duplicate, by=request.user, request=request
            )
        except DomainError as exc:
            form.add_error("duplicate", exc.message)
        else:
            messages.success(
                request,
                _("%(dup)s was merged into %(name)s.")
                % {"dup": duplicate.name, "name": survivor.name},
            )
            return redirect("customers:detail", result.survivor.pk)
    context = {
        "customer": survivor,
        "form": form,
        "duplicate": duplicate,
        "candidates": selectors.customer_possible_duplicates(customer=survivor),
    }
    if duplicate is not None:
        context["duplicate_profile"] = selectors.customer_profile(customer=duplicate)
    return render(request, "customers/merge.html", context)


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [getattr(exc, "message", str(exc))]


def _form_messages(form) -> list[str]:
    return [
        f"{form.fields[f].label if f in form.fields else ''}: {e}"
        for f, errs in form.errors.items()
        for e in errs
    ]
