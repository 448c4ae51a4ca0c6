"""Run every benchmark in turn (`make bench`), print each one's output, then a summary.

    .venv/bin/python bench/run_all.py                  # all of them
    .venv/bin/python bench/run_all.py query_counts     # only some

Each script uses its own PostgreSQL database (atelier_bench*, see BENCHMARKS.md; BENCH_DATABASE_URL
changes the server/name); export_memory.py is run on atelier_bench (it rolls everything back) and judged
here. Exit status 1 if any script misses its target.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
SCRIPTS = ["query_counts", "request_rate", "page_times", "payout_run", "payout_lease", "pacing", "export_memory",
           "export_rate", "images"]  # the last two: CSV export over HTTP vs COPY, image derivatives vs Pillow


EXPORT_SIZES = ["10000", "100000", "300000"]


def export_memory(env):
    """bench/export_memory.py prints a table and always exits 0 (its author's script): judge it here.
    Flat = the streamed peak at the largest size is at most 1.5x the peak at the smallest."""
    out = subprocess.run([PYTHON, str(BENCH / "export_memory.py"), *EXPORT_SIZES], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    print(out.stdout, end="")
    if out.returncode:
        print(out.stderr[-3000:])
        return out.returncode
    peaks = [float(line.split("|")[1].split()[0]) for line in out.stdout.splitlines()
             if line.strip()[:1].isdigit() and "|" in line]
    flat = len(peaks) == len(EXPORT_SIZES) and peaks[-1] <= 1.5 * peaks[0]
    print(f"Target: streamed peak flat as rows grow ({EXPORT_SIZES[0]} -> {EXPORT_SIZES[-1]} rows: "
          f"{peaks[0] if peaks else '?'} MB -> {peaks[-1] if peaks else '?'} MB): {'pass' if flat else 'FAIL'}")
    return 0 if flat else 1


def main(names):
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "false")
    results = []
    for name in names:
        print(f"\n===== bench/{name}.py =====", flush=True)
        started = time.perf_counter()
        if name == "export_memory":
            # It works on DATABASE_URL's database and rolls everything back: give it the (migrated) bench one.
            sys.path.insert(0, str(BENCH))
            from common import BENCH_DATABASE_URL

            subprocess.run([PYTHON, "-c", "import sys; sys.path.insert(0, 'bench'); from common import setup_django;"
                            " setup_django()"], cwd=ROOT, env=env, check=True)
            code = export_memory({**env, "DATABASE_URL": BENCH_DATABASE_URL})
        elif not (BENCH / f"{name}.py").exists():
            print(f"bench/{name}.py does not exist (yet)")
            code = 2
        else:
            code = subprocess.run([PYTHON, str(BENCH / f"{name}.py")], cwd=ROOT, env=env).returncode
        results.append((name, code, time.perf_counter() - started))
    print("\n===== summary =====")
    for name, code, seconds in results:
        verdict = "info" if name == "page_times" and code == 0 else "pass" if code == 0 else f"FAIL (exit {code})"
        print(f"{name:<15} {verdict:<16} {seconds:6.0f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or SCRIPTS))
