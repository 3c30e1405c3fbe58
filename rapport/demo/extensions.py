"""Demo builders of the modules above customers, run in this order after staff and customers."""

from rapport.demo.interactions import build_interactions, seed_interactions

BUILDERS: list = [build_interactions]

# Bulk seeders for `rapport seed`: called as seeder(size=, rng=, customer_ids=, log=).
SEEDERS: list = [seed_interactions]

# Benchmark scenarios (rapport.demo.benchmarks.Scenario) added by the modules above customers.
BENCHMARKS: list = []

# Hooks called as hook(ctx) -> dict by rapport/bench.py to add ids and links the scenarios need.
BENCH_CONTEXT: list = []

# tickets
from rapport.demo.tickets import bench_context as tickets_bench_context  # noqa: E402
from rapport.demo.tickets import benchmarks as tickets_benchmarks  # noqa: E402
from rapport.demo.tickets import build_tickets, seed_tickets  # noqa: E402

BUILDERS.append(build_tickets)
SEEDERS.append(seed_tickets)
BENCHMARKS.extend(tickets_benchmarks())
BENCH_CONTEXT.append(tickets_bench_context)

# surveys
from rapport.demo.surveys import bench_context as surveys_bench_context  # noqa: E402
from rapport.demo.surveys import benchmarks as surveys_benchmarks  # noqa: E402
from rapport.demo.surveys import build_surveys, seed_surveys  # noqa: E402

BUILDERS.append(build_surveys)
SEEDERS.append(seed_surveys)
BENCHMARKS.extend(surveys_benchmarks())
BENCH_CONTEXT.append(surveys_bench_context)
