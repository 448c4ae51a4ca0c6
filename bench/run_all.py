"""Run every benchmark in turn (`make bench`), print each one's output, then a summary.

    .venv/bin/python bench/run_all.py                  # all of them
    .venv/bin/python bench/run_all.py query_counts     # only some

Each script uses its own PostgreSQL database (atelier_bench*, see BENCHMARKS.md); export_memory.py uses
DATABASE_URL's database but rolls everything back. Exit status 1 if any script misses its target.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
SCRIPTS = ["query_counts", "request_rate", "payout_run", "export_memory"]


def main(names):
    env = dict(os.environ)
    # export_memory.py works on DATABASE_URL (everything rolled back); default it to the bench database.
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/atelier_bench")
    env.setdefault("DJANGO_DEBUG", "false")
    results = []
    for name in names:
        print(f"\n===== bench/{name}.py =====", flush=True)
        started = time.perf_counter()
        code = subprocess.run([PYTHON, str(BENCH / f"{name}.py")], cwd=ROOT, env=env).returncode
        results.append((name, code, time.perf_counter() - started))
    print("\n===== summary =====")
    for name, code, seconds in results:
        print(f"{name:<15} {'pass' if code == 0 else f'FAIL (exit {code})':<16} {seconds:6.0f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or SCRIPTS))
