"""The access test's world, built once per module inside a transaction that is rolled back at the end; each test
runs in its own savepoint (pytest-django's `db`), so a POST that changes something is undone before the next."""
from pathlib import Path

import pytest
from django.conf import settings
from django.test import TestCase, override_settings

from atelier.celery import app as celery_app

from . import todo
from .world import build_world


@pytest.fixture(autouse=True)
def _isolated_media_and_eager_tasks():
    """Replaces tests/conftest.py's per-test media folder: the world's files live in one folder per module
    (set by `access_world`), which every test must see."""
    yield


@pytest.fixture(scope="module")
def access_world(django_db_setup, django_db_blocker, tmp_path_factory):
    from devtools.fake_stripe import FakeStripe

    root = tmp_path_factory.mktemp("access")
    fake = FakeStripe(webhook_secret="whsec_test_secret").start()
    overrides = override_settings(
        MEDIA_ROOT=str(root / "media"),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STRIPE_API_BASE=fake.url, STRIPE_WEBHOOK_SECRET="whsec_test_secret", STRIPE_RETRY_BACKOFF_SECONDS=0.01,
        STRIPE_TIMEOUT_SECONDS=2.0, STRIPE_TRANSFERS_PER_SECOND=1000.0,
    )
    overrides.enable()
    staticfiles = override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
    staticfiles.enable()
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    try:
        with django_db_blocker.unblock():
            atomics = TestCase._enter_atomics()
            try:
                sources = Path(root / "sources")
                sources.mkdir()
                with TestCase.captureOnCommitCallbacks(execute=True):
                    world = build_world(sources, fake)
                _sign_in_once(world)
                yield world
            finally:
                TestCase._rollback_atomics(atomics)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous
        staticfiles.disable()
        overrides.disable()
        fake.stop()


def _sign_in_once(world):
    """A session per role, made once inside the module's transaction: each case sets the cookie instead of
    calling force_login (which costs as much as the request). A case that changes or rotates its session is
    rolled back with it, so every case starts from the same session."""
    from django.test import Client

    for role, user in world.users.items():
        if user is not None:
            client = Client()
            client.force_login(user)
            world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def access_db(access_world, db):
    """Each case in its own savepoint inside the module's transaction (pytest-django's `db`), rolled back after it.

    Never call `response.close()` on a test-client response here: it fires `request_finished`, whose
    `close_old_connections` closes a connection found inside a transaction, and the world with it."""
    return access_world


def pytest_terminal_summary(terminalreporter):
    text = todo.summary()
    if text:
        terminalreporter.section("access to-do list (url, role, method: expected → actual)")
        terminalreporter.write(text + "\n")
