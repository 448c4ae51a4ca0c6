"""Payout runs: planning a run for 10,000 artists (target <= 1.5 s on PostgreSQL, issue #14), and sending one
(target: within 10% of the time Stripe's rate limit alone imposes, N / STRIPE_TRANSFERS_PER_SECOND).

    .venv/bin/python bench/payout_run.py
    BENCH_ROUNDS=5 BENCH_PAYOUTS=1000 BENCH_RATE=50 .venv/bin/python bench/payout_run.py

Database atelier_bench_payouts, built once and reused (a version marker rebuilds it when the data changes).
1. Planning: program "payout-plan" with 10,000 artists and BENCH_PLAN_ENTRIES (1,000,000) time entries spread
   over them (COPY; each points at its artist's one approved time log); 96% of the artists have a payable
   StripeAccount, 2% one that still needs details, 2% none (skipped with the reason).
   BENCH_ROUNDS (3) rounds, each timing the floor (payments.selectors.balances_for_program: the balance
   GROUP BY over the ledger, which any plan has to read) and then
   payments.services.payouts.create_payout_run (balances, payouts, skips, the ledger debits, the audit
   entry: one transaction) inside a transaction that is rolled back, so every round plans the same data (the
   deferred foreign-key checks a commit would make are forced inside the timing: SET CONSTRAINTS ALL
   IMMEDIATE).
   Reported: the median and spread of both, and their ratio.
2. Sending: a new program "payout-send-<time>" with BENCH_PAYOUTS (500) artists whose accounts exist, enabled,
   in the fake Stripe server (devtools.fake_stripe.FakeStripe, started in process with
   rate_limit_per_second=BENCH_RATE (20), so a faster client would get 429s); STRIPE_API_BASE points at it,
   STRIPE_TRANSFERS_PER_SECOND=BENCH_RATE. A run is created, then approved by a second finance user:
   approve_payout_run checks the Stripe balance and, on commit, queues payments.tasks.send_payout_run,
   which runs in process (no broker: Celery eager) and sends every payout. The time of that call is
   compared with N / rate.
Exit status 1 if a target is missed, a plan makes the wrong payouts, or a payout is not paid exactly once.
"""
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["CELERY_BROKER_URL"] = ""  # tasks in process (eager), right after the approval commits
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no per-request Stripe log lines
os.environ.setdefault("EMAIL_URL", "dummymail://")  # the run's notices are sent, not printed
from common import (BENCH_DATABASE_URL, approved_time_logs, is_built, make_artists, make_program,  # noqa: E402
                    mark_built, median, setup_django)

DATABASE_URL = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/atelier_bench_payouts"
DATA_VERSION = "payouts-2"
PLAN_ARTISTS = int(os.environ.get("BENCH_PLAN_ARTISTS", "10000"))
PLAN_ENTRIES = int(os.environ.get("BENCH_PLAN_ENTRIES", "1000000"))
SEND_PAYOUTS = int(os.environ.get("BENCH_PAYOUTS", "500"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
ROUNDS = max(int(os.environ.get("BENCH_ROUNDS", "3")), 1)
PLAN_TARGET_SECONDS = 1.5
MINIMUM_PAYOUT_MINOR = 10_000  # checked for every artist; every balance here (~100 entries) is above it


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


def plan_data():
    """Program "payout-plan": artists, their accounts (most payable), the ledger, a rate card with a minimum."""
    from django.db import connection

    from payments.models import RateCard, StripeAccount
    from request_rate import load_ledger

    program = make_program("payout-plan")
    creator, _ = finance_users(program)
    if is_built("plan"):
        return program, creator
    t = time.perf_counter()
    memberships = make_artists(program, PLAN_ARTISTS, prefix="plan-artist")
    if not StripeAccount.objects.filter(artist__memberships__program=program).exists():
        StripeAccount.objects.bulk_create([
            StripeAccount(artist_id=m.artist_id, stripe_account_id=f"acct_plan{m.pk:08d}", country="US",
                          state=StripeAccount.State.ENABLED, details_submitted=True, payouts_enabled=True,
                          transfers_active=True) if i % 50 else
            StripeAccount(artist_id=m.artist_id, stripe_account_id=f"acct_plan{m.pk:08d}", country="US",
                          state=StripeAccount.State.DETAILS_NEEDED, requirements_due=["individual.id_number"])
            for i, m in enumerate(memberships) if i % 50 != 1], batch_size=2000)
    RateCard.objects.get_or_create(program=program, version=1, defaults={
        "effective_date": date(2020, 1, 1), "currency": program.currency, "hourly_rate_minor": 3000,
        "minimum_payout_minor": MINIMUM_PAYOUT_MINOR, "fair_pay_floor_hourly_minor": 2000})
    load_ledger(program, memberships, PLAN_ENTRIES)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh planner statistics after the bulk loads (as autovacuum would give)
    mark_built("plan")
    print(f"planning data ({PLAN_ARTISTS:,} artists, {PLAN_ENTRIES:,} ledger rows): "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    return program, creator


class RolledBack(Exception):
    pass


def plan():
    """ROUNDS rounds of (floor, plan), the plan rolled back each time. Returns the times and whether every plan
    made one payout or one skip per artist with a non-zero balance, and one debit per payout."""
    from django.db import connection, transaction
    from django.utils import timezone

    from payments.models import LedgerEntry, Payout, PayoutRunSkip
    from payments.selectors import balances_for_program
    from payments.services.payouts import create_payout_run

    program, creator = plan_data()
    today = timezone.localdate()
    floors, plans, ok, shape = [], [], True, ""
    for n in range(ROUNDS):
        t = time.perf_counter()
        balances = balances_for_program(program, up_to=today)
        floors.append(time.perf_counter() - t)
        try:
            with transaction.atomic():
                t = time.perf_counter()
                run = create_payout_run(program=program, period_start=today - timedelta(days=400), period_end=today,
                                        by=creator)
                with connection.cursor() as cursor:
                    # The foreign keys are checked at commit (deferred): check them now, inside the timing.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                plans.append(time.perf_counter() - t)
                payouts = Payout.objects.filter(run=run).count()
                skips = PayoutRunSkip.objects.filter(run=run).count()
                debits = LedgerEntry.objects.filter(payout__run=run, kind=LedgerEntry.Kind.PAYOUT).count()
                nonzero = sum(1 for b in balances.values() if b)
                ok = ok and payouts + skips == nonzero and debits == payouts and payouts > 0.9 * PLAN_ARTISTS
                shape = f"{payouts:,} payouts, {skips:,} skipped"
                raise RolledBack
        except RolledBack:
            pass
        print(f"  round {n + 1}: GROUP BY floor {floors[-1]:.2f} s, plan {plans[-1]:.2f} s ({shape})", flush=True)
    return floors, plans, shape, ok


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
        program = make_program(f"payout-send-{int(time.time())}")
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
    setup_django(DATABASE_URL, data_version=DATA_VERSION)
    floors, plans, plan_shape, plan_ok = plan()
    plan_seconds, floor_seconds = median(plans), median(floors)
    print(f"planning: median {plan_seconds:.2f} s ({min(plans):.2f}-{max(plans):.2f}) for {plan_shape}; "
          f"GROUP BY floor median {floor_seconds:.2f} s ({min(floors):.2f}-{max(floors):.2f}); "
          f"plan / floor {plan_seconds / floor_seconds:.1f}", flush=True)
    send_seconds, paid, transfers, posts, once = send()
    ideal = SEND_PAYOUTS / RATE
    floor = max(SEND_PAYOUTS - RATE, 0) / RATE  # both token buckets start full: the first `rate` go at once
    print(f"sending: {send_seconds:.2f} s for {paid} payouts ({transfers} transfers, {posts} POST /v1/transfers "
          f"incl. retries); ideal N/rate {ideal:.2f} s, strict floor (N-rate)/rate {floor:.2f} s "
          f"(ratio {send_seconds / floor if floor else 0:.3f})", flush=True)

    plan_pass = plan_ok and plan_seconds <= PLAN_TARGET_SECONDS
    send_pass = once and send_seconds <= ideal * 1.10
    rows = [
        (f"Plan a run, {PLAN_ARTISTS:,} artists (median of {ROUNDS})",
         f"{plan_seconds:.2f} s ({min(plans):.2f}-{max(plans):.2f})",
         f"<= {PLAN_TARGET_SECONDS:.1f} s (GROUP BY floor {floor_seconds:.2f} s, "
         f"{min(floors):.2f}-{max(floors):.2f}; plan/floor {plan_seconds / floor_seconds:.1f})",
         ("pass" if plan_pass else "FAIL") + ("" if plan_ok else " (wrong payout/skip/debit count)")),
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
