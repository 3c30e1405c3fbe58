"""Demo builders of the modules above customers, run in this order after staff and customers."""

BUILDERS: list = []

# Bulk seeders for `rapport seed`: called as seeder(size=, rng=, customer_ids=, log=).
SEEDERS: list = []

# Benchmark scenarios (rapport.demo.benchmarks.Scenario) added by the modules above customers.
BENCHMARKS: list = []
