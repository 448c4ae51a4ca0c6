"""Pacing across processes: two worker processes sending transfers through the fake Stripe server stay, together,
under STRIPE_TRANSFERS_PER_SECOND (target: total ≤ rate + 5%, as one process alone).

    .venv/bin/python bench/pacing.py
    BENCH_RATE=20 BENCH_SECONDS=6 BENCH_ROUNDS=3 .venv/bin/python bench/pacing.py

The fake Stripe server runs in this process with Stripe's own test-mode limit of BENCH_RATE requests/s (so a
faster client gets 429s) and answers each request after BENCH_LATENCY seconds (60 ms), as a remote API would.
Each worker is a separate OS process with production settings (DJANGO_ENV=production, bench.settings: the
product's settings, quiet logging) and STRIPE_SEND_CONCURRENCY threads that, like the payout sender, wait for
a slot and then call payments.stripe_gateway.create_transfer with their own idempotency key, as fast as
they are let, for BENCH_SECONDS from a start time agreed in advance. No database: only pacing and the
Stripe call are measured (the sending service is being reworked; it will call the same
pacing.wait_for_transfer_slot()).

Three configurations, interleaved ABCABC... for BENCH_ROUNDS rounds (the machine's load drifts):
  A  one process, shared window (the floor: what one sender reaches);
  B  two processes, shared window (payments.services.pacing, Redis at BENCH_REDIS_URL);
  C  two processes, each with its own bucket (an in-memory pacer per process: what was there before).
Counted at the fake, as Stripe would: transfer requests that arrived in the window, per second; the busiest
one-second window; 429s answered. Exit status 1 if B's median passes the rate by more than 5%.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.fake_stripe import FakeStripe  # noqa: E402

RATE = float(os.environ.get("BENCH_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
LATENCY = float(os.environ.get("BENCH_LATENCY", "0.06"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
TOLERANCE = 0.05

WORKER = r"""
import os, sys, threading, time, uuid
import django
django.setup()
from payments import stripe_gateway as gateway
from payments.services import pacing

mode, account, start, seconds, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
# "own": each process paces itself alone, in memory (as the per-process token bucket did before).
wait = pacing.wait_for_transfer_slot if mode == "shared" else pacing.Pacer(
    rate=float(os.environ["STRIPE_TRANSFERS_PER_SECOND"]), redis_url="").wait
prefix = uuid.uuid4().hex[:8]
sent, errors = [0], [0]

def send(n):
    i = 0
    while time.time() < start:
        time.sleep(0.001)
    while True:
        wait()
        if time.time() >= start + seconds:
            return
        i += 1
        try:
            gateway.create_transfer(amount=100, currency="usd", destination=account, transfer_group="bench-pacing",
                                    metadata={"bench": prefix}, idempotency_key=f"bench-{prefix}-{n}-{i}")
            sent[0] += 1
        except gateway.StripeGatewayError:
            errors[0] += 1

workers = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(sent[0], errors[0])
"""


class RemoteStripe(FakeStripe):
    """The fake, answering after a network-like latency."""

    def handle_api(self, method, path, query, body, headers):
        response, delay = super().handle_api(method, path, query, body, headers)
        return response, delay + LATENCY


def measure(fake: FakeStripe, account: str, processes: int, mode: str) -> dict:
    fake.reset()  # also refills the fake's rate limit
    fake.create_account(account_id=account, enabled=True)
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "bench-" + "x" * 60, "DJANGO_ALLOWED_HOSTS": "localhost",
        "LOG_LEVEL": "ERROR", "STRIPE_API_BASE": fake.url, "STRIPE_TRANSFERS_PER_SECOND": str(RATE),
        "STRIPE_TIMEOUT_SECONDS": "10", "CELERY_BROKER_URL": REDIS_URL, "CACHE_URL": REDIS_URL,
        "PACING_KEY_PREFIX": f"bench-pacing-{uuid.uuid4().hex}",  # a fresh window for each measurement
    }
    start = time.time() + 3.0  # every worker has imported Django and waits when the clock starts
    children = [subprocess.Popen([sys.executable, "-c", WORKER, mode, account, str(start), str(SECONDS),
                                  str(THREADS)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    for child in children:
        out, err = child.communicate(timeout=SECONDS + 60)
        if child.returncode != 0:
            raise SystemExit(f"worker failed:\n{err}")
    log = [e for e in fake.request_log if e["method"] == "POST" and e["path"] == "/v1/transfers"]
    arrived = sorted(e["time"] for e in log if start <= e["time"] < start + SECONDS)
    busiest, low = 0, 0
    for high, t in enumerate(arrived):
        while t - arrived[low] >= 1.0:
            low += 1
        busiest = max(busiest, high - low + 1)
    return {"rate": len(arrived) / SECONDS, "busiest_second": busiest,
            "rate_limited": sum(1 for e in log if e["status"] == 429)}


def main() -> int:
    configs = [("A one process, shared window", 1, "shared"),
               ("B two processes, shared window", 2, "shared"),
               ("C two processes, a bucket each (before)", 2, "bucket")]
    results = {name: [] for name, _, _ in configs}
    print(f"rate {RATE:g}/s, {SECONDS:g} s per measurement, {THREADS} threads per process, "
          f"{LATENCY * 1000:.0f} ms per Stripe call, {ROUNDS} rounds", flush=True)
    with RemoteStripe(rate_limit_per_second=RATE) as fake:
        account = "acct_1BenchPacing000000000000"
        for round_no in range(1, ROUNDS + 1):
            for name, processes, mode in configs:
                result = measure(fake, account, processes, mode)
                results[name].append(result)
                print(f"round {round_no} {name}: {result['rate']:.2f} req/s, busiest second "
                      f"{result['busiest_second']}, 429s {result['rate_limited']}", flush=True)
    print()
    print("| Configuration | median req/s | spread (min–max) | ratio to rate | busiest second (max) | 429s (total) |")
    print("|---|---:|---:|---:|---:|---:|")
    medians = {}
    for name, _, _ in configs:
        rates = [r["rate"] for r in results[name]]
        medians[name] = statistics.median(rates)
        print(f"| {name} | {medians[name]:.2f} | {min(rates):.2f}–{max(rates):.2f} | {medians[name] / RATE:.2f} | "
              f"{max(r['busiest_second'] for r in results[name])} | {sum(r['rate_limited'] for r in results[name])} |")
    shared = medians["B two processes, shared window"]
    floor = medians["A one process, shared window"]
    ok = shared <= RATE * (1 + TOLERANCE)
    print(f"\nTwo processes, shared: {shared:.2f} req/s = {shared / floor:.2f} × one process, "
          f"{shared / RATE:.2f} × the rate: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
