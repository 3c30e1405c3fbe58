"""Benchmark scenarios: the key pages and endpoints, measured by `make bench` (rapport/bench.py).

A scenario builds its request from the seeded data in `ctx` (ids picked once before timing).
Modules add theirs to extensions.BENCHMARKS.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Scenario:
    name: str
    method: str
    path: Callable[[dict], str]
    user: str = "bench_manager"  # a manager sees everything; api=True sends its token
    api: bool = False
    htmx: bool = False
    body: Callable[[dict, int], Any] | None = None  # (ctx, iteration) -> form dict or JSON dict
    headers: Callable[[dict, int], dict] | None = None
    target_ms: float = 50.0
    call: Callable[[dict, int], Any] | None = None  # timed instead of an HTTP request
    notes: str = ""
    extra: dict = field(default_factory=dict)


def _customer(ctx: dict) -> int:
    return ctx["customer_id"]


SCENARIOS = [
    Scenario("Customer list", "GET", lambda c: "/customers/"),
    Scenario("Customer list, search by name", "GET", lambda c: f"/customers/?q={c['search_name']}"),
    Scenario(
        "Customer list, search by pinyin initials",
        "GET",
        lambda c: f"/customers/?q={c['search_initials']}",
    ),
    Scenario(
        "Customer list, search by 4 phone digits",
        "GET",
        lambda c: f"/customers/?q={c['search_digits']}",
    ),
    Scenario(
        "Customer list, filter tier + stage", "GET", lambda c: "/customers/?tier=vip&stage=active"
    ),
    Scenario("Customer list, page 200", "GET", lambda c: "/customers/?page=200"),
    Scenario(
        "Customer 360 page (1,000-entry timeline)", "GET", lambda c: f"/customers/{_customer(c)}/"
    ),
    Scenario("API customer list", "GET", lambda c: "/api/v1/customers?limit=25", api=True),
    Scenario(
        "API customer search by phone",
        "GET",
        lambda c: f"/api/v1/customers?q={c['search_digits']}",
        api=True,
    ),
    Scenario("API customer read", "GET", lambda c: f"/api/v1/customers/{_customer(c)}", api=True),
]


def _purpose_context(ctx: dict) -> dict:
    from rapport.interactions.models import Interaction, Purpose

    return {
        "purpose_id": Purpose.objects.get(code="information").pk,
        "count_interactions": Interaction.objects.count(),
    }


CONTEXT_HOOKS = [_purpose_context]


def _quick_log(ctx: dict, i: int) -> dict:
    return {
        "channel": "phone",
        "direction": "inbound",
        "purpose": ctx["purpose_id"],
        "summary": f"基准测试来电 {i}:客户咨询保养预约。",
    }


def _api_interaction(ctx: dict, i: int) -> dict:
    return {
        "customer_id": ctx["customer_id"],
        "channel": "phone",
        "direction": "inbound",
        "purpose": "information",
        "summary": f"基准测试 API 来电 {i}",
        "duration_seconds": 120,
    }


SCENARIOS += [
    Scenario(
        "Timeline partial (htmx)",
        "GET",
        lambda c: f"/interactions/customers/{_customer(c)}/timeline/",
        htmx=True,
    ),
    Scenario(
        "Quick-log POST (htmx)",
        "POST",
        lambda c: f"/interactions/customers/{_customer(c)}/log/",
        htmx=True,
        body=_quick_log,
    ),
    Scenario("My tasks", "GET", lambda c: "/tasks/", user="bench_agent"),
    Scenario("Measures page (this and last month)", "GET", lambda c: "/measures/", target_ms=200),
    Scenario(
        "Measures page, a chosen quarter beside the one before",
        "GET",
        lambda c: "/measures/?date_from=2026-07-01&date_to=2026-09-30",
        target_ms=200,
    ),
    Scenario(
        "API interaction list for a customer",
        "GET",
        lambda c: f"/api/v1/interactions?customer_id={_customer(c)}",
        api=True,
    ),
    Scenario(
        "API interaction create with Idempotency-Key",
        "POST",
        lambda c: "/api/v1/interactions",
        api=True,
        body=_api_interaction,
        headers=lambda c, i: {"Idempotency-Key": f"bench-{c['run']}-{i}"},
    ),
    Scenario(
        "API customer timeline",
        "GET",
        lambda c: f"/api/v1/interactions/customers/{_customer(c)}/timeline",
        api=True,
    ),
    Scenario(
        "API measures for a month",
        "GET",
        lambda c: "/api/v1/measures?start=2026-10-01&end=2026-11-01",
        api=True,
        target_ms=200,
    ),
]

# The supervisor's team dashboard (issue 11): every team, as the manager sees it, and its poll.
SCENARIOS += [
    Scenario("Team dashboard (all teams)", "GET", lambda c: "/dashboard/", target_ms=100),
    Scenario(
        "Team dashboard poll (htmx)", "GET", lambda c: "/dashboard/", htmx=True, target_ms=100
    ),
    Scenario("Team dashboard breached list", "GET", lambda c: "/dashboard/breached/"),
    Scenario("Approvals inbox", "GET", lambda c: "/approvals/"),
]
