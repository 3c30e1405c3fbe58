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
    Scenario("Customer 360 page", "GET", lambda c: f"/customers/{_customer(c)}/"),
    Scenario("API customer list", "GET", lambda c: "/api/v1/customers?limit=25", api=True),
    Scenario(
        "API customer search by phone",
        "GET",
        lambda c: f"/api/v1/customers?q={c['search_digits']}",
        api=True,
    ),
    Scenario("API customer read", "GET", lambda c: f"/api/v1/customers/{_customer(c)}", api=True),
]
