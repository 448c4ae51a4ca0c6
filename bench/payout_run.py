"""Payout runs: planning a run for 10,000 artists (target < 5 s on PostgreSQL), and sending one (target: within
10% of the time Stripe's rate limit alone imposes, N / STRIPE_TRANSFERS_PER_SECOND).

    .venv/bin/python bench/payout_run.py
    BENCH_PAYOUTS=1000 BENCH_RATE=50 .venv/bin/python bench/payout_run.py

Builds its own database, atelier_bench_payouts, afresh each time (a run debits the append-only ledger).
1. Planning: program "payout-plan" with 10,000 artists, each with a payable StripeAccount, and
   BENCH_PLAN_ENTRIES (1,000,000) time entries spread over them (COPY; each points at its artist's one
   approved time log); times
   payments.services.payouts.create_payout_run (balances, payouts, skips, the ledger debits, the audit
   entry: one transaction).
2. Sending: program "payout-send" with BENCH_PAYOUTS (500) artists whose accounts exist, enabled, in the
   fake Stripe server (devtools.fake_stripe.FakeStripe, started in process with
   rate_limit_per_second=BENCH_RATE (20), so a faster client would get 429s); STRIPE_API_BASE points at it,
   STRIPE_TRANSFERS_PER_SECOND=BENCH_RATE. A run is created, then approved by a second finance user:
   approve_payout_run checks the Stripe balance and, on commit, queues payments.tasks.send_payout_run,
   which runs in process (no broker: Celery eager) and sends every payout. The time of that call is
   compared with N / rate.
Exit status 1 if a target is missed or a payout is not paid exactly once.
"""
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["CELERY_BROKER_URL"] = ""  # tasks in process (eager), right after the approval commits
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no per-request Stripe log lines
from common import BENCH_DATABASE_URL, approved_time_logs, make_artists, make_program, setup_django  # noqa: E402

DATABASE_URL = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/atelier_bench_payouts"
PLAN_ARTISTS = int(os.environ.get("BENCH_PLAN_ARTISTS", "10000"))
PLAN_ENTRIES = int(os.environ.get("BENCH_PLAN_ENTRIES", "1000000"))
SEND_PAYOUTS = int(os.environ.get("BENCH_PAYOUTS", "500"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
PLAN_TARGET_SECONDS = 5.0


def finance_users(program):
    from atelier.accounts import ensure_totp
    from atelier.models import User
    from testers.models import StaffRole

    users = []
    for name in ("creator", "approver"):
        user, _ = User.objects.get_or_create(email=f"{name}@{program.slug}.bench-staff",
                                             defaults={"first_name": name.title(), "last_name": "Finance"})
        ensure_totp(user)
        StaffRole.objects.get_or_create(user=user, program=program, role=StaffRole.Role.FINANCE)
        users.append(user)
    return users


def accounts_for(memberships, prefix):
    from payments.models import StripeAccount

    return StripeAccount.objects.bulk_create([
        StripeAccount(artist_id=m.artist_id, stripe_account_id=f"acct_{prefix}{m.pk:08d}", country="US",
                      state=StripeAccount.State.ENABLED, details_submitted=True, payouts_enabled=True,
                      transfers_active=True) for m in memberships], batch_size=2000)


def plan():
    from django.utils import timezone

    from payments.models import LedgerEntry, Payout
    from payments.services.payouts import create_payout_run
    from request_rate import load_ledger

    program = make_program("payout-plan")
    creator, _ = finance_users(program)
    t = time.perf_counter()
    memberships = make_artists(program, PLAN_ARTISTS, prefix="plan-artist")
    accounts_for(memberships, "plan")
    load_ledger(program, memberships, PLAN_ENTRIES)
    print(f"planning data ({PLAN_ARTISTS:,} artists, {PLAN_ENTRIES:,} ledger rows): "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics after the bulk loads (as autovacuum would give)
    today = timezone.localdate()
    t = time.perf_counter()
    run = create_payout_run(program=program, period_start=today - timedelta(days=400), period_end=today, by=creator)
    elapsed = time.perf_counter() - t
    payouts = Payout.objects.filter(run=run).count()
    debits = LedgerEntry.objects.filter(payout__run=run, kind=LedgerEntry.Kind.PAYOUT).count()
    ok = payouts == PLAN_ARTISTS and debits == PLAN_ARTISTS
    return elapsed, payouts, ok


def send():
    from django.conf import settings
    from django.utils import timezone

    from devtools.fake_stripe import FakeStripe
    from payments.models import LedgerEntry, Payout, PayoutRun
    from atelier.accounts import current_totp_code
    from payments.services.payouts import approve_payout_run, create_payout_run

    fake = FakeStripe(rate_limit_per_second=RATE).start()
    try:
        settings.STRIPE_API_BASE = fake.url
        settings.STRIPE_TRANSFERS_PER_SECOND = RATE
        program = make_program("payout-send")
        creator, approver = finance_users(program)
        memberships = make_artists(program, SEND_PAYOUTS, prefix="send-artist")
        accounts = accounts_for(memberships, "send")
        for account in accounts:
            fake.create_account(account_id=account.stripe_account_id, enabled=True)
        fake.set_balance(program.currency.lower(), 10**12)
        today = timezone.localdate()
        time_logs = approved_time_logs(memberships, day=today - timedelta(days=3), description="Testing time")
        LedgerEntry.objects.bulk_create([
            LedgerEntry(program=program, membership=m, kind=LedgerEntry.Kind.TIME, amount_minor=2500 + i,
                        currency=program.currency, source_key=f"bench-send:{m.pk}", work_date=today - timedelta(days=3),
                        unit_rate_minor=3000, quantity="1.00", description="Testing time", time_log_id=time_logs[m.pk])
            for i, m in enumerate(memberships)])
        run = create_payout_run(program=program, period_start=today - timedelta(days=30), period_end=today,
                                by=creator)
        t = time.perf_counter()
        approve_payout_run(run, by=approver, totp_code=current_totp_code(approver))  # sends on commit (eager)
        elapsed = time.perf_counter() - t
        run.refresh_from_db()
        paid = Payout.objects.filter(run=run, status=Payout.Status.PAID).count()
        transfers = fake.transfers(transfer_group=run.transfer_group)
        per_payout = {}
        for transfer in transfers:
            key = (transfer.get("metadata") or {}).get("payout_id")
            per_payout[key] = per_payout.get(key, 0) + 1
        rate_limited = fake.request_count("POST", "/v1/transfers")
        exactly_once = (paid == SEND_PAYOUTS and len(per_payout) == SEND_PAYOUTS
                        and set(per_payout.values()) == {1} and run.status == PayoutRun.Status.COMPLETED)
        return elapsed, paid, len(transfers), rate_limited, exactly_once
    finally:
        fake.stop()


def main():
    setup_django(DATABASE_URL, fresh=True)
    plan_seconds, plan_payouts, plan_ok = plan()
    print(f"planning: {plan_seconds:.2f} s for {plan_payouts:,} payouts", flush=True)
    send_seconds, paid, transfers, posts, once = send()
    ideal = SEND_PAYOUTS / RATE
    floor = max(SEND_PAYOUTS - RATE, 0) / RATE  # both token buckets start full: the first `rate` go at once
    print(f"sending: {send_seconds:.2f} s for {paid} payouts ({transfers} transfers, {posts} POST /v1/transfers "
          f"incl. retries); ideal N/rate {ideal:.2f} s, strict floor (N-rate)/rate {floor:.2f} s "
          f"(ratio {send_seconds / floor if floor else 0:.3f})", flush=True)

    plan_pass = plan_ok and plan_seconds < PLAN_TARGET_SECONDS
    send_pass = once and send_seconds <= ideal * 1.10
    rows = [
        ("Plan a run, 10,000 artists", f"{plan_seconds:.2f} s", f"< {PLAN_TARGET_SECONDS:.0f} s",
         ("pass" if plan_pass else "FAIL") + ("" if plan_ok else " (wrong payout/debit count)")),
        (f"Send {SEND_PAYOUTS} payouts at {RATE:g}/s", f"{send_seconds:.2f} s",
         f"<= {ideal * 1.1:.2f} s (ideal {ideal:.2f} s, ratio {send_seconds / ideal:.3f})",
         ("pass" if send_pass else "FAIL") + ("" if once else " (not every payout paid exactly once)")),
    ]
    header = ("Measure", "Time", "Target", "Result")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    return 0 if plan_pass and send_pass else 1


if __name__ == "__main__":
    sys.exit(main())
