"""Panels the modules above customers add to the 360 page. Each returns template context."""

from django.http import HttpRequest

from rapport.channels.phone.selectors import calls_for_customer
from rapport.channels.services.outbox import chat_accounts_active
from rapport.customers.models import Customer
from rapport.interactions.views import timeline_context


def customer_panels(*, request: HttpRequest, customer: Customer) -> dict:
    panels: list[str] = []
    context: dict = {}
    if request.user.can("tickets.view"):
        panels.append("tickets/customer_panel.html")  # loads its list itself, after the page
    if request.user.can("interactions.log"):
        panels.append("interactions/customer_timeline.html")
        context.update(timeline_context(request=request, customer=customer))
    if request.user.can("appointments.book"):
        panels.append("appointments/customer_panel.html")  # loads its rows itself, after the page
    if request.user.can("care.work"):
        panels.append("care/customer_panel.html")  # loads its rows itself, after the page
    if request.user.can("interactions.log"):
        panels.append("web/phone/customer_panel.html")  # click-to-call and recent calls
        context["phone_calls"] = list(calls_for_customer(customer=customer))
    if request.user.can("customers.edit") and not customer.is_deceased and chat_accounts_active():
        panels.append("web/chatbind/placeholder.html")  # loads itself
    return {"panel_templates": panels, **context}
