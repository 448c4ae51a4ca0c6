"""`make run`'s set-up on the embedded default (SQLite, tasks in process): demo data, then every page as every role."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(args, env, stdin=None):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=900)


def assert_append_only_tables_have_triggers(path):
    """SQLite drops a table's triggers when a migration rebuilds it: every append-only table must still refuse
    UPDATE and DELETE after the last migration."""
    from django.apps import apps

    from atelier.models import AppendOnlyModel

    with sqlite3.connect(path) as db:
        triggers = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    tables = [m._meta.db_table for m in apps.get_models() if issubclass(m, AppendOnlyModel)]
    assert len(tables) >= 4
    for table in tables:
        assert {f"{table}_append_only_update", f"{table}_append_only_delete"} <= triggers, table


@pytest.mark.slow
def test_demo_on_sqlite_serves_every_linked_page_to_every_role(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "DJANGO_"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media"),
                "DJANGO_DEBUG": "false", "LOG_LEVEL": "ERROR"})
    for args in (["migrate", "--noinput"], ["seed_demo"], ["seed_demo"]):
        result = manage(args, env)
        assert result.returncode == 0, result.stdout + result.stderr
    assert_append_only_tables_have_triggers(tmp_path / "demo.sqlite3")
    crawl = manage(["shell"], env, stdin=(ROOT / "tests/smoke/crawl_demo.py").read_text())
    assert crawl.returncode == 0, crawl.stderr
    crawled = dict(line.split()[1:] for line in crawl.stdout.splitlines() if line.startswith("CRAWLED"))
    assert int(crawled["manager@atelier.test"]) > 50 and int(crawled["ana@artists.test"]) > 10
    assert "FAILED" not in crawl.stdout, crawl.stdout
