"""Where the time goes: one request per page, in process, on the request-rate data (10,000 artists,
1,000,000 ledger entries in atelier_bench; build it first with bench/request_rate.py).

    .venv/bin/python bench/page_times.py

For each page: the median of 3 requests (after a warm-up) with django.test.Client, the number of queries,
the time PostgreSQL took for them and the slowest query. Informational (no target): exits 0.
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_DATABASE_URL, setup_django  # noqa: E402

PAGES = [
    ("Artist home", "artist", "home", {}),
    ("Artist earnings", "artist", "payments:earnings", {}),
    ("Staff program overview", "staff", "testers:staff_program", {"slug": "rate"}),
    ("Staff artists", "staff", "testers:staff_artists", {"slug": "rate"}),
    ("Staff feedback triage", "staff", "testers:staff_feedback", {"slug": "rate"}),
    ("Staff time approvals", "staff", "testers:staff_timelogs", {"slug": "rate"}),
    ("Staff balances", "staff", "payments:ledger_overview", {"slug": "rate"}),
    ("Staff reports overview", "staff", "payments:reports_overview", {"slug": "rate"}),
    ("Staff reports earnings", "staff", "payments:reports_earnings", {"slug": "rate"}),
    ("Staff reports payouts", "staff", "payments:reports_payouts", {"slug": "rate"}),
    ("Staff reports year-end", "staff", "payments:reports_year_end", {"slug": "rate"}),
    ("Staff reports fair pay", "staff", "payments:reports_fair_pay", {"slug": "rate"}),
    ("Staff dashboard", "staff", "payments:reports_dashboard", {"slug": "rate"}),
]


def main():
    setup_django(BENCH_DATABASE_URL)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from atelier.models import User
    from testers.models import Membership

    first = Membership.objects.filter(program__slug="rate").order_by("pk").first()
    staff = User.objects.filter(email="rate-staff@bench.test").first()
    if first is None or staff is None:
        sys.exit("No request-rate data: run bench/request_rate.py first.")
    clients = {"artist": Client(), "staff": Client()}
    clients["artist"].force_login(first.artist.user)
    clients["staff"].force_login(staff)
    rows = []
    for label, who, name, kwargs in PAGES:
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            rows.append((label, "not present", "", "", "", ""))
            continue
        client = clients[who]
        client.get(url)
        times = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
        db = sum(float(q["time"]) for q in queries.captured_queries)
        slowest = max((float(q["time"]) for q in queries.captured_queries), default=0)
        rows.append((label, str(response.status_code), f"{statistics.median(times) * 1000:.0f}", str(len(queries)),
                     f"{db * 1000:.0f}", f"{slowest * 1000:.0f}"))
    header = ("Page", "HTTP", "ms", "queries", "DB ms", "slowest query ms")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
