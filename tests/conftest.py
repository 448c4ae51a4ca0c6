"""Shared fixtures. The suite runs on PostgreSQL when DATABASE_URL points there (CI and `make test` do)."""
import os
from urllib.parse import urlsplit, urlunsplit

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt

from atelier.celery import app as celery_app
from tests import factories


@pytest.fixture(autouse=True)
def _isolated_media_and_eager_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real password hashing is slow on purpose; the suite creates thousands of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # Tasks run in process unless a test asks for the real worker (the `celery_worker` fixture).
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth keeps rate-limit counters and used TOTP codes in the cache.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def program(db):
    return factories.ProgramFactory()


@pytest.fixture
def other_program(db):
    return factories.ProgramFactory(name="Other Program", slug="other-program")


@pytest.fixture
def manager(program):
    return factories.staff_user(program, "manager")


@pytest.fixture
def reviewer(program):
    return factories.staff_user(program, "reviewer")


@pytest.fixture
def finance(program):
    return factories.staff_user(program, "finance")


@pytest.fixture
def artist_membership(program):
    return factories.MembershipFactory(program=program)


@pytest.fixture
def artist(artist_membership):
    return artist_membership.artist.user


@pytest.fixture
def site_admin(db):
    return factories.UserFactory(is_superuser=True, is_staff=True, totp=True)


def totp_code(user) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return pyotp.TOTP(decrypt(authenticator.data["secret"])).now()


def wait_until(predicate, timeout=10.0, interval=0.05):
    """Poll `predicate` until it is true or `timeout` seconds pass; return its last value."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        pause.wait(interval)


def run_together(*targets, timeout=60.0):
    """Run each callable in its own thread (so its own database connection), all released at the same moment;
    return their results in order, an exception standing in for the result of a callable that raised."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)

    def runner(index, target):
        try:
            barrier.wait(10)
            results[index] = target()
        except Exception as error:  # the outcome is what the test checks
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a racer is still running"
    return results


@pytest.fixture
def race():
    """The race harness: `race(f, g, ...)` runs the callables at once, each on its own connection (use with
    `@pytest.mark.django_db(transaction=True)` so each sees the others' commits)."""
    return run_together


#: The tests' own Redis database: tests that queue tasks for a real worker use it and empty only it.
TEST_REDIS_DB = int(os.environ.get("ATELIER_TEST_REDIS_DB", "15"))


@pytest.fixture
def test_broker(settings):
    """Tasks go to a Redis broker (not run in process) on the tests' own database number of the configured
    broker's server (ATELIER_TEST_REDIS_DB, default 15), emptied before and after; no other database is touched.
    Yields the broker URL, to hand to a worker process."""
    import redis

    configured = settings.CELERY_BROKER_URL
    assert configured.startswith("redis://"), "run with CELERY_BROKER_URL pointing at Redis"
    url = urlunsplit(urlsplit(configured)._replace(path=f"/{TEST_REDIS_DB}"))
    previous = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    settings.CELERY_BROKER_URL = url
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run something the way a request or task does: its events (and so cache invalidation) follow the commit."""
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)
    return run
