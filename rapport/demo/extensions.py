"""Demo builders of the modules above customers, run in this order after staff and customers."""

from rapport.demo.interactions import build_interactions, seed_interactions

BUILDERS: list = [build_interactions]

# Bulk seeders for `rapport seed`: called as seeder(size=, rng=, customer_ids=, log=).
SEEDERS: list = [seed_interactions]

# Benchmark scenarios (rapport.demo.benchmarks.Scenario) added by the modules above customers.
BENCHMARKS: list = []
