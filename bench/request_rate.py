"""Request rate of key pages against a bare Django view served the same way, interleaved (issue #14).

    .venv/bin/python bench/request_rate.py                       # 3 rounds of 5 s per page and per bare run
    BENCH_ROUNDS=5 BENCH_SECONDS=10 BENCH_CONNECTIONS=4 .venv/bin/python bench/request_rate.py
    BENCH_LOADER=python .venv/bin/python bench/request_rate.py    # the Python client even if wrk is there
    .venv/bin/python bench/request_rate.py --build                # only build (or check) the data

Data (database atelier_bench, built once and reused; a version marker rebuilds it when this builder changes,
an interrupted build resumes): program "rate" with 10,000 artists, 1,000,000 time ledger entries (COPY, ~100
per artist over the last 365 days, each pointing at its artist's one approved time log), 20,000 feedback
items, 10,000 pending time logs, one rate card; 10,000 share requests with a work each over every 7th artist
in turn (in review, escalated, approved with their decisions, refused, appealed with a pending appeal); a
Stripe account per artist (97% payable); a sending run of 10,000 payouts (paid, pending, failed and credited
back, held, unknown) with their ledger debits; staff holding one role each (reviewer, finance, manager) and
one holding all, each with a TOTP authenticator.

Served by gunicorn (2 sync workers, DJANGO_DEBUG=false, DJANGO_SETTINGS_MODULE=bench.settings, which adds
/bench/bare/ returning "ok" and /bench/template/, the signed-in empty layout, in front of the product's URLs),
loaded with wrk (or, without wrk, a small threaded Python client) sending a signed-in session cookie (the
same cookie to the bare view). Every page is measured interleaved with the bare view, ABAB: BENCH_ROUNDS
(3) rounds of bare then page, BENCH_SECONDS (5) each after a 1 s warm-up of the page; reported per page: the
median req/s and its spread, and the median of the per-round ratios page / bare (with their spread), and the
size of the page's HTML (a list page must not grow with the data: check the bytes, not only the queries). Staff
pages are measured as the single-role user who may see them and as the all-roles user.
Targets: the signed-in layout >= 0.5 of bare, every other page >= 0.25 (the goal is 0.5). Exit status 1 if a
target is missed or a page answers anything but 200.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (BENCH_DATABASE_URL, ROOT, approved_time_logs, is_built, make_artists,  # noqa: E402
                    make_program, mark_built, median, setup_django)

ARTISTS = 10_000
LEDGER_ENTRIES = 1_000_000
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = max(int(os.environ.get("BENCH_ROUNDS", "3")), 1)
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
# The shared cache production requires (atelier.E001): the two workers must see each other's invalidations.
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11")
LAYOUT_TARGET, PAGE_TARGET, PAGE_GOAL = 0.5, 0.25, 0.5


def staff_users(program):
    """Staff with one role each (reviewer, finance, manager) and one with every role, each with a TOTP
    authenticator (staff pages need one). Returns {"reviewer": user, "finance": …, "manager": …, "all": …}."""
    from atelier.accounts import ensure_totp
    from atelier.models import User
    from testers.models import StaffRole

    users = {}
    for key, roles in [("all", StaffRole.Role.values), *[(role, [role]) for role in StaffRole.Role.values]]:
        email = "rate-staff@bench.test" if key == "all" else f"rate-{key}@bench.test"
        user, _ = User.objects.get_or_create(email=email, defaults={"first_name": "Bench", "last_name": key.title()})
        ensure_totp(user)
        for role in roles:
            StaffRole.objects.get_or_create(user=user, program=program, role=role)
        users[key] = user
    return users


def stripe_accounts(memberships):
    """One account per artist: 97% payable, 2% still needing details, 1% disabled by Stripe."""
    from payments.models import StripeAccount

    if StripeAccount.objects.filter(artist_id=memberships[0].artist_id).exists():
        return dict(StripeAccount.objects.filter(artist__memberships__in=memberships).values_list("artist_id", "pk"))
    rows = []
    for i, m in enumerate(memberships):
        account = StripeAccount(artist_id=m.artist_id, stripe_account_id=f"acct_rate{m.pk:08d}", country="US")
        if i % 100 < 97:
            account.state, account.details_submitted = StripeAccount.State.ENABLED, True
            account.payouts_enabled = account.transfers_active = True
        elif i % 100 < 99:
            account.state, account.requirements_due = StripeAccount.State.DETAILS_NEEDED, ["individual.id_number"]
        else:
            account.state, account.disabled_reason = StripeAccount.State.DISABLED, "rejected.fraud"
        rows.append(account)
    StripeAccount.objects.bulk_create(rows, batch_size=2000)
    return {a.artist_id: a.pk for a in rows}


def share_requests(program, memberships, staff):
    """SHARE_REQUESTS share requests spread over the artists (every 7th artist in turn), each with one work,
    in the states the review actions leave them: in review (40%), escalated past the deadline (5%), approved
    (30%, with the approving decision; a tenth with conditions), refused (15%, with the refusal) and refused
    then appealed (10%, with the refusal and a pending appeal decided by someone else than the refuser)."""
    from django.utils import timezone

    from content_review.models import Appeal, ReviewDecision, ShareRequest, Work

    if ShareRequest.objects.filter(membership__program=program).exists():
        return
    now = timezone.now()
    S, O = ShareRequest.Status, ReviewDecision.Outcome
    plan = [(S.SUBMITTED, 40), (S.ESCALATED, 5), (S.APPROVED, 30), (S.REFUSED, 15), (S.APPEALED, 10)]
    statuses = [status for status, share in plan for _ in range(share)]
    requests = []
    for i in range(SHARE_REQUESTS):
        status = statuses[i % 100]
        submitted = now - timedelta(days=i % 20, minutes=i)
        r = ShareRequest(membership=memberships[(i * 7) % len(memberships)], title=f"Share request {i}",
                         caption="Made with the new brushes", platforms=["instagram", "website"],
                         status=status, first_submitted_at=submitted, submitted_at=submitted,
                         deadline_at=submitted + timedelta(days=5))
        if status == S.ESCALATED:
            r.escalated_at, r.escalated_to = submitted + timedelta(days=5), staff["manager"]
            r.escalation_deadline_at = r.escalated_at + timedelta(days=3)
        if status in (S.APPROVED, S.REFUSED, S.APPEALED):
            r.decided_at = r.first_decided_at = submitted + timedelta(hours=3)
        requests.append(r)
    ShareRequest.objects.bulk_create(requests, batch_size=2000)
    Work.objects.bulk_create([
        Work(share_request=r, kind=Work.Kind.IMAGE, original_name=f"drawing-{r.pk}.png", mime_type="image/png",
             extension="png", width=1600, height=1200, size_bytes=250_000, original=f"bench/{r.pk}.png",
             clean=f"bench/{r.pk}-clean.png", thumbnail=f"bench/{r.pk}-thumb.png",
             processing_status=Work.FileStatus.READY,
             published_status=Work.FileStatus.READY if r.status == S.APPROVED else Work.FileStatus.NONE,
             published=f"bench/{r.pk}-published.png" if r.status == S.APPROVED else "")
        for r in requests], batch_size=2000)
    decisions = []
    for n, r in enumerate(r for r in requests if r.decided_at is not None):
        if r.status == S.APPROVED:
            conditional = n % 10 == 0
            decisions.append(ReviewDecision(
                share_request=r, outcome=O.APPROVE_WITH_CONDITIONS if conditional else O.APPROVE,
                decided_by=staff["reviewer"], reason="Credit the program" if conditional else "",
                required_credit="Made with Atelier" if conditional else "", submitted_at=r.submitted_at,
                created_at=r.decided_at))
        else:
            decisions.append(ReviewDecision(share_request=r, outcome=O.REFUSE, decided_by=staff["reviewer"],
                                            reason="Shows an unreleased feature", submitted_at=r.submitted_at,
                                            created_at=r.decided_at))
    ReviewDecision.objects.bulk_create(decisions, batch_size=2000)
    for d in decisions:  # conditions in force are copied onto the request, as the approving action does
        if d.required_credit:
            d.share_request.required_credit = d.required_credit
    ShareRequest.objects.bulk_update([d.share_request for d in decisions if d.required_credit], ["required_credit"],
                                     batch_size=2000)
    Appeal.objects.bulk_create([
        Appeal(share_request=d.share_request, refusal=d, refused_by=staff["reviewer"], assigned_to=staff["manager"],
               message="It was already shown in the public beta.", created_at=d.created_at + timedelta(days=1),
               decide_by=d.created_at + timedelta(days=8))
        for d in decisions if d.share_request.status == S.APPEALED], batch_size=2000)


def payout_run(program, memberships, accounts, staff):
    """A run of PAYOUTS payouts (one per artist with an account), sending, created by the finance user and approved by the all-roles user (four eyes), its payouts in
    assorted statuses with what the sender would have written: paid (70%, transfer id and date), pending (10%),
    failed (10%, Stripe's message, credited back), held (5%, the reason) and unknown (5%); every payout
    debited from the ledger ("payout:<id>") and every failed one credited back ("payout-failed:<id>")."""
    from django.utils import timezone

    from payments.models import LedgerEntry, Payout, PayoutRun

    run = PayoutRun.objects.filter(program=program, status=PayoutRun.Status.SENDING).first()
    if run is not None:
        return run
    now, today = timezone.now(), timezone.localdate()
    payable = [m for m in memberships if m.artist_id in accounts][:PAYOUTS]
    run = PayoutRun.objects.create(program=program, period_start=today - timedelta(days=400),
                                   period_end=today - timedelta(days=200), currency=program.currency,
                                   status=PayoutRun.Status.SENDING, total_minor=50_000 * len(payable),
                                   created_by=staff["finance"], approved_by=staff["all"], approved_at=now)
    P = Payout.Status
    mix = [P.PAID] * 70 + [P.PENDING] * 10 + [P.FAILED] * 10 + [P.HELD] * 5 + [P.UNKNOWN] * 5
    payouts = []
    for i, m in enumerate(payable):
        status = mix[i % 100]
        p = Payout(run=run, membership=m, stripe_account_id=accounts[m.artist_id], amount_minor=50_000,
                   currency=program.currency, status=status)
        if status != P.PENDING:
            p.attempts, p.first_sent_at, p.last_attempt_at = 1, now, now
            p.transfer_key = f"atelier-payout-rate-{m.pk}"
        if status == P.PAID:
            p.stripe_transfer_id, p.paid_at = f"tr_rate{m.pk:08d}", now
        elif status == P.FAILED:
            p.failure_message = "The destination account is not able to receive transfers."
        elif status == P.HELD:
            p.held_reason = "Payout account needs an identity document"
        payouts.append(p)
    Payout.objects.bulk_create(payouts, batch_size=2000)
    entries = [LedgerEntry(program=program, membership_id=p.membership_id, kind=LedgerEntry.Kind.PAYOUT,
                           amount_minor=-p.amount_minor, currency=p.currency, source_key=f"payout:{p.pk}",
                           work_date=today - timedelta(days=199), payout=p, description=f"Payout of run {run.pk}",
                           created_by=staff["finance"]) for p in payouts]
    entries += [LedgerEntry(program=program, membership_id=p.membership_id, kind=LedgerEntry.Kind.PAYOUT_FAILED,
                            amount_minor=p.amount_minor, currency=p.currency, source_key=f"payout-failed:{p.pk}",
                            work_date=today - timedelta(days=198), payout=p,
                            description=f"Payout of run {run.pk} did not go through: credited back")
                for p in payouts if p.status == P.FAILED]
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    return run


SHARE_REQUESTS = 10_000
PAYOUTS = 10_000
DATA_VERSION = "rate-2"  # change when the data's shape changes: an older atelier_bench is rebuilt


def load_ledger(program, memberships, total):
    """COPY the missing time entries (much faster than bulk_create for a million rows). Each points at its
    artist's approved bench time log (one per membership, bulk-created first: a time entry needs one)."""
    from django.db import connection

    from payments.models import LedgerEntry

    already = LedgerEntry.objects.filter(program=program).count()
    if already >= total:
        return 0
    start = date.today() - timedelta(days=365)
    ids = [m.pk for m in memberships]
    time_logs = approved_time_logs(memberships, day=start)
    columns = ("program_id", "membership_id", "kind", "amount_minor", "currency", "source_key", "work_date",
               "unit_rate_minor", "quantity", "time_log_id", "description", "reason", "created_at")
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor
        with raw.copy(f"COPY payments_ledgerentry ({', '.join(columns)}) FROM STDIN") as copy:
            for n in range(already, total):
                membership_id = ids[n % len(ids)]
                copy.write_row((program.pk, membership_id, "time", 1500 + n % 700, program.currency,
                                f"bench:{program.slug}:{n}", start + timedelta(days=n % 365), 3000, "0.50",
                                time_logs[membership_id], "Bench testing time", "", "2026-01-01T00:00:00Z"))
        cursor.execute("ANALYZE payments_ledgerentry")
    return total - already


def build():
    """Build (or resume, or reuse) the data; returns the program, an artist user, the staff users and the run."""
    from django.db import connection
    from django.utils import timezone

    from payments.models import PayoutRun, RateCard
    from testers.models import Feedback, TimeLog

    program = make_program("rate")
    staff = staff_users(program)
    if is_built("all"):
        memberships = make_artists(program, 1, prefix="rate-artist")
        run = PayoutRun.objects.get(program=program, status=PayoutRun.Status.SENDING)
        return program, memberships[0].artist.user, staff, run
    t = time.perf_counter()
    memberships = make_artists(program, ARTISTS, prefix="rate-artist")
    print(f"  {ARTISTS:,} artists ready: {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    added = load_ledger(program, memberships, LEDGER_ENTRIES)
    print(f"  {LEDGER_ENTRIES:,} ledger entries ready ({added:,} added): {time.perf_counter() - t:.1f} s", flush=True)
    today = timezone.localdate()
    if not Feedback.objects.filter(membership__program=program).exists():
        Feedback.objects.bulk_create([
            Feedback(membership=memberships[i % ARTISTS], kind=Feedback.Kind.GENERAL, title=f"Feedback {i}",
                     body="The brush lags when zoomed in. " * 5) for i in range(2 * ARTISTS)], batch_size=5000)
        TimeLog.objects.bulk_create([
            TimeLog(membership=memberships[i], date=today - timedelta(days=i % 20), minutes=90,
                    description="Tested layers") for i in range(ARTISTS)], batch_size=5000)
    RateCard.objects.get_or_create(program=program, version=1, defaults={
        "effective_date": date(2020, 1, 1), "currency": program.currency, "hourly_rate_minor": 3000,
        "feedback_general_minor": 500, "fair_pay_floor_hourly_minor": 2000})
    t = time.perf_counter()
    accounts = stripe_accounts(memberships)
    share_requests(program, memberships, staff)
    run = payout_run(program, memberships, accounts, staff)
    print(f"  accounts, {SHARE_REQUESTS:,} share requests, a {PAYOUTS:,}-payout run ready: "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh planner statistics after bulk loads (as autovacuum would give)
    mark_built("all")
    return program, memberships[0].artist.user, staff, run


def session_cookie(user):
    from django.conf import settings
    from django.test import Client

    from django.middleware.csrf import _get_new_csrf_string

    client = Client()
    client.force_login(user)
    # A browser sends back the CSRF cookie it was given; without it every page would mint and set a new secret.
    return (f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
            f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, cookie, with_size=False):
    """The status of one GET (no redirects followed); with `with_size`, (status, bytes of the body)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            size = len(response.read())
            return (response.status, size) if with_size else response.status
    except urllib.error.HTTPError as error:
        return (error.code, 0) if with_size else error.code


def python_load(url, cookie, seconds, connections):
    """Fallback load generator: `connections` threads with keep-alive connections."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    counts, errors = [0] * connections, [0] * connections
    stop = time.perf_counter() + seconds

    def worker(i):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < stop:
            conn.request("GET", parts.path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            counts[i] += 1
            errors[i] += response.status != 200

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), sum(errors)


def wrk_path():
    return None if os.environ.get("BENCH_LOADER") == "python" else shutil.which("wrk")


def load(url, cookie, seconds):
    wrk = wrk_path()
    if wrk is None:
        return python_load(url, cookie, seconds, CONNECTIONS)
    out = subprocess.run([wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s",
                          "-H", f"Cookie: {cookie}", url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def spread(values, fmt="{:.1f}"):
    return f"{fmt.format(min(values))}–{fmt.format(max(values))}"


def main():
    started = time.perf_counter()
    setup_django(BENCH_DATABASE_URL, data_version=DATA_VERSION)
    print("Data:", flush=True)
    program, artist, staff, run = build()
    print(f"  data ready: {time.perf_counter() - started:.1f} s", flush=True)
    if "--build" in sys.argv:
        return 0
    from django.db import connections as db_connections
    from django.urls import reverse

    cookies = {"artist": session_cookie(artist), **{key: session_cookie(user) for key, user in staff.items()}}
    slug = {"slug": program.slug}
    staff_pages = [
        ("Review queue", reverse("content_review:queue", kwargs=slug), "reviewer"),
        ("Payout run detail (10,000 payouts)", reverse("payments:payout_run", kwargs={**slug, "run_id": run.pk}),
         "finance"),
        ("Payout runs list", reverse("payments:payout_runs", kwargs=slug), "finance"),
        ("Reports overview", reverse("payments:reports_overview", kwargs=slug), "finance"),
    ]
    # (label, path, who, target)
    pages = [
        ("Signed-in layout /bench/template/", "/bench/template/", "artist", LAYOUT_TARGET),
        ("Artist home /", reverse("home"), "artist", PAGE_TARGET),
        ("Artist earnings", reverse("payments:earnings"), "artist", PAGE_TARGET),
    ]
    for label, path, who in staff_pages:
        pages.append((f"{label}, as {who} only", path, who, PAGE_TARGET))
        pages.append((f"{label}, as all roles", path, "all", PAGE_TARGET))
    only = [arg.split("=", 1)[1].lower() for arg in sys.argv[1:] if arg.startswith("--only=")]
    if only:  # e.g. --only=run: the pages whose label contains it (for working on one page; targets still apply)
        pages = [page for page in pages if any(part in page[0].lower() for part in only)]
    db_connections.close_all()

    import redis

    redis.Redis.from_url(CACHE_URL).flushdb()  # the bench's own cache database: nothing left from another data set
    port = free_port()
    server_log = tempfile.TemporaryFile()  # gunicorn's own messages, shown only if it does not start
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "false",
           "DATABASE_URL": BENCH_DATABASE_URL, "CELERY_BROKER_URL": "", "CACHE_URL": CACHE_URL}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "atelier.wsgi:application", "--workers", str(WORKERS),
         "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning"],
        env=env, start_new_session=True, stderr=server_log)
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        for _ in range(100):
            try:
                if get(f"{base}/bench/bare/", "") == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            server_log.seek(0)
            sys.exit("gunicorn did not start:\n" + server_log.read().decode(errors="replace")[-3000:])
        tool = "wrk" if wrk_path() else "python threads"
        print(f"\ngunicorn: {WORKERS} sync workers; load: {tool}, {CONNECTIONS} connections; per page {ROUNDS} "
              f"rounds of (bare {SECONDS} s, page {SECONDS} s), after a 1 s warm-up of each", flush=True)
        bare_url = base + "/bench/bare/"
        for label, path, who, target in pages:
            url = base + path
            status, size = get(url, cookies[who], with_size=True)
            bad_total, bares, rates = 0, [], []
            for _ in range(ROUNDS):
                load(bare_url, cookies[who], 1)
                bare, bad = load(bare_url, cookies[who], SECONDS)
                bad_total += bad
                load(url, cookies[who], 1)
                rate, bad = load(url, cookies[who], SECONDS)
                bad_total += bad
                bares.append(bare)
                rates.append(rate)
            ratios = [rate / bare for rate, bare in zip(rates, bares)]
            print(f"  {label}: {median(rates):.1f} req/s ({spread(rates)}), bare {median(bares):.0f} "
                  f"({spread(bares, '{:.0f}')}), ratio {median(ratios):.3f} ({spread(ratios, '{:.3f}')}); "
                  f"HTTP {status}, {size:,} bytes, {bad_total} non-2xx", flush=True)
            results.append((label, who, target, status, size, bad_total, bares, rates, ratios))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    failures = 0
    lines = ["| Page | as | HTML bytes | req/s (median, spread) | bare req/s (median) | "
             "ratio to bare (median, spread) | target | result |", "|---|---|---:|---:|---:|---:|---|---|"]
    for label, who, target, status, size, bad, bares, rates, ratios in results:
        ratio = median(ratios)
        if status != 200 or bad:
            verdict = f"**FAIL** (HTTP {status}, {bad} non-2xx)"
        elif ratio < target:
            verdict = f"**FAIL** (< {target:.2f})"
        else:
            verdict = "pass" + (f" (goal {PAGE_GOAL:.1f}: {'met' if ratio >= PAGE_GOAL else 'not yet'})"
                                if target < PAGE_GOAL else "")
        failures += verdict.startswith("**FAIL")
        lines.append(f"| {label} | {'artist' if who == 'artist' else who + (' roles' if who == 'all' else ' only')} "
                     f"| {size:,} | {median(rates):,.1f} ({spread(rates)}) | {median(bares):,.0f} | {ratio:.3f} "
                     f"({spread(ratios, '{:.3f}')}) | ≥ {target:.2f} | {verdict} |")
    print()
    print("\n".join(lines))
    print(f"\n{ROUNDS} interleaved rounds (bare, page) of {SECONDS} s per page; {len(results) - failures} pass, "
          f"{failures} fail. Targets: signed-in layout >= {LAYOUT_TARGET} of bare, other pages >= {PAGE_TARGET} "
          f"(goal {PAGE_GOAL}).")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
