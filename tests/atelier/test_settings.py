"""Settings from the environment: the embedded default, PostgreSQL, Redis, production refusals and check --deploy."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-for-the-settings-test-0123456789",
    "DJANGO_ALLOWED_HOSTS": "atelier.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/atelier",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def run_python(code, env_overrides, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def run_manage(args, env_overrides):
    code = f"import sys; sys.argv = ['manage.py', *{args!r}]; exec(open('manage.py').read())"
    return run_python(code, env_overrides)


READ = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='atelier.settings'; django.setup(); from django.conf import settings as s; "


def test_embedded_default_is_sqlite_eager_tasks_console_mail_local_media():
    result = run_python(READ + "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.STORAGES['default']['BACKEND'])", {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True",
                                     "django.core.mail.backends.console.EmailBackend",
                                     "django.core.files.storage.FileSystemStorage"]


def test_database_url_and_broker_switch_to_postgresql_and_redis():
    result = run_python(READ + "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)",
                        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/3"})
    assert result.stdout.split() == ["django.db.backends.postgresql", "False", "redis://127.0.0.1:6379/3"]


def test_production_refuses_to_start_without_secret_key():
    env = {**PROD_ENV}
    del env["DJANGO_SECRET_KEY"]
    result = run_manage(["check"], env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {**PROD_ENV}
    del env["DJANGO_ALLOWED_HOSTS"]
    result = run_manage(["check"], env)
    assert result.returncode != 0 and "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_refuses_to_start_without_a_shared_cache():
    """Four workers with their own in-process caches let 20 wrong passwords through instead of 5."""
    for cache_url in (None, "locmemcache://", "dummycache://"):
        env = {k: v for k, v in PROD_ENV.items() if k != "CACHE_URL"}
        if cache_url:
            env["CACHE_URL"] = cache_url
        result = run_python(READ, env, drop=("CACHE_URL",))
        assert result.returncode != 0 and "CACHE_URL" in result.stderr, cache_url


def test_check_deploy_reports_a_per_process_cache():
    result = run_manage(["check", "--deploy"], {"CACHE_URL": "locmemcache://"})
    assert "atelier.E001" in result.stdout + result.stderr


def test_trusted_proxies_that_are_not_addresses_refuse_to_start():
    result = run_python(READ, {"TRUSTED_PROXIES": "10.0.0.0/8,not-a-network"})
    assert result.returncode != 0 and "TRUSTED_PROXIES" in result.stderr
