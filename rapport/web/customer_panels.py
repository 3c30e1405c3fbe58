"""Panels the modules above customers add to the 360 page. Each returns template context."""

from django.http import HttpRequest

from rapport.customers.models import Customer


def customer_panels(*, request: HttpRequest, customer: Customer) -> dict:
    return {"panel_templates": []}
