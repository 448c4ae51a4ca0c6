"""What the signed-in layout costs beyond a bare view, in process (informational: no target, no exit status).

    .venv/bin/python bench/layout_profile.py                      # time both views for each kind of user
    LAYOUT_PROFILE=1 .venv/bin/python bench/layout_profile.py     # and the cProfile top of the layout
    CACHE_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/layout_profile.py   # with the shared cache

It calls the WSGI handler directly (no server, no network), with bench.settings and DJANGO_DEBUG=false, for a
signed-in artist, a reviewer (one role) and a staff member with every role, each with their own session cookie.
It prints the microseconds per request of /bench/bare/ and /bench/template/, interleaved (ABAB), their ratio, and
the SQL queries and cache calls the layout makes once warm. Data: a small database of its own
(LAYOUT_DATABASE_URL, default atelier_layout_profile) with one program, 50 artists and the staff.
"""
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("DJANGO_DEBUG", "false")
from common import make_artists, make_program, setup_django  # noqa: E402

DATABASE_URL = os.environ.get("LAYOUT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/atelier_layout_profile")
ROUNDS = int(os.environ.get("LAYOUT_ROUNDS", "5"))
REQUESTS = int(os.environ.get("LAYOUT_REQUESTS", "1000"))


def people():
    from atelier.accounts import ensure_totp
    from atelier.models import User
    from testers.models import StaffRole

    program = make_program("layout")
    artist = make_artists(program, 50, prefix="layout-artist")[0].artist.user
    reviewer, _ = User.objects.get_or_create(email="layout-reviewer@bench.test")
    everyone, _ = User.objects.get_or_create(email="layout-staff@bench.test")
    StaffRole.objects.get_or_create(user=reviewer, program=program, role=StaffRole.Role.REVIEWER)
    for role in StaffRole.Role.values:
        StaffRole.objects.get_or_create(user=everyone, program=program, role=role)
    for user in (reviewer, everyone):
        ensure_totp(user)
    return {"artist": artist, "reviewer": reviewer, "all roles": everyone}


def cookie_of(user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def caller(path, cookie):
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1", "HTTP_COOKIE": cookie, "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "REMOTE_ADDR": "127.0.0.1"}

    def call():
        statuses = []
        body = handler(dict(environ), lambda status, headers: statuses.append(status))
        b"".join(body)
        body.close()
        return statuses[0]

    return call


def per_request(call, n):
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n * 1e6


def counted(call):
    """(queries, cache calls) of one warm request."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calls = []
    names = ("get", "get_many", "set", "set_many", "delete", "delete_many", "add", "incr")
    originals = {name: getattr(cache, name) for name in names}
    for name, fn in originals.items():
        setattr(cache, name, lambda *a, _fn=fn, _name=name, **k: (calls.append(f"{_name} {str(a[0])[:60]}"), _fn(*a, **k))[1])
    try:
        with CaptureQueriesContext(connection) as queries:
            status = call()
    finally:
        for name in names:
            delattr(cache, name)
    return status, [q["sql"] for q in queries.captured_queries], calls


def main():
    setup_django(DATABASE_URL)
    from django.conf import settings
    from django.db import connection

    users = people()
    print(f"cache: {settings.CACHES['default']['BACKEND']}; sessions: {settings.SESSION_ENGINE}; "
          f"CONN_HEALTH_CHECKS: {settings.DATABASES['default'].get('CONN_HEALTH_CHECKS')}")
    from atelier import person_cache

    cookies = {who: cookie_of(user) for who, user in users.items()}
    time.sleep(person_cache.CLEARED_FOR)  # signing in changed last_login: the person's entries fill after this
    for who, cookie in cookies.items():
        bare, layout = caller("/bench/bare/", cookie), caller("/bench/template/", cookie)
        for _ in range(50):
            bare(), layout()
        status, queries, calls = counted(layout)
        ratios, bare_us, layout_us = [], [], []
        for _ in range(ROUNDS):
            b = per_request(bare, REQUESTS)
            t = per_request(layout, REQUESTS)
            b2 = per_request(bare, REQUESTS)
            bare_us.append((b + b2) / 2)
            layout_us.append(t)
            ratios.append((b + b2) / 2 / t)
        print(f"\n{who}: layout HTTP {status}, {len(queries)} queries, cache calls {calls}")
        for sql in queries:
            print(f"    {sql[:150]}")
        print(f"  bare {statistics.median(bare_us):.0f} µs, layout {statistics.median(layout_us):.0f} µs, "
              f"ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")
        if os.environ.get("LAYOUT_PROFILE"):
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(REQUESTS):
                layout()
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
            print(out.getvalue())
    connection.close()


if __name__ == "__main__":
    main()
