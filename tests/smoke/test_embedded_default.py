"""`make run`'s set-up on the embedded default (SQLite, tasks in process): demo data, then every page as every role."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(args, env, stdin=None):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_demo_on_sqlite_serves_every_linked_page_to_every_role(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "DJANGO_"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media"),
                "DJANGO_DEBUG": "false", "LOG_LEVEL": "ERROR"})
    for args in (["migrate", "--noinput"], ["seed_demo"], ["seed_demo"]):
        result = manage(args, env)
        assert result.returncode == 0, result.stdout + result.stderr
    crawl = manage(["shell"], env, stdin=(ROOT / "tests/smoke/crawl_demo.py").read_text())
    assert crawl.returncode == 0, crawl.stderr
    crawled = dict(line.split()[1:] for line in crawl.stdout.splitlines() if line.startswith("CRAWLED"))
    assert int(crawled["manager@atelier.test"]) > 50 and int(crawled["ana@artists.test"]) > 10
    assert "FAILED" not in crawl.stdout, crawl.stdout
