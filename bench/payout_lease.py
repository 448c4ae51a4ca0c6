"""Sending under a lease: 1,000 payouts through two real Celery workers, with 10% injected Stripe faults and a
worker SIGKILLed mid-run, against the time Stripe's rate limit alone imposes (issue #11, Deliver item 6).

    .venv/bin/python bench/payout_lease.py
    BENCH_PAYOUTS=300 BENCH_ROUNDS=1 .venv/bin/python bench/payout_lease.py

Builds its own database, atelier_bench_lease, afresh each time. Each round gets a fresh program of
BENCH_PAYOUTS (1,000) payable artists (StripeAccount enabled, here and in the fake), one approved time entry
each, and a fresh fake Stripe server run in this process (devtools.fake_stripe.FakeStripe) with Stripe's own
test-mode limit of BENCH_RATE (20) requests/s (a faster client gets 429s), answering every request after
BENCH_LATENCY (60 ms) as a remote API would. Two Celery worker processes (`celery -A atelier worker -c 2`,
prefork) run with production settings (DJANGO_ENV=production, DEBUG off, bench.settings: quiet logging), a
Redis broker, cache and pacing window on a database of their own (BENCH_REDIS_URL, db 12, emptied at each
round's start), STRIPE_TRANSFERS_PER_SECOND=BENCH_RATE, STRIPE_TIMEOUT_SECONDS=1, PAYOUT_LEASE_SECONDS=
BENCH_LEASE (3), PAYOUT_RESUME_AFTER_SECONDS=1 and STRIPE_SEND_CONCURRENCY=BENCH_CONCURRENCY (4, the
default); retries and backoff are the product's defaults (STRIPE_MAX_ATTEMPTS 5, backoff 0.5 s doubling).

A run is created by one finance user and approved by another with a real TOTP code; the approval queues
payments.tasks.send_payout_run on commit and the workers send. Two configurations, interleaved ABAB...:
  A  the floor: no faults, no kill;
  B  BENCH_FAULT_RATE (10%) of transfer requests get an injected fault, mixed as in
     tests/payments/test_payout_worker.py (an answer past the client timeout, a lost 502, a stored 500 replayed
     for the key, a slow execution whose retry gets a 409, a 429/500/503 before executing), and once ~30% are
     paid the worker holding the payouts' leases is SIGKILLed (its whole process group) and a worker is
     started again (worker_ready -> resume_payout_runs; the other worker may take the run over as soon as the
     dead connection frees the run's advisory lock and the dead worker's leases expire).
Timed: from the approval call to no payout of the run pending or sending. Then `reconcile` runs once (it
settles "unknown" payouts whose transfer exists). Checked after every round (exactly once): every artist has
exactly one transfer at the fake, of their payout's amount; no payout failed (nor credited back) while its
transfer exists; after reconcile every payout is paid, with that transfer; every ledger balance is 0;
reconcile reports no difference.
Exit status 1 if B's median passes 1.3 x N/rate or a check fails in any round.

Knobs: BENCH_PAYOUTS, BENCH_RATE, BENCH_ROUNDS (3), BENCH_LATENCY, BENCH_FAULT_RATE, BENCH_KILL_AT (0.3),
BENCH_LEASE, BENCH_CONCURRENCY, BENCH_SEED (11; round r uses seed + r); to take B apart: BENCH_CONFIGS=B
(B rounds only), BENCH_KILL=0 (faults without the kill).
"""
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ["CELERY_BROKER_URL"] = REDIS_URL  # the approval queues the sending task to the workers
os.environ.setdefault("LOG_LEVEL", "WARNING")
from common import BENCH_DATABASE_URL, ROOT, approved_time_logs, make_artists, make_program, setup_django  # noqa: E402
from devtools.celery_worker import Worker  # noqa: E402  (common put the repository on the path)

DATABASE_URL = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/atelier_bench_lease"
N = int(os.environ.get("BENCH_PAYOUTS", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
LATENCY = float(os.environ.get("BENCH_LATENCY", "0.06"))
FAULT_RATE = float(os.environ.get("BENCH_FAULT_RATE", "0.1"))
KILL_AT = float(os.environ.get("BENCH_KILL_AT", "0.3"))
LEASE_SECONDS = os.environ.get("BENCH_LEASE", "3")
CONCURRENCY = os.environ.get("BENCH_CONCURRENCY", "4")
KILL = os.environ.get("BENCH_KILL", "1") != "0"  # 0: B with faults only (to tell the kill's cost from the faults')
CONFIGS = os.environ.get("BENCH_CONFIGS", "AB")  # "B": B rounds only (investigation)
CLIENT_TIMEOUT = 1.0
TARGET = 1.3
SEED = int(os.environ.get("BENCH_SEED", "11"))


# --- the fake Stripe: a remote API's latency, and faults on a share of transfer creations ---------------------

def fake_class():
    from devtools.fake_stripe import FakeStripe, Fault

    class LeaseStripe(FakeStripe):
        """FlakyStripe of tests/payments/test_payout_worker.py, answering after LATENCY. Seeded per round."""

        MODES = [
            dict(mode="timeout", delay=CLIENT_TIMEOUT + 0.5),  # executed; the answer comes too late
            dict(mode="error_after", status=502),  # executed; the answer is lost on the way back
            dict(mode="error_stored", status=500),  # executed; Stripe's 500 stored and replayed for the key
            dict(mode="slow", delay=CLIENT_TIMEOUT + 0.5),  # still executing when the retry comes: 409
            dict(mode="error_before", status=429),
            dict(mode="error_before", status=500),
            dict(mode="error_before", status=503),
        ]

        def __init__(self, *args, seed=0, fault_rate=0.0, **kwargs):
            super().__init__(*args, **kwargs)
            self.rng = random.Random(seed)
            self.fault_rate = fault_rate
            self.injected = Counter()

        def _take_fault(self, method, path):
            fault = super()._take_fault(method, path)
            if (fault is None and self.fault_rate and method == "POST" and path == "/v1/transfers"
                    and self.rng.random() < self.fault_rate):
                spec = self.rng.choice(self.MODES)
                self.injected[f"{spec['mode']} {spec.get('status', '')}".strip()] += 1
                fault = Fault(path_prefix="/v1/transfers", method="POST", **spec)
            return fault

        def handle_api(self, method, path, query, body, headers):
            response, delay = super().handle_api(method, path, query, body, headers)
            return response, delay + LATENCY

    return LeaseStripe


def wait_for(condition, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def worker_env(fake_url: str) -> dict:
    return {
        **os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_ENV": "production", "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "localhost", "LOG_LEVEL": "WARNING", "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": REDIS_URL, "CACHE_URL": REDIS_URL, "PACING_REDIS_URL": REDIS_URL,
        "PACING_KEY_PREFIX": f"bench-lease-{uuid.uuid4().hex}",  # a fresh window for each round
        "STRIPE_API_BASE": fake_url, "STRIPE_TRANSFERS_PER_SECOND": str(RATE),
        "STRIPE_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT), "PAYOUT_LEASE_SECONDS": LEASE_SECONDS,
        "PAYOUT_RESUME_AFTER_SECONDS": "1", "STRIPE_SEND_CONCURRENCY": CONCURRENCY,
    }


# --- data -----------------------------------------------------------------------------------------------------

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


def prepare_round(slug: str, fake):
    """A program with N payable artists (one time entry each) and a run of N payouts, created, not approved."""
    from django.utils import timezone

    from payments.models import LedgerEntry, StripeAccount
    from payments.services.payouts import create_payout_run

    program = make_program(slug)
    creator, approver = finance_users(program)
    memberships = make_artists(program, N, prefix=f"{slug}-artist")
    accounts = StripeAccount.objects.bulk_create([
        StripeAccount(artist_id=m.artist_id, stripe_account_id=f"acct_{slug.replace('-', '')}{m.pk:08d}",
                      country="US", state=StripeAccount.State.ENABLED, details_submitted=True, payouts_enabled=True,
                      transfers_active=True) for m in memberships], batch_size=2000)
    for account in accounts:
        fake.create_account(account_id=account.stripe_account_id, enabled=True)
    fake.set_balance(program.currency.lower(), 10**12)
    today = timezone.localdate()
    time_logs = approved_time_logs(memberships, day=today - timedelta(days=3), description="Testing time")
    LedgerEntry.objects.bulk_create([
        LedgerEntry(program=program, membership=m, kind=LedgerEntry.Kind.TIME, amount_minor=2500 + i,
                    currency=program.currency, source_key=f"bench-lease:{slug}:{m.pk}",
                    work_date=today - timedelta(days=3), unit_rate_minor=3000, quantity="1.00",
                    description="Testing time", time_log_id=time_logs[m.pk])
        for i, m in enumerate(memberships)])
    run = create_payout_run(program=program, period_start=today - timedelta(days=30), period_end=today, by=creator)
    return program, approver, run, memberships, today


# --- one round ------------------------------------------------------------------------------------------------

def sending_pids(run) -> set[int]:
    """The processes holding a live lease on one of the run's payouts (lease owner host:pid:thread:nonce)."""
    from django.utils import timezone

    from payments.models import Payout

    owners = Payout.objects.filter(run=run, status=Payout.Status.SENDING, lease_expires_at__gt=timezone.now()) \
        .exclude(lease_owner="").values_list("lease_owner", flat=True)
    return {int(owner.split(":")[1]) for owner in owners if owner.count(":") >= 3}


def one_round(label: str, round_no: int, faults: bool, logdir: Path) -> dict:
    import redis
    from django.conf import settings
    from django.db.models import Sum

    from atelier.accounts import current_totp_code
    from payments import stripe_gateway as gateway
    from payments.models import LedgerEntry, Payout, PayoutRun
    from payments.services.payouts import OPEN_STATUSES, approve_payout_run
    from payments.services.reconciliation import reconcile

    redis.Redis.from_url(REDIS_URL).flushdb()  # the benchmark's own database: no task or window left over
    fake = fake_class()(rate_limit_per_second=RATE, seed=SEED + round_no, fault_rate=FAULT_RATE if faults else 0.0)
    fake.start()
    workers = []
    result = {"label": label, "round": round_no, "problems": []}
    problems = result["problems"]
    try:
        settings.STRIPE_API_BASE = fake.url  # this process: the approval's balance check, reconciliation
        settings.STRIPE_TIMEOUT_SECONDS = CLIENT_TIMEOUT * 10
        slug = f"lease-{label.lower()}{round_no}-{uuid.uuid4().hex[:6]}"
        program, approver, run, memberships, today = prepare_round(slug, fake)
        assert run.payouts.count() == N, run.payouts.count()
        env = worker_env(fake.url)
        workers = [Worker(env, logdir / f"{slug}-w{i}.log", f"lease{i}").start() for i in (1, 2)]
        wait_for(lambda: all(w.ready() for w in workers), 120, "two workers to be ready")

        open_count = lambda: Payout.objects.filter(run=run, status__in=OPEN_STATUSES).count()  # noqa: E731
        paid_count = lambda: Payout.objects.filter(run=run, status=Payout.Status.PAID).count()  # noqa: E731
        limit = max(300.0, 8 * N / RATE)
        started = time.perf_counter()
        approve_payout_run(run, by=approver, totp_code=current_totp_code(approver))  # queues sending on commit
        killed_at = None
        if faults and KILL:
            wait_for(lambda: paid_count() >= KILL_AT * N, limit, f"{KILL_AT:.0%} paid", interval=0.05)
            victim = None
            while victim is None and time.perf_counter() - started < limit:
                pids = sending_pids(run)
                victim = next((w for w in workers if any(w.owns(pid) for pid in pids)), None)
                if victim is None:
                    time.sleep(0.01)
            if victim is None:
                raise RuntimeError("no worker holds a lease: cannot tell which one is sending")
            victim.kill()
            killed_at = time.perf_counter()
            result["paid_at_kill"] = paid_count()
            result["leases_at_kill"] = len(sending_pids(run))
            if PayoutRun.objects.get(pk=run.pk).status != PayoutRun.Status.SENDING:
                problems.append("the run was no longer sending when the worker was killed")
            workers.append(Worker(env, logdir / f"{slug}-w3.log", "lease3").start())  # a worker started again
        wait_for(lambda: open_count() == 0, limit, "no payout pending or sending", interval=0.05)
        elapsed = time.perf_counter() - started
        result["elapsed"] = elapsed
        if killed_at is not None:
            result["killed_at_offset"] = killed_at - started
        log = fake.request_log
        posts = [e for e in log if e["method"] == "POST" and e["path"] == "/v1/transfers"]
        result["posts"] = len(posts)
        result["status_counts"] = dict(Counter(e["status"] for e in posts))
        result["injected"] = dict(fake.injected)
        if killed_at is not None:
            kill_wall = time.time() - (time.perf_counter() - killed_at)
            after = sorted(e["time"] for e in posts if e["time"] > kill_wall)
            result["first_post_after_kill"] = (after[0] - kill_wall) if after else None
            # The longest pause in transfer requests after the kill (the recovery gap).
            gaps = [b - a for a, b in zip([kill_wall] + after, after)]
            result["longest_gap_after_kill"] = max(gaps) if gaps else None
        times = sorted(e["time"] for e in posts)
        result["busiest_second"] = busiest_second(times)

        # --- checks before reconciliation ---
        statuses = Counter(Payout.objects.filter(run=run).values_list("status", flat=True))
        result["statuses_before"] = dict(statuses)
        result["unknown"] = statuses.get(Payout.Status.UNKNOWN, 0)
        transfers = fake.transfers(transfer_group=run.transfer_group)
        if len(fake.transfers()) != len(transfers):
            problems.append(f"{len(fake.transfers()) - len(transfers)} transfers outside the run's group")
        by_payout = defaultdict(list)
        for transfer in transfers:
            by_payout[str((transfer.get("metadata") or {}).get("payout_id"))].append(transfer)
        failed_with_transfer = [pk for pk in Payout.objects.filter(run=run, status=Payout.Status.FAILED)
                                .values_list("pk", flat=True) if by_payout.get(str(pk))]
        if failed_with_transfer:
            problems.append(f"{len(failed_with_transfer)} payouts failed while their transfer exists")
        credited = LedgerEntry.objects.filter(payout__run=run, kind=LedgerEntry.Kind.PAYOUT_FAILED).count()
        if credited:
            problems.append(f"{credited} payouts credited back")

        # --- reconciliation (retried if the fake's own rate limit answers a list page with a 429) ---
        report = None
        for attempt in range(5):
            try:
                report = reconcile(program, today - timedelta(days=30), today)
                break
            except gateway.RetryableStripeError:
                time.sleep(1.5)
        if report is None:
            problems.append("reconciliation could not list Stripe's transfers")
        else:
            result["differences"] = report.differences.count()
            if result["differences"]:
                problems.append(f"reconciliation found {result['differences']} differences")
        after = Counter(Payout.objects.filter(run=run).values_list("status", flat=True))
        result["statuses_after"] = dict(after)
        result["settled_by_reconcile"] = result["unknown"] - after.get(Payout.Status.UNKNOWN, 0)
        if set(after) != {Payout.Status.PAID}:
            problems.append(f"after reconcile not all paid: {dict(after)}")

        # --- exactly once: per artist one transfer, of the payout's amount, recorded on the payout ---
        by_destination = defaultdict(list)
        for transfer in transfers:
            by_destination[transfer["destination"]].append(transfer)
        wrong = 0
        for payout in Payout.objects.filter(run=run).select_related("stripe_account"):
            found = by_destination.get(payout.stripe_account.stripe_account_id, [])
            if (len(found) != 1 or found[0]["amount"] != payout.amount_minor
                    or payout.stripe_transfer_id != found[0]["id"]):
                wrong += 1
        result["transfers"] = len(transfers)
        if wrong or len(transfers) != N:
            problems.append(f"{wrong} artists without exactly one matching transfer ({len(transfers)} transfers)")
        nonzero = LedgerEntry.objects.filter(program=program).values("membership").annotate(total=Sum("amount_minor")) \
            .exclude(total=0).count()
        if nonzero:
            problems.append(f"{nonzero} artists with a balance other than 0")
        run.refresh_from_db()
        result["run_status"] = run.status
        if run.status != PayoutRun.Status.COMPLETED:
            problems.append(f"run ended {run.status}")
        result["ok"] = not problems
        return result
    finally:
        for worker in workers:
            worker.stop()
        fake.stop()


def busiest_second(times: list[float]) -> int:
    busiest, low = 0, 0
    for high, t in enumerate(times):
        while t - times[low] >= 1.0:
            low += 1
        busiest = max(busiest, high - low + 1)
    return busiest


def describe(r: dict) -> str:
    line = (f"round {r['round']} {r['label']}: {r['elapsed']:.2f} s = {r['elapsed'] / (N / RATE):.3f} x N/rate; "
            f"{r['posts']} POST /v1/transfers {r['status_counts']}, busiest second {r['busiest_second']}")
    if r["injected"]:
        line += f"; faults {sum(r['injected'].values())} {r['injected']}"
    if "paid_at_kill" in r:
        line += (f"; killed at {r['killed_at_offset']:.1f} s with {r['paid_at_kill']} paid "
                 f"({r['leases_at_kill']} leases held); first transfer request after the kill "
                 f"{r['first_post_after_kill']:.2f} s later, longest pause {r['longest_gap_after_kill']:.2f} s")
    verdict = "yes" if r["ok"] else "NO: " + "; ".join(r["problems"])
    line += (f"; unknown {r['unknown']}, settled by reconcile {r['settled_by_reconcile']}, "
             f"differences {r.get('differences')}; exactly once: {verdict}")
    return line


def main() -> int:
    setup_django(DATABASE_URL, fresh=True)
    ideal = N / RATE
    print(f"{N} payouts at {RATE:g}/s (N/rate {ideal:.1f} s), {LATENCY * 1000:.0f} ms per Stripe call, "
          f"lease {LEASE_SECONDS} s, {CONCURRENCY} sending threads, 2 workers; B: {FAULT_RATE:.0%} faults, "
          + (f"kill at {KILL_AT:.0%} paid" if KILL else "no kill") + f"; {ROUNDS} rounds of {CONFIGS}", flush=True)
    logdir = Path(tempfile.mkdtemp(prefix="bench-lease-"))
    results = {"A": [], "B": []}
    for round_no in range(1, ROUNDS + 1):
        for label, faults in (("A", False), ("B", True)):
            if label not in CONFIGS:
                continue
            r = one_round(label, round_no, faults, logdir)
            results[label].append(r)
            print(describe(r), flush=True)
    print(f"(worker logs: {logdir})")
    print()
    print("| Round | Configuration | Elapsed (s) | ÷ N/rate | POSTs | 429s | 409s | Faults | Paid at kill | "
          "Pause after kill (s) | Unknown → settled | Exactly once |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for round_no in range(ROUNDS):
        for label in CONFIGS:
            r = results[label][round_no]
            print(f"| {r['round']} | {label} | {r['elapsed']:.2f} | {r['elapsed'] / ideal:.3f} | {r['posts']} | "
                  f"{r['status_counts'].get(429, 0)} | {r['status_counts'].get(409, 0)} | "
                  f"{sum(r['injected'].values())} | {r.get('paid_at_kill', '–')} | "
                  + (f"{r['longest_gap_after_kill']:.2f}" if r.get("longest_gap_after_kill") is not None else "–")
                  + f" | {r['unknown']} → {r['settled_by_reconcile']} | {'yes' if r['ok'] else 'NO'} |")
    print()
    print("| Configuration | median (s) | spread (min–max, s) | median ÷ N/rate | spread ÷ N/rate |")
    print("|---|---:|---:|---:|---:|")
    medians = {}
    for label, name in (("A", "A no faults, no kill (floor)"), ("B", "B 10% faults, a worker killed")):
        if label not in CONFIGS:
            continue
        times = [r["elapsed"] for r in results[label]]
        medians[label] = statistics.median(times)
        print(f"| {name} | {medians[label]:.2f} | {min(times):.2f}–{max(times):.2f} | {medians[label] / ideal:.3f} | "
              f"{min(times) / ideal:.3f}–{max(times) / ideal:.3f} |")
    once = all(r["ok"] for rs in results.values() for r in rs)
    fast = "B" not in medians or medians["B"] <= TARGET * ideal
    if "B" in medians:
        print(f"\nB median {medians['B']:.2f} s vs target {TARGET} x N/rate = {TARGET * ideal:.1f} s: "
              f"{'pass' if fast else 'FAIL'}" + (f"; B/A {medians['B'] / medians['A']:.3f}" if "A" in medians else ""))
    print(f"exactly once in every round: {'pass' if once else 'FAIL'}")
    return 0 if fast and once else 1


if __name__ == "__main__":
    sys.exit(main())
