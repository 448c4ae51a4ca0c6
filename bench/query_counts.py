"""SQL queries per page, at 10 and at 10,000 rows of the thing each page lists: the count must not grow.

    .venv/bin/python bench/query_counts.py            # builds its own database, atelier_bench_queries
    .venv/bin/python bench/query_counts.py --keep     # reuse the data of the previous run
    .venv/bin/python bench/query_counts.py --keep --only=payments:   # only the pages whose URL name has this

Three programs are filled with bulk inserts, "qc-10" with 10 rows of everything, "qc-100" with 100 and "qc-10000"
with 10,000:
artists (memberships, each with a payable Stripe account), and for one artist of each program 10 / 10,000
feedback items, time logs, share requests in review, approved and showcased works, ledger entries; per
program 10 / 10,000 invitations, rate cards, payout runs (and one run with 10 / 10,000 payouts), review
decisions and reconciliation reports. Every row satisfies the database's constraints: each artist has one
approved time log that their time ledger lines point at, paid payouts carry a transfer id and date, runs are
approved by a second user. Each page is requested twice with django.test.Client (the first
warms per-process caches) and the second one is counted with CaptureQueriesContext. A page whose URL name
does not exist (yet) is listed as "not present"; a page that does not answer 200 is a failure.
The page's HTML size is recorded at each size too (the program's slug, which differs in length between the
programs, is normalised first) and, for information, its CPU time in process (median of 3 requests).
Exit status 1 if any page's query count grows from 10 to 10,000 rows, or its HTML grows by more than 3% from 100
rows (every list's first page full) to 10,000.

QUERY_COUNTS_DATABASE_URL names another database (default atelier_bench_queries on BENCH_DATABASE_URL's
server).
"""
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_DATABASE_URL, approved_time_logs, make_artists, make_program, setup_django  # noqa: E402

DATABASE_URL = os.environ.get("QUERY_COUNTS_DATABASE_URL",
                              BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/atelier_bench_queries")
SIZES = (10, 100, 10_000)
# The HTML of a page at 10,000 rows may be at most this much larger than at 100 rows, where every list already
# fills its first page (its pagination and totals have more digits, and so do the ids in its links); more means it
# renders something per row it does not page. (At 10 rows a list shows 10 rows, not a page of 25: its bytes are
# printed, not compared.)
BYTES_TOLERANCE = 0.03

# (label, URL name, whose request: "artist" | "staff" | "public", kwargs builder)
PAGES = [
    ("Artist home /", "home", "artist", lambda ctx: {}),
    ("Artist feedback list", "testers:feedback_list", "artist", lambda ctx: {}),
    ("Artist time list", "testers:timelog_list", "artist", lambda ctx: {}),
    ("Artist earnings /earnings/", "payments:earnings", "artist", lambda ctx: {}),
    ("Artist share requests", "content_review:my_requests", "artist", lambda ctx: {}),
    ("Staff program overview", "testers:staff_program", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff artists", "testers:staff_artists", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff invitations", "testers:staff_invitations", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff feedback triage", "testers:staff_feedback", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff time approvals", "testers:staff_timelogs", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff review queue", "content_review:queue", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff rate cards", "payments:ratecard_list", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff balances", "payments:ledger_overview", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff one artist's ledger", "payments:ledger_member", "staff",
     lambda ctx: {"slug": ctx["slug"], "membership_id": ctx["membership"].pk}),
    ("Staff payout runs", "payments:payout_runs", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff payout run detail", "payments:payout_run", "staff",
     lambda ctx: {"slug": ctx["slug"], "run_id": ctx["big_run"].pk}),
    ("Staff reconciliations", "payments:reconciliations", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff reports overview", "payments:reports_overview", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff reports earnings", "payments:reports_earnings", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff reports payouts", "payments:reports_payouts", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff reports year-end", "payments:reports_year_end", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff reports fair pay", "payments:reports_fair_pay", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff dashboard", "payments:reports_dashboard", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Staff review report", "content_review:review_report", "staff", lambda ctx: {"slug": ctx["slug"]}),
    ("Public showcase", "content_review:showcase", "public", lambda ctx: {"slug": ctx["slug"]}),
]


def spread(i: int, n: int) -> int:
    """Days back for the i-th of n rows: every size spreads its rows over the same 300 days, so the reports' charts
    have as many months at 100 rows as at 10,000 and their HTML can be compared."""
    return i * 300 // n % 300


def build(n: int, staff):
    """Fill program qc-<n> with n rows of every listed thing (bulk inserts); return the page context."""
    from django.utils import timezone

    from content_review.models import ReviewDecision, ShareRequest, Work
    from payments.models import (
        LedgerEntry, Payout, PayoutRun, RateCard, ReconciliationReport, StripeAccount,
    )
    from atelier.models import User
    from testers.models import Feedback, Invitation, StaffRole, TimeLog

    program = make_program(f"qc-{n}")
    memberships = make_artists(program, n, prefix=f"qc{n}-artist")
    for role in StaffRole.Role.values:
        StaffRole.objects.get_or_create(user=staff, program=program, role=role)
    first = memberships[0]
    ctx = {"slug": program.slug, "program": program, "membership": first, "artist_user": first.artist.user}
    existing = PayoutRun.objects.filter(program=program, status=PayoutRun.Status.SENDING).first()
    if existing is not None:  # already built (--keep)
        ctx["big_run"] = existing
        return ctx

    today = timezone.localdate()
    now = timezone.now()
    # Four eyes: the database refuses a payout run approved by its creator.
    approver, _ = User.objects.get_or_create(email="qc-approver@bench.test",
                                             defaults={"first_name": "Bench", "last_name": "Approver"})
    accounts = StripeAccount.objects.bulk_create([
        StripeAccount(artist_id=m.artist_id, stripe_account_id=f"acct_qc{n}_{m.pk}", country="US",
                      state=StripeAccount.State.ENABLED, details_submitted=True, payouts_enabled=True,
                      transfers_active=True) for m in memberships], batch_size=2000)
    Feedback.objects.bulk_create([
        Feedback(membership=first, kind=Feedback.Kind.GENERAL, title=f"Feedback {i}", body="Body " * 20)
        for i in range(n)], batch_size=2000)
    TimeLog.objects.bulk_create([
        TimeLog(membership=first, date=today - timedelta(days=spread(i, n)), minutes=30 + i % 60,
                description="Tested the brushes") for i in range(n)], batch_size=2000)
    Invitation.objects.bulk_create([
        Invitation(program=program, email=f"invitee{i}@qc{n}.bench", name=f"Invitee {i}",
                   expires_at=now + timedelta(days=14), invited_by=staff) for i in range(n)], batch_size=2000)
    RateCard.objects.bulk_create([
        RateCard(program=program, version=i + 1, effective_date=date(1990, 1, 1) + timedelta(days=i),
                 currency=program.currency, hourly_rate_minor=3000, feedback_general_minor=500,
                 minimum_payout_minor=100, fair_pay_floor_hourly_minor=2000) for i in range(n)], batch_size=2000)
    # Share requests: n in review (the queue), n approved with a showcased work (the showcase).
    in_review = ShareRequest.objects.bulk_create([
        ShareRequest(membership=first, title=f"Request {i}", caption="My drawing", platforms=["instagram"],
                     status=ShareRequest.Status.SUBMITTED, submitted_at=now, first_submitted_at=now,
                     deadline_at=now + timedelta(days=5, minutes=i)) for i in range(n)], batch_size=2000)
    approved = ShareRequest.objects.bulk_create([
        ShareRequest(membership=first, title=f"Approved {i}", caption="Shared", platforms=["website"],
                     status=ShareRequest.Status.APPROVED, submitted_at=now - timedelta(days=2),
                     first_submitted_at=now - timedelta(days=2), deadline_at=now + timedelta(days=3),
                     decided_at=now - timedelta(minutes=i),
                     first_decided_at=now - timedelta(minutes=i)) for i in range(n)], batch_size=2000)
    Work.objects.bulk_create([
        Work(share_request=r, kind=Work.Kind.IMAGE, original_name="drawing.png", mime_type="image/png",
             extension="png", width=800, height=600, size_bytes=1000, original=f"bench/{r.pk}.png",
             clean=f"bench/{r.pk}-clean.png", thumbnail=f"bench/{r.pk}-thumb.png",
             processing_status=Work.FileStatus.READY) for r in in_review], batch_size=2000)
    Work.objects.bulk_create([
        Work(share_request=r, kind=Work.Kind.IMAGE, original_name="shared.png", mime_type="image/png",
             extension="png", width=800, height=600, size_bytes=1000, original=f"bench/{r.pk}.png",
             clean=f"bench/{r.pk}-clean.png", thumbnail=f"bench/{r.pk}-thumb.png",
             processing_status=Work.FileStatus.READY, published=f"bench/{r.pk}-published.png",
             published_credit="© Bench", published_status=Work.FileStatus.READY, showcase_consent=True,
             showcase_consent_at=now) for r in approved], batch_size=2000)
    ReviewDecision.objects.bulk_create([
        ReviewDecision(share_request=r, outcome=ReviewDecision.Outcome.APPROVE, decided_by=staff,
                       submitted_at=r.submitted_at, created_at=r.decided_at) for r in approved], batch_size=2000)
    # Ledger: n entries for the first artist (their earnings) and one per artist (balances, reports). A time
    # entry needs its time log: one approved log per artist, shared by that artist's lines.
    time_logs = approved_time_logs(memberships, day=today - timedelta(days=1), decided_by=staff)
    entries = [LedgerEntry(program=program, membership=first, kind=LedgerEntry.Kind.TIME, amount_minor=1500 + i,
                           currency=program.currency, source_key=f"qc{n}:first:{i}",
                           work_date=today - timedelta(days=spread(i, n)), unit_rate_minor=3000, quantity="0.50",
                           description="Testing time", time_log_id=time_logs[first.pk]) for i in range(n)]
    entries += [LedgerEntry(program=program, membership=m, kind=LedgerEntry.Kind.TIME, amount_minor=3000,
                            currency=program.currency, source_key=f"qc{n}:each:{m.pk}",
                            work_date=today - timedelta(days=spread(j, n)), unit_rate_minor=3000, quantity="1.00",
                            description="Testing time", time_log_id=time_logs[m.pk]) for j, m in enumerate(memberships)]
    LedgerEntry.objects.bulk_create(entries, batch_size=5000)
    # Payout runs: n completed one-day runs, plus one run (sending) with a payout to each of the n artists.
    PayoutRun.objects.bulk_create([
        PayoutRun(program=program, period_start=date(1990, 1, 1) + timedelta(days=i),
                  period_end=date(1990, 1, 1) + timedelta(days=i), currency=program.currency,
                  status=PayoutRun.Status.COMPLETED, total_minor=1000, created_by=staff, approved_by=approver,
                  approved_at=now, completed_at=now) for i in range(n)], batch_size=2000)
    big_run = PayoutRun.objects.create(program=program, period_start=today - timedelta(days=1),
                                       period_end=today - timedelta(days=1), currency=program.currency,
                                       status=PayoutRun.Status.SENDING, total_minor=3000 * n, created_by=staff,
                                       approved_by=approver, approved_at=now)
    by_artist = {a.artist_id: a for a in accounts}
    # Every other payout paid (a paid payout carries its transfer id and date), the rest pending.
    Payout.objects.bulk_create([
        Payout(run=big_run, membership=m, stripe_account=by_artist[m.artist_id], amount_minor=3000,
               currency=program.currency, status=Payout.Status.PAID if i % 2 else Payout.Status.PENDING,
               stripe_transfer_id=f"tr_qc{n}_{m.pk}" if i % 2 else "", paid_at=now if i % 2 else None,
               attempts=1 if i % 2 else 0, first_sent_at=now if i % 2 else None,
               last_attempt_at=now if i % 2 else None)
        for i, m in enumerate(memberships)], batch_size=2000)
    ReconciliationReport.objects.bulk_create([
        ReconciliationReport(program=program, period_start=today - timedelta(days=30), period_end=today,
                             checked_payouts=i, checked_transfers=i) for i in range(n)], batch_size=2000)
    ctx["big_run"] = big_run
    return ctx


def measure(client, url, slug):
    """(HTTP status, queries, HTML bytes with the slug normalised, median CPU ms of 3 requests)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up: per-process caches (content types, site, templates)
    # Each request starts by emptying the query log (request_started -> reset_queries): start from an empty log, or
    # the context's start index lies past the request's queries and it counts none.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # now: the next requests empty the log this reads
    html = response.content.replace(slug.encode(), b"qc-slug")
    cpu = []
    for _ in range(3):
        started = time.process_time()
        client.get(url)
        cpu.append(time.process_time() - started)
    return response.status_code, count, len(html), statistics.median(cpu) * 1000


def main():
    keep = "--keep" in sys.argv
    setup_django(DATABASE_URL, fresh=not keep)
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from atelier.accounts import ensure_totp
    from atelier.models import User

    staff, _ = User.objects.get_or_create(email="qc-staff@bench.test",
                                          defaults={"is_superuser": True, "first_name": "Bench", "last_name": "Staff"})
    ensure_totp(staff)
    contexts = {}
    for n in SIZES:
        started = time.perf_counter()
        contexts[n] = build(n, staff)
        print(f"data for {n:,} rows: {time.perf_counter() - started:.1f} s", flush=True)
    from django.db import connection

    # Fresh bulk inserts have no planner statistics yet: PostgreSQL would plan for 5 rows where there are 10,000.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    clients = {}
    for n in SIZES:
        artist = Client()
        artist.force_login(contexts[n]["artist_user"])
        staff_client = Client()
        staff_client.force_login(staff)
        clients[n] = {"artist": artist, "staff": staff_client, "public": Client()}

    rows, failures = [], 0
    only = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")]
    for label, name, who, kwargs in PAGES:
        if only and not any(o in name for o in only):
            continue
        try:
            urls = {n: reverse(name, kwargs=kwargs(contexts[n])) for n in SIZES}
        except NoReverseMatch:
            rows.append((label, name, "-", "-", "-", "-", "-", "-", "not present"))
            continue
        results = {n: measure(clients[n][who], urls[n], contexts[n]["slug"]) for n in SIZES}
        small, full, large = (results[n] for n in SIZES)
        problems = []
        if any(r[0] != 200 for r in results.values()):
            problems.append("HTTP " + "/".join(str(r[0]) for r in results.values()))
        else:
            if large[1] > small[1]:
                problems.append(f"+{large[1] - small[1]} queries")
            if large[2] > full[2] * (1 + BYTES_TOLERANCE):
                problems.append(f"HTML +{(large[2] - full[2]) / full[2]:.0%}")
        verdict = f"FAIL ({', '.join(problems)})" if problems else "pass"
        failures += bool(problems)
        rows.append((label, name, str(small[1]), str(large[1]), f"{small[2]:,}", f"{full[2]:,}", f"{large[2]:,}",
                     f"{small[3]:.0f}", f"{full[3]:.0f}", f"{large[3]:.0f}", verdict))

    header = ("Page", "URL name", "queries 10", "queries 10,000", "bytes 10", "bytes 100", "bytes 10,000",
              "CPU ms 10", "CPU ms 100", "CPU ms 10,000", "Result")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    print(f"\n{sum(1 for r in rows if r[-1] == 'pass')} pass, {failures} fail, "
          f"{sum(1 for r in rows if r[-1] == 'not present')} not present")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
