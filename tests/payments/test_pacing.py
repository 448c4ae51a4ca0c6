"""Pacing of transfer requests shared by processes through Redis (payments/services/pacing.py): two OS processes
taking slots as fast as they are given stay together under the configured rate; one alone reaches it."""
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from payments.services import pacing

ROOT = Path(__file__).resolve().parents[2]
RATE = 20
SECONDS = 3.0

# A child process: takes slots from the shared window from `start` to `start + seconds`, prints their times.
CHILD = """
import json, sys, time
from payments.services.pacing import Pacer
rate, url, name, start, seconds = float(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
pacer = Pacer(rate=rate, redis_url=url, name=name)
while time.time() < start:
    time.sleep(0.001)
taken = []
while True:
    pacer.wait()
    now = time.time()
    if now >= start + seconds:
        break
    taken.append(now)
print(json.dumps(taken))
"""


@pytest.fixture
def redis_url(settings):
    # The shared window lives in Redis: the broker's when it is Redis, else the Redis `make test` starts.
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        url = "redis://127.0.0.1:6379/10"
    return url


def take_in_processes(count: int, url: str, name: str) -> list[list[float]]:
    start = time.time() + 1.5  # both children are imported and waiting when the clock starts
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(RATE), url, name, str(start), str(SECONDS)],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(count)]
    results = []
    for child in children:
        out, err = child.communicate(timeout=30)
        assert child.returncode == 0, err
        results.append(json.loads(out))
    return results


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    best, low = 0, 0
    for high, t in enumerate(times):
        while t - times[low] >= 1.0:
            low += 1
        best = max(best, high - low + 1)
    return best


def test_two_processes_together_stay_under_the_configured_rate(redis_url):
    name = f"test-pacing-{uuid.uuid4().hex}"
    first, second = take_in_processes(2, redis_url, name)
    combined = first + second
    print(f"two processes: {len(first)} + {len(second)} = {len(combined)} in {SECONDS} s (limit {RATE}/s)",
          file=sys.stderr)
    assert len(combined) <= RATE * SECONDS + 2
    assert busiest_second(combined) <= RATE + 2
    assert len(combined) >= 0.9 * RATE * SECONDS  # the limit is used, not wasted
    # Both processes get slots. The limiter promises the total, not an even split: on a loaded machine the one
    # that wakes first when a slot frees takes more of them.
    assert min(len(first), len(second)) >= 1


def test_one_process_reaches_the_configured_rate(redis_url):
    (alone,) = take_in_processes(1, redis_url, f"test-pacing-{uuid.uuid4().hex}")
    assert 0.9 * RATE * SECONDS <= len(alone) <= RATE * SECONDS + 2


def test_without_a_shared_window_two_processes_would_double_the_rate():
    # What the shared window prevents (and what a per-process bucket did): each process paces only itself.
    first, second = take_in_processes(2, "", f"test-pacing-{uuid.uuid4().hex}")
    assert len(first + second) >= 1.6 * RATE * SECONDS


def test_wait_for_transfer_slot_uses_the_settings(settings, redis_url):
    settings.STRIPE_TRANSFERS_PER_SECOND = 5.0
    settings.PACING_REDIS_URL = redis_url
    settings.PACING_KEY_PREFIX = f"test-pacing-{uuid.uuid4().hex}"
    pacer = pacing.transfer_pacer()
    assert pacer.shared and (pacer.item.amount, pacer.item.multiples) == (5, 1)
    started = time.monotonic()
    for _ in range(7):  # five at once, the next two as the window moves
        pacing.wait_for_transfer_slot()
    assert 0.9 <= time.monotonic() - started < 2.0
    pacer.clear()


def test_workers_with_another_stripe_key_have_their_own_window(settings, redis_url):
    settings.PACING_REDIS_URL = redis_url
    settings.PACING_KEY_PREFIX = f"test-pacing-{uuid.uuid4().hex}"
    first = pacing.transfer_pacer()
    settings.STRIPE_API_KEY = "sk_test_another_account"
    assert pacing.transfer_pacer().name != first.name


def test_without_redis_pacing_is_in_process(settings):
    settings.PACING_REDIS_URL = ""
    settings.STRIPE_TRANSFERS_PER_SECOND = 1000.0
    assert not pacing.transfer_pacer().shared
    pacing.wait_for_transfer_slot()


def test_unreachable_redis_falls_back_to_pacing_in_process():
    pacer = pacing.Pacer(rate=5, redis_url="redis://127.0.0.1:1/0", name=f"test-pacing-{uuid.uuid4().hex}")
    started = time.monotonic()
    for _ in range(6):
        pacer.wait(timeout=5)
    assert 0.9 <= time.monotonic() - started < 2.0


def test_fractional_rates_become_whole_windows():
    assert (pacing.window_for(0.5).amount, pacing.window_for(0.5).multiples) == (1, 2)
    assert (pacing.window_for(2.5).amount, pacing.window_for(2.5).multiples) == (5, 2)
    assert (pacing.window_for(40).amount, pacing.window_for(40).multiples) == (40, 1)
    with pytest.raises(ValueError):
        pacing.window_for(0)
