"""CPU per request, in process, of the pages kept by atelier.page_cache: computed (a miss) and from the cache (a hit).

    CACHE_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/page_cache_cpu.py

Uses request_rate.py's data (atelier_bench, built by it if missing) and its users. Each page is requested with
django.test.Client; a miss is forced by moving the page's program generation on before the request (what any
action in the program does), outside the timing. Medians of ROUNDS requests of each kind, process CPU time.
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
import request_rate  # noqa: E402
from common import BENCH_DATABASE_URL, setup_django  # noqa: E402

ROUNDS = 15


def cpu_ms(client, path, before=None) -> float:
    if before is not None:
        before()
    started = time.process_time()
    response = client.get(path)
    elapsed = time.process_time() - started
    assert response.status_code == 200, (path, response.status_code)
    return elapsed * 1000


def main():
    setup_django(BENCH_DATABASE_URL, data_version=request_rate.DATA_VERSION)
    program, artist, staff, run = request_rate.build()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    settings.ROOT_URLCONF = "bench.urls"  # the bare view and the empty layout, for reference

    from atelier import figure_cache, page_cache

    def miss():
        figure_cache.invalidate(page_cache.program_scope(program.pk))

    slug = {"slug": program.slug}
    pages = [
        ("Artist home", reverse("home"), artist),
        ("Artist earnings", reverse("payments:earnings"), artist),
        ("Review queue", reverse("content_review:queue", kwargs=slug), staff["reviewer"]),
        ("Payout run detail", reverse("payments:payout_run", kwargs={**slug, "run_id": run.pk}), staff["finance"]),
        ("Payout runs list", reverse("payments:payout_runs", kwargs=slug), staff["finance"]),
        ("Reports overview", reverse("payments:reports_overview", kwargs=slug), staff["finance"]),
    ]
    print(f"{'page':<22} {'miss ms':>8} {'hit ms':>8}  (CPU per request, median of {ROUNDS})")
    client = Client()
    client.force_login(artist)
    for label, path in (("Bare view", "/bench/bare/"), ("Signed-in layout", "/bench/template/")):
        times = [cpu_ms(client, path) for _ in range(ROUNDS + 2)][2:]
        print(f"{label:<22} {'':8} {statistics.median(times):8.2f}", flush=True)
    for label, path, user in pages:
        client = Client()
        client.force_login(user)
        for _ in range(2):
            cpu_ms(client, path)  # warm per-process caches
        misses = [cpu_ms(client, path, miss) for _ in range(ROUNDS)]
        cpu_ms(client, path)
        hits = [cpu_ms(client, path) for _ in range(ROUNDS)]
        print(f"{label:<22} {statistics.median(misses):8.2f} {statistics.median(hits):8.2f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
