"""Request rate of key pages vs a bare Django view, served the same way, with 10,000 artists and 1,000,000
ledger entries loaded. Target: every key page sustains at least half the bare view's rate.

    .venv/bin/python bench/request_rate.py                 # 10 s per page
    BENCH_SECONDS=20 BENCH_CONNECTIONS=4 .venv/bin/python bench/request_rate.py
    BENCH_LOADER=python .venv/bin/python bench/request_rate.py   # the Python client even if wrk is there

Data (database atelier_bench, created once and reused): program "rate" with 10,000 artists, 1,000,000 time
ledger entries (COPY, ~100 per artist, over the last 365 days, each pointing at its artist's one approved
time log), 20,000 feedback items, 10,000 pending time logs, one rate card. Served by gunicorn (2 sync workers, DJANGO_DEBUG=false, DJANGO_SETTINGS_MODULE=bench.settings,
which adds /bench/bare/ returning "ok" in front of the product's URLs), loaded with wrk (or, without wrk, a
small threaded Python client) sending a signed-in session cookie (the same cookie to the bare view).
Exit status 1 if a page is under half the bare rate or answers anything but 200.
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
from common import BENCH_DATABASE_URL, ROOT, approved_time_logs, make_artists, make_program, setup_django  # noqa: E402

ARTISTS = 10_000
LEDGER_ENTRIES = 1_000_000
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))


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
    from django.utils import timezone

    from atelier.accounts import ensure_totp
    from atelier.models import User
    from payments.models import RateCard
    from testers.models import Feedback, StaffRole, TimeLog

    program = make_program("rate")
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
    staff, _ = User.objects.get_or_create(email="rate-staff@bench.test",
                                          defaults={"first_name": "Bench", "last_name": "Staff"})
    ensure_totp(staff)
    for role in StaffRole.Role.values:
        StaffRole.objects.get_or_create(user=staff, program=program, role=role)
    RateCard.objects.get_or_create(program=program, version=1, defaults={
        "effective_date": date(2020, 1, 1), "currency": program.currency, "hourly_rate_minor": 3000,
        "feedback_general_minor": 500, "fair_pay_floor_hourly_minor": 2000})
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics after bulk loads (as autovacuum would give)
    return program, memberships[0].artist.user, staff


def session_cookie(user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, cookie):
    request = urllib.request.Request(url, headers={"Cookie": cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


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


def main():
    started = time.perf_counter()
    setup_django(BENCH_DATABASE_URL)
    print("Data:", flush=True)
    program, artist, staff = build()
    print(f"  data ready: {time.perf_counter() - started:.1f} s", flush=True)
    from django.db import connections as db_connections
    from django.urls import reverse

    cookies = {"artist": session_cookie(artist), "staff": session_cookie(staff)}
    slug = {"slug": program.slug}
    pages = [
        ("Artist home /", reverse("home"), "artist"),
        ("Artist earnings", reverse("payments:earnings"), "artist"),
        ("Staff feedback triage", reverse("testers:staff_feedback", kwargs=slug), "staff"),
        ("Staff balances", reverse("payments:ledger_overview", kwargs=slug), "staff"),
        ("Staff reports overview", reverse("payments:reports_overview", kwargs=slug), "staff"),
        ("Staff reports earnings", reverse("payments:reports_earnings", kwargs=slug), "staff"),
    ]
    db_connections.close_all()

    port = free_port()
    server_log = tempfile.TemporaryFile()  # gunicorn's own messages, shown only if it does not start
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "false",
           "DATABASE_URL": BENCH_DATABASE_URL, "CELERY_BROKER_URL": ""}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "atelier.wsgi:application", "--workers", str(WORKERS),
         "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning"],
        env=env, start_new_session=True, stderr=server_log)
    base = f"http://127.0.0.1:{port}"
    rows, failures = [], 0
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
        print(f"\ngunicorn: {WORKERS} sync workers; load: {tool}, {CONNECTIONS} connections, {SECONDS} s per page "
              f"(after a 2 s warm-up)", flush=True)

        def measure(label, path, who):
            url = base + path
            status = get(url, cookies[who])
            load(url, cookies[who], 2)
            rate, bad = load(url, cookies[who], SECONDS)
            print(f"  {label}: {rate:.1f} req/s (HTTP {status}, {bad} non-2xx)", flush=True)
            return rate, status, bad

        bare_before = measure("Bare view (before)", "/bench/bare/", "artist")[0]
        layout = measure("Base layout, signed in", "/bench/template/", "artist")[0]
        results = [(label, *measure(label, path, who)) for label, path, who in pages]
        bare_after = measure("Bare view (after)", "/bench/bare/", "artist")[0]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    bare = (bare_before + bare_after) / 2
    rows.append(("Bare view /bench/bare/", f"{bare:.1f}", "1.00", "-",
                  f"reference (before {bare_before:.0f}, after {bare_after:.0f})"))
    rows.append(("Base layout /bench/template/", f"{layout:.1f}", f"{layout / bare:.3f}", "1.00", "calibration"))
    for label, rate, status, bad in results:
        ratio = rate / bare
        if status != 200 or bad:
            verdict = f"FAIL (HTTP {status}, {bad} non-2xx)"
            failures += 1
        elif ratio < 0.5:
            verdict = "FAIL (< 0.50)"
            failures += 1
        else:
            verdict = "pass"
        rows.append((label, f"{rate:.1f}", f"{ratio:.3f}", f"{rate / layout:.2f}", verdict))
    header = ("Page", "req/s", "ratio to bare", "ratio to layout", "Result")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    print(f"\nTarget: every key page >= 0.50 of the bare view. {len(results) - failures} pass, {failures} fail.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
