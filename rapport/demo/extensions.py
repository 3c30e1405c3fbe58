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

# service levels (after tickets: the clocks follow the tickets' timestamps)
from rapport.demo.sla import bench_context as sla_bench_context  # noqa: E402
from rapport.demo.sla import benchmarks as sla_benchmarks  # noqa: E402
from rapport.demo.sla import build_sla, seed_sla  # noqa: E402

BUILDERS.insert(BUILDERS.index(build_tickets) + 1, build_sla)
SEEDERS.insert(SEEDERS.index(seed_tickets) + 1, seed_sla)
BENCHMARKS.extend(sla_benchmarks())
BENCH_CONTEXT.append(sla_bench_context)

# messaging (after tickets: a customer's reply threads into one of their open tickets)
from rapport.demo.messaging import bench_context as messaging_bench_context  # noqa: E402
from rapport.demo.messaging import benchmarks as messaging_benchmarks  # noqa: E402
from rapport.demo.messaging import build_messaging  # noqa: E402

BUILDERS.insert(BUILDERS.index(build_sla) + 1, build_messaging)
BENCHMARKS.extend(messaging_benchmarks())
BENCH_CONTEXT.append(messaging_bench_context)

# knowledge base (after tickets and messaging: closed tickets' cases go into the index)
from rapport.demo.knowledge import bench_context as knowledge_bench_context  # noqa: E402
from rapport.demo.knowledge import benchmarks as knowledge_benchmarks  # noqa: E402
from rapport.demo.knowledge import build_knowledge, seed_knowledge  # noqa: E402

BUILDERS.append(build_knowledge)
SEEDERS.append(seed_knowledge)
BENCHMARKS.extend(knowledge_benchmarks())
BENCH_CONTEXT.append(knowledge_bench_context)

# WeChat and WeCom (after messaging: the chat accounts sit beside the mailbox)
from rapport.demo.chat import build_chat  # noqa: E402

BUILDERS.insert(BUILDERS.index(build_messaging) + 1, build_chat)

# customer care (after messaging: the maintenance reminders go out through the demo mailbox)
from rapport.demo.care import build_care  # noqa: E402

BUILDERS.insert(BUILDERS.index(build_messaging) + 1, build_care)

# phone (after messaging: the call centre account sits beside the mailbox)
from rapport.demo.phone import build_phone  # noqa: E402

BUILDERS.insert(BUILDERS.index(build_messaging) + 1, build_phone)
# SMS (after messaging: the demo's fake SMS account, replies and the opt-out)
from rapport.demo.sms import build_sms  # noqa: E402

BUILDERS.insert(BUILDERS.index(build_messaging) + 1, build_sms)

# workspace: search everywhere and bulk work
from rapport.demo.workspace import bench_context as workspace_bench_context  # noqa: E402
from rapport.demo.workspace import benchmarks as workspace_benchmarks  # noqa: E402

BENCHMARKS.extend(workspace_benchmarks())
BENCH_CONTEXT.append(workspace_bench_context)
# appointments and work orders (after care: the two-day reminder program is activated)
from rapport.demo.appointments import build_appointments  # noqa: E402

BUILDERS.append(build_appointments)

# appointments bench: a 20-bay workshop booked over 14 days, today's arrivals and work orders
from rapport.demo.appointments_bench import bench_context as appointments_bench_context  # noqa: E402
from rapport.demo.appointments_bench import benchmarks as appointments_benchmarks  # noqa: E402

BENCHMARKS.extend(appointments_benchmarks())
BENCH_CONTEXT.append(appointments_bench_context)


# phrasing coach and upset detection
from rapport.demo.assist import benchmarks as assist_benchmarks  # noqa: E402

BENCHMARKS.extend(assist_benchmarks())

# routing (last: the cap sits above the backlog the other builders left)
from rapport.demo.routing import build_routing  # noqa: E402

BUILDERS.append(build_routing)

# the measures' rollups (last: builders above wrote interactions and status intervals around the
# services, or moved them in time; the bulk seeder rebuilds them itself)
from rapport.demo.interactions import build_rollups  # noqa: E402

BUILDERS.append(build_rollups)
