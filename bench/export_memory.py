"""Peak memory of the streamed ledger CSV export as the row count grows (it should stay flat).

    DATABASE_URL=postgres://... .venv/bin/python bench/export_memory.py            # 10k and 100k rows
    DATABASE_URL=postgres://... .venv/bin/python bench/export_memory.py 1000 10000 100000 300000

For each size it inserts that many ledger lines in one transaction, streams the export through the real
view (as the browser would get it), measures the Python heap peak with tracemalloc, and compares it with
what loading the same rows in a list would cost. Everything is rolled back at the end: nothing is left in
the database (the ledger is append-only, so the bench never commits).
"""
import os
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from atelier.accounts import ensure_totp  # noqa: E402
from atelier.models import User  # noqa: E402
from common import approved_time_logs  # noqa: E402
from payments.models import LedgerEntry  # noqa: E402
from payments.reports import selectors  # noqa: E402
from payments.reports.selectors import Filters, Period  # noqa: E402
from payments.views.reports import export  # noqa: E402
from testers.models import ArtistProfile, Membership, Program  # noqa: E402

ARTISTS = 100


class Rollback(Exception):
    pass


def insert(program, rows, tag):
    users = User.objects.bulk_create([User(email=f"bench-{tag}-{i}@example.test", password="!") for i in range(ARTISTS)])
    artists = ArtistProfile.objects.bulk_create(
        [ArtistProfile(user=u, display_name=f"Bench artist {i}", legal_name=f"Bench Legal {i}") for i, u in enumerate(users)])
    members = Membership.objects.bulk_create([Membership(program=program, artist=a) for a in artists])
    # A time entry needs its time log: one approved log per artist, shared by that artist's lines.
    time_logs = approved_time_logs(members, day=date(2025, 1, 1), description="1 h of testing")
    batch, made = [], 0
    while made < rows:
        m = members[made % ARTISTS]
        batch.append(LedgerEntry(
            program=program, membership=m, kind=LedgerEntry.Kind.TIME, amount_minor=2000, currency="USD",
            source_key=f"bench:{tag}:{made}", work_date=date(2025, 1, 1) + timedelta(days=made % 365),
            quantity=Decimal("1.00"), unit_rate_minor=2000, description="1 h of testing", time_log_id=time_logs[m.pk],
        ))
        made += 1
        if len(batch) == 10_000:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)


def measure_streamed(program, admin):
    request = RequestFactory().get(f"/staff/{program.slug}/reports/export/ledger.csv",
                                   {"start": "2025-01-01", "end": "2025-12-31"})
    request.user = admin
    tracemalloc.start()
    began = time.perf_counter()
    response = export(request, program.slug, "ledger", "csv")
    size = lines = 0
    for chunk in response.streaming_content:  # chunks of about 64 KB; the bench's text holds no line break
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, elapsed, lines - 1, size


def measure_loaded(program):
    tracemalloc.start()
    rows = list(selectors.ledger_lines(program, Filters(Period(date(2025, 1, 1), date(2025, 12, 31)))))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del rows
    return peak


def main(sizes):
    print(f"{'rows':>9} | {'streamed peak':>13} | {'list() peak':>11} | {'CSV size':>9} | {'time':>6}")
    print(f"{'-' * 9}-+-{'-' * 13}-+-{'-' * 11}-+-{'-' * 9}-+-{'-' * 6}")
    for n in sizes:
        try:
            with transaction.atomic():
                program = Program.objects.create(name=f"Bench {n}", slug=f"bench-export-{n}", currency="USD")
                admin = User.objects.create(email=f"bench-admin-{n}@example.test", is_superuser=True)
                ensure_totp(admin)  # staff pages need two-factor authentication set up
                insert(program, n, n)
                peak, elapsed, lines, size = measure_streamed(program, admin)
                assert lines == n, (lines, n)
                loaded = measure_loaded(program)
                print(f"{n:>9,} | {peak / 1e6:>10.2f} MB | {loaded / 1e6:>8.1f} MB | {size / 1e6:>6.1f} MB | "
                      f"{elapsed:>5.1f}s")
                raise Rollback
        except Rollback:
            pass


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
