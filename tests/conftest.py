"""Shared fixtures. The suite runs on PostgreSQL when DATABASE_URL points there (CI and `make test` do)."""
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
