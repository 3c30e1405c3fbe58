"""The knowledge base at benchmark size without seeding the whole dataset (that takes an hour).

    PYTHONPATH=$PWD python scripts/kb_dataset.py seed  --size M   # var/kb-M.sqlite3, ~10 min
    PYTHONPATH=$PWD python scripts/kb_dataset.py bench --size M   # median / p95 per search
    PYTHONPATH=$PWD python scripts/kb_dataset.py dump  --size M > before.json  # ids per query

`seed` migrates a fresh SQLite file, creates a few staff and 1,000 customers, the tickets the
archived cases hang on (rapport.demo.tickets.seed_tickets) and the knowledge rows
(rapport.demo.knowledge.seed_knowledge), then one ticket in progress for the suggestions panel.
`bench` times the same calls as `rapport.bench --only knowledge` plus more queries; `dump` prints
the ids each search returns, in order, to compare two versions of the code on the same data.
SQLITE_PATH overrides the file; with DATABASE_URL (an empty PostgreSQL database of your own) the
same runs there.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    "异响", "漏油", "退款", "正时皮带", "空调不制冷", "刹车 异响", "冷媒泄漏", "油",
    "yixiang", "oil leak", "battery", "发动机 漏油 退款", "zhengshipidai", "三包",
]  # fmt: skip
BENCH_QUERIES = [
    "异响",
    "漏油",
    "退款",
    "空调不制冷",
    "刹车 异响",
    "yixiang",
    "冷媒泄漏",
    "油",
]  # rapport.bench
TICKET_TEXTS = [
    "客户反映冷启动时发动机异响，保养后又发现底盘漏油，要求退款并投诉。",
    "空调不制冷，4S店说冷媒泄漏，客户要求按三包免费维修，否则投诉到12315。",
    "The customer says the brakes squeak and the battery is flat every morning; wants a refund.",
    "车机黑屏，胎压报警，客户很生气，说等配件等了两个星期还没到。",
]


def setup(size: str) -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(ROOT / "var" / f"kb-{size}.sqlite3"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def seed(size: str) -> None:
    from django.core.management import call_command

    from rapport.demo.knowledge import seed_knowledge
    from rapport.demo.seed import seed_customers
    from rapport.demo.tickets import seed_tickets
    from rapport.staff.models import User
    from rapport.tickets.models import Ticket, TicketType

    call_command("migrate", interactive=False, verbosity=0)
    if Ticket.objects.exists():
        sys.exit("the database is already seeded")
    rng = random.Random(7)
    log = lambda line: print(line, flush=True)  # noqa: E731
    customer_ids = seed_customers(count=1000, rng=rng, log=log)
    if not TicketType.objects.exists():
        TicketType.objects.create(code="general", name_zh="一般投诉", name_en="General")
    seed_tickets(size=size, rng=rng, customer_ids=customer_ids, log=log)
    seed_knowledge(size=size, rng=rng, customer_ids=customer_ids, log=log)
    if not User.objects.filter(username="bench_manager").exists():
        from rapport.staff.models import Team
        from rapport.staff.services import staff_create

        manager = staff_create(
            username="bench_manager", password="bench-password-1", role="manager"
        )
        manager.teams.set(Team.objects.all())
    working = Ticket.objects.filter(status="in_progress").order_by("-id").first()
    Ticket.objects.filter(pk=working.pk).update(
        subject="冷启动异响，保养后漏油", description=TICKET_TEXTS[0]
    )
    from rapport.demo.seed import sequences_reset

    sequences_reset()  # PostgreSQL: the seeders insert explicit ids
    print("ready")


def _searches():
    from rapport.knowledge.search import search_articles, search_cases, suggest

    calls = {
        "article search (bench's 8)": [lambda q=q: search_articles(q) for q in BENCH_QUERIES],
        "case search (bench's 8)": [lambda q=q: search_cases(q) for q in BENCH_QUERIES],
        "article search": [lambda q=q: search_articles(q) for q in QUERIES],
        "case search": [lambda q=q: search_cases(q) for q in QUERIES],
        "suggest (bench's text)": [lambda: suggest(TICKET_TEXTS[0])],
        "suggest": [lambda t=t: suggest(t) for t in TICKET_TEXTS],
    }
    return calls


def bench(size: str, rounds: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rapport.staff.models import User
    from rapport.tickets.models import Ticket

    calls = _searches()
    client = Client()
    client.force_login(User.objects.get(username="bench_manager"))
    working = (
        Ticket.objects.filter(status="in_progress").order_by("-id").values_list("id", flat=True)[0]
    )
    panel = f"/knowledge/suggest/ticket/{working}/"

    def get(path):
        response = client.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200, (path, response.status_code)

    calls["panel"] = [lambda: get(panel)]
    calls["staff list, search 异响"] = [lambda: get("/knowledge/?q=异响")]
    calls["help page, search 退款"] = [lambda: get("/help/?q=退款")]
    per_query: dict[str, list[float]] = {}

    def p95(values: list[float]) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, round(0.95 * len(values)) - 1)]

    for name, fns in calls.items():
        timings, cpu = [], []
        for fn in fns * 3:  # warm-up
            fn()
        for _round in range(max(rounds, -(-50 // len(fns)))):  # at least 50 calls
            for k, fn in enumerate(fns):
                with CaptureQueriesContext(connection) as captured:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    fn()
                    elapsed = (time.perf_counter() - started) * 1000
                    cpu.append((time.process_time() - started_cpu) * 1000)
                timings.append(elapsed)
                per_query.setdefault(f"{name} #{k}", []).append(elapsed)
        print(
            f"{name:<30} median {statistics.median(timings):6.1f} ms  p95 {p95(timings):6.1f} ms"
            f"  (CPU median {statistics.median(cpu):6.1f}, p95 {p95(cpu):6.1f})"
            f"  {len(captured.captured_queries)} q  ({len(timings)} calls)",
            flush=True,
        )
    slowest = sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))[:8]
    for key, values in slowest:
        print(f"  slowest: {key:<28} median {statistics.median(values):7.1f} ms")


def dump(size: str) -> None:
    from rapport.knowledge.search import search_articles, search_cases, suggest
    from rapport.knowledge.selectors import article_search_for_staff
    from rapport.staff.models import User

    staff = User.objects.get(username="bench_manager")
    out: dict[str, list] = {}
    for q in QUERIES:
        out[f"articles {q}"] = [h.entry.pk for h in search_articles(q, limit=30)]
        out[f"public {q}"] = [h.entry.pk for h in search_articles(q, audience="public")]
        out[f"cases {q}"] = [h.entry.pk for h in search_cases(q, limit=30)]
        out[f"staff {q}"] = [a.pk for a, _h in article_search_for_staff(staff=staff, q=q)]
        out[f"matched {q}"] = [h.matched for h in search_cases(q)]
    for n, text in enumerate(TICKET_TEXTS):
        articles, cases = suggest(text)
        out[f"suggest {n}"] = [[h.entry.pk for h in articles], [h.entry.pk for h in cases]]
        out[f"suggest matched {n}"] = [[h.matched for h in articles], [h.matched for h in cases]]
    json.dump(out, sys.stdout, ensure_ascii=False, indent=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["seed", "bench", "dump"])
    parser.add_argument("--size", choices=["S", "M"], default="M")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    setup(args.size)
    if args.action == "seed":
        seed(args.size)
    elif args.action == "bench":
        bench(args.size, args.rounds)
    else:
        dump(args.size)


if __name__ == "__main__":
    main()
