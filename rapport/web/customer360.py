"""The customer 360 page: the customer file plus what every module knows about the customer."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rapport.care.selectors import maintenance_interval
from rapport.core.http import staff_view
from rapport.customers import selectors, services
from rapport.web.customer_panels import customer_panels


@require_GET
@staff_view("customers.view")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    merged_into = selectors.customer_resolve_merged(customer_id=customer_id)
    if merged_into:
        messages.info(request, _("This customer was merged; showing the surviving file."))
        return redirect("customers:detail", merged_into)
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    context = {
        "customer": customer,
        "can_edit": services.customer_can_edit(staff=request.user, customer=customer),
        **selectors.customer_profile(customer=customer),
        **customer_panels(request=request, customer=customer),
    }
    vehicles = [a for a in context["assets"] if a.kind == a.Kind.VEHICLE and a.last_service_on]
    if vehicles:
        interval_km, interval_days = maintenance_interval()
        for vehicle in vehicles:
            vehicle.next = vehicle.next_service(
                interval_km=interval_km, interval_days=interval_days
            )
    return render(request, "customers/detail.html", context)
