"""The benchmark's pages on a CI-sized dataset (issue 16 #6): every read scenario of `make
bench` answers, and its query count stays the same when the data doubles. A page whose queries
grow with the data (a loop of reads per row) fails here, in seconds, long before `make bench-m`
would show it as a slow page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _read_scenarios():
    from rapport.demo import extensions
    from rapport.demo.benchmarks import SCENARIOS

    return [s for s in [*SCENARIOS, *extensions.BENCHMARKS] if s.method == "GET" and not s.call]


def _query_counts(ctx: dict, clients: dict) -> dict[str, tuple[int, int]]:
    counts = {}
    for scenario in _read_scenarios():
        client = clients(scenario.user, scenario.api)
        headers = dict(scenario.headers(ctx, 0)) if scenario.headers else {}
        if scenario.htmx:
            headers["HX-Request"] = "true"
        path = scenario.path(ctx)
        client.get(path, headers=headers)  # the per-process memos fill on the first request
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(path, headers=headers)
        counts[scenario.name] = (answer.status_code, len(captured.captured_queries))
    return counts


def test_no_benchmarked_page_reads_more_when_the_data_doubles(settings):
    from rapport.bench import prepare
    from rapport.demo import extensions
    from rapport.demo.benchmarks import CONTEXT_HOOKS
    from rapport.demo.seed import seed
    from rapport.staff.models import User
    from rapport.staff.services import api_token_create

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    ctx = prepare("XS")
    ctx["run"] = "smoke"
    for hook in [*CONTEXT_HOOKS, *extensions.BENCH_CONTEXT]:
        ctx.update(hook(ctx))
    made: dict[tuple[str, bool], Client] = {}

    def clients(username: str, api: bool) -> Client:
        if (username, api) not in made:
            user = User.objects.get(username=username)
            if api:
                _token, raw = api_token_create(user=user, name="smoke")
                made[(username, api)] = Client(headers={"Authorization": f"Bearer {raw}"})
            else:
                made[(username, api)] = Client()
                made[(username, api)].force_login(user)
        return made[(username, api)]

    # Twice the XS data first, so no list is empty (an empty list skips its reads), then half
    # as much again.
    seed(size="XS", seed=4, log=lambda *args: None)
    before = _query_counts(ctx, clients)
    seed(size="XS", seed=5, log=lambda *args: None)
    after = _query_counts(ctx, clients)

    assert len(before) > 30
    failed = {name: status for name, (status, _q) in after.items() if status >= 400}
    assert not failed, f"scenarios answering an error: {failed}"
    grown = {
        name: f"{before[name][1]} → {queries}"
        for name, (_status, queries) in after.items()
        if queries > before[name][1]
    }
    assert not grown, f"queries that grew with the data: {grown}"
