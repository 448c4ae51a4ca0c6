"""The ledger CSV export over HTTP against PostgreSQL's own `COPY ... TO STDOUT` of the same rows.
Target: the HTTP download reaches at least half of COPY's rows/s, and the worker's memory stays flat.

    .venv/bin/python bench/export_rate.py                 # 3 ABAB rounds over 1,000,000 rows
    BENCH_ROUNDS=5 .venv/bin/python bench/export_rate.py

Data (database atelier_bench_export, built once and reused, or BENCH_EXPORT_DATABASE_URL): program "export"
with 1,000 artists (one in ten named like a formula, `=HYPERLINK("x","y"), Artist 7`, so escaping and quoting
are exercised) and 1,000,000 time ledger entries (COPY, over 365 days, one description in three holding a
comma and quotes).

A = `COPY (<the export's SELECT>) TO STDOUT WITH (FORMAT csv)` read to the end through psycopg 3, in a
separate process (a fresh Python with no Django), rows/s. B = the CSV export downloaded over HTTP from
gunicorn (2 sync workers, DJANGO_DEBUG=false), the whole body read by urllib, rows/s. Rounds interleave
A B A B ...; the ratio is median(B) / median(A). The peak RSS of the gunicorn worker that served the
download is sampled (every 20 ms from /proc) at two sizes: a quarter of the year and the whole year.
Exit status 1 if the ratio is under 0.5, or a download is not complete.
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, approved_time_logs, make_artists, make_program, setup_django  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_EXPORT_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/atelier_bench_export")
ARTISTS = 1_000
ENTRIES = 1_000_000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TARGET = 0.5
START = date(2025, 1, 1)
DESCRIPTIONS = ("Bench testing time", 'Tested "checkout", then the login page', "Regression pass, build 42")


def load(program, memberships):
    from django.db import connection

    from payments.models import LedgerEntry

    already = LedgerEntry.objects.filter(program=program).count()
    if already >= ENTRIES:
        return 0
    ids = [m.pk for m in memberships]
    time_logs = approved_time_logs(memberships, day=START)
    columns = ("program_id", "membership_id", "kind", "amount_minor", "currency", "source_key", "work_date",
               "unit_rate_minor", "quantity", "time_log_id", "description", "reason", "created_at")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE testers_artistprofile SET display_name = '=HYPERLINK(\"x\",\"y\"), ' || display_name "
                       "WHERE id IN (SELECT artist_id FROM testers_membership WHERE program_id = %s AND id %% 10 = 0) "
                       "AND display_name NOT LIKE '=%%'", [program.pk])
        with cursor.cursor.copy(f"COPY payments_ledgerentry ({', '.join(columns)}) FROM STDIN") as copy:
            for n in range(already, ENTRIES):
                membership_id = ids[n % len(ids)]
                copy.write_row((program.pk, membership_id, "time", 1500 + n % 700, program.currency,
                                f"bench:{program.slug}:{n}", START + timedelta(days=n % 365), 3000, "0.50",
                                time_logs[membership_id], DESCRIPTIONS[n % 3], "", "2025-06-01T00:00:00Z"))
        cursor.execute("VACUUM ANALYZE payments_ledgerentry")
    return ENTRIES - already


def build():
    from atelier.accounts import ensure_totp
    from atelier.models import User

    program = make_program("export")
    t = time.perf_counter()
    memberships = make_artists(program, ARTISTS, prefix="export-artist")
    added = load(program, memberships)
    print(f"data: {ARTISTS:,} artists, {ENTRIES:,} ledger entries ({added:,} added) in "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    admin, _ = User.objects.get_or_create(email="export-admin@bench.test", defaults={"is_superuser": True,
                                                                                      "is_staff": True})
    ensure_totp(admin)
    return program, admin


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


COPY_CLIENT = """
import sys, time, psycopg
with psycopg.connect(sys.argv[1]) as conn, conn.cursor() as cur:
    began = time.perf_counter()
    rows = size = 0
    with cur.copy(sys.stdin.read()) as copy:
        for data in copy:
            rows += 1
            size += len(data)
    print(rows, size, time.perf_counter() - began)
"""


def copy_rate(sql):
    """A: PostgreSQL's COPY of the export's query, read to the end by psycopg in a fresh process."""
    out = subprocess.run([sys.executable, "-c", COPY_CLIENT, DATABASE_URL], input=sql, capture_output=True,
                         text=True, check=True).stdout.split()
    rows, size, seconds = int(out[0]), int(out[1]), float(out[2])
    return rows / seconds, rows, size


def worker_pids(master):
    with open(f"/proc/{master}/task/{master}/children") as f:
        return [int(pid) for pid in f.read().split()]


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def download(url, cookie, workers=()):
    """B: the whole CSV over HTTP. Returns (seconds, bytes, {worker pid: peak RSS while downloading})."""
    peaks = {pid: rss_bytes(pid) for pid in workers}
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in peaks:
                peaks[pid] = max(peaks[pid], rss_bytes(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    size = 0
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie})) as response:
        assert response.status == 200, response.status
        while chunk := response.read(1 << 20):
            size += len(chunk)
    elapsed = time.perf_counter() - began
    done.set()
    sampler.join()
    return elapsed, size, peaks


def spread(values):
    return f"{min(values):,.0f}–{max(values):,.0f}"


def main():
    setup_django(DATABASE_URL)
    import psycopg
    from django.db import connection, connections
    from django.urls import reverse

    from atelier.spreadsheets import csv_lines
    from payments.reports import exports
    from payments.reports.selectors import Filters, Period

    program, admin = build()
    cookie = session_cookie(admin)
    year, quarter = Period(START, START + timedelta(days=364)), Period(START, START + timedelta(days=89))

    def copy_sql(period):
        headers, cells = exports.ledger_cells(program, Filters(period))
        sql, params = cells.query.sql_with_params()
        connection.ensure_connection()
        with psycopg.ClientCursor(connection.connection) as cursor:
            return cursor.mogrify(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params), len(
                "".join(csv_lines([headers], bom=True)).encode())

    def url(period):
        return (reverse("payments:reports_export", args=[program.slug, "ledger", "csv"])
                + f"?start={period.start}&end={period.end}")

    sql, header_bytes = copy_sql(year)
    quarter_sql, quarter_header = copy_sql(quarter)
    connections.close_all()

    port = free_port()
    server_log = tempfile.TemporaryFile()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "false",
           "DATABASE_URL": DATABASE_URL, "CELERY_BROKER_URL": ""}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "atelier.wsgi:application", "--workers", "2", "--worker-class", "sync",
         "--timeout", "300", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning"],
        env=env, start_new_session=True, stderr=server_log)
    base = f"http://127.0.0.1:{port}"
    failures = []
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/bench/bare/").read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            server_log.seek(0)
            sys.exit("gunicorn did not start:\n" + server_log.read().decode(errors="replace")[-3000:])
        workers = worker_pids(server.pid)
        idle = {pid: rss_bytes(pid) for pid in workers}
        download(base + url(quarter), cookie)  # warm-up: each worker imports and connects once
        download(base + url(quarter), cookie)

        a_rates, b_rates = [], []
        print(f"\nledger CSV export, {ROUNDS} rounds A B (A = COPY via psycopg, B = HTTP via gunicorn)", flush=True)
        for n in range(ROUNDS):
            a, rows, copy_bytes = copy_rate(sql)
            seconds, size, _ = download(base + url(year), cookie)
            b = rows / seconds
            a_rates.append(a)
            b_rates.append(b)
            expected = header_bytes + copy_bytes + rows  # every row's LF becomes CRLF
            if size != expected:
                failures.append(f"round {n + 1}: HTTP body {size:,} bytes, expected {expected:,}")
            print(f"  round {n + 1}: A {a:,.0f} rows/s   B {b:,.0f} rows/s   ({rows:,} rows, "
                  f"{size / 1e6:.1f} MB over HTTP)", flush=True)

        memory = []
        for label, period, q_sql in (("a quarter", quarter, quarter_sql), ("the year", year, sql)):
            _, rows, _ = copy_rate(q_sql)
            _, size, peaks = download(base + url(period), cookie, workers)
            memory.append((label, rows, size, max(peaks.values())))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    a_med, b_med = statistics.median(a_rates), statistics.median(b_rates)
    ratio = b_med / a_med
    print(f"\nA COPY    median {a_med:,.0f} rows/s (spread {spread(a_rates)})")
    print(f"B HTTP    median {b_med:,.0f} rows/s (spread {spread(b_rates)})")
    print(f"ratio B/A {ratio:.2f} (per round: {', '.join(f'{b / a:.2f}' for a, b in zip(a_rates, b_rates))}); "
          f"target ≥ {TARGET}")
    print(f"\ngunicorn worker RSS: idle {max(idle.values()) / 1e6:.0f} MB")
    for label, rows, size, peak in memory:
        print(f"  downloading {label}: {rows:>9,} rows, {size / 1e6:6.1f} MB of CSV, worker peak {peak / 1e6:.0f} MB")
    for failure in failures:
        print("FAIL", failure)
    if ratio < TARGET or failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
