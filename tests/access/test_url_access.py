"""Every URL of our apps, found by walking Django's resolver, for every role, GET and POST (issue 9, point 9).

- `test_every_url_has_a_row` / `test_every_row_is_a_url`: the resolver and the EXPECTED table (table.py) agree.
- `test_access[<url name>-<role>-<method>]`: one case per (url, role, method); a failure says what was expected and
  what came back, and the end of the run prints them all as a to-do list grouped by app (conftest.py).

Roles, the world and the table: roles.py, world.py, table.py.
"""
from __future__ import annotations

import hashlib
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from . import roles as R
from . import todo
from .table import EXPECTED, LOGIN, NOT_FOUND, NOT_FOUND_OR_TOTP, OK, OUR_MODULES, SKIPPED, SOFT, TOTP, expected

# --- the resolver -------------------------------------------------------------------------------------------


def walk(resolver=None, namespaces=(), prefix=""):
    """(full name or None, namespaces, route, view module) of every pattern, includes and namespaces followed."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from walk(pattern, ns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            module = getattr(callback, "__module__", "") or ""
            view_class = getattr(callback, "view_class", None)
            if view_class is not None:
                module = view_class.__module__
            full = ":".join(namespaces + (pattern.name,)) if pattern.name else None
            yield full, namespaces, prefix + str(pattern.pattern), module


def skip_reason(full, namespaces):
    name = (full or "").rsplit(":", 1)[-1]
    for kind, value, why in SKIPPED:
        if kind == "namespace" and namespaces[:1] == (value,):
            return why
        if kind == "name_prefix" and not namespaces and name.startswith(value):
            return why
    return None


def classify():
    """({our url name: route}, [skipped (name, route, why)], [unclassified problems])."""
    ours, skipped, problems = {}, [], []
    for full, namespaces, route, module in walk():
        why = skip_reason(full, namespaces)
        if why is not None and not module.startswith(OUR_MODULES):
            skipped.append((full, route, why))
        elif module.startswith(OUR_MODULES):
            if full is None:
                problems.append(f"unnamed pattern {route!r} ({module}): name it and give it a row")
            else:
                ours[full] = route
        else:
            problems.append(f"{full or 'unnamed'} {route!r} ({module}): neither ours nor in SKIPPED")
    return ours, skipped, problems


def test_every_url_has_a_row():
    ours, _, problems = classify()
    missing = sorted(set(ours) - set(EXPECTED))
    problems += [f"{name} ({ours[name]!r}) has no row in tests/access/table.py EXPECTED" for name in missing]
    assert not problems, "URLs not classified:\n" + "\n".join(problems)


def test_every_row_is_a_url():
    ours, _, _ = classify()
    stale = sorted(set(EXPECTED) - set(ours))
    assert not stale, "Rows for URL names that no longer exist:\n" + "\n".join(stale)


def test_skip_list_is_what_it_says():
    """Every skipped pattern belongs to Django's admin or to allauth; none of ours is skipped."""
    _, skipped, _ = classify()
    assert skipped, "the resolver walk found nothing to skip: is allauth still mounted?"
    for full, route, _ in skipped:
        assert route.startswith(("admin/", "accounts/")), (full, route)


# --- database fingerprint: "nothing changed" -----------------------------------------------------------------

EXCLUDED_TABLES = {"atelier_user", "atelier_auditlogentry"}  # force_login touches users; refusals may be audited


def _our_models():
    base = Path(settings.BASE_DIR).resolve()
    models = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base not in path.parents or ".venv" in path.parts:
            continue
        for model in config.get_models(include_auto_created=True):
            if model._meta.db_table not in EXCLUDED_TABLES and not model._meta.proxy and model._meta.managed:
                models.append(model)
    return models


def fingerprint() -> dict[str, str]:
    """{table: row count and sum of the rows' hashes} for every table of our apps (one query on PostgreSQL)."""
    models = _our_models()
    tables = sorted({m._meta.db_table for m in models})
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        selects = ", ".join(
            f"(SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) FROM {qn(table)} t)"
            for table in tables)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {selects}")
            return dict(zip(tables, cursor.fetchone()))
    result = {}
    for model in models:
        rows = sorted(repr(r) for r in model._base_manager.values_list())
        result[model._meta.db_table] = hashlib.md5("|".join(rows).encode()).hexdigest()
    return result


# --- one case per (url, role, method) -------------------------------------------------------------------------

def _cases():
    for name, row in EXPECTED.items():
        for method, allowed in (("GET", row.get), ("POST", row.post)):
            if allowed is None:
                continue
            for role in R.ROLES:
                yield pytest.param(name, role, method, id=f"{name}-{role}-{method}")


def _location(response):
    return urlsplit(response.get("Location", "")).path


def _describe(response):
    if 300 <= response.status_code < 400:
        return f"{response.status_code}→{_location(response)}"
    return str(response.status_code)


def _matches(want, response):
    status = response.status_code
    login, totp = resolve_url(settings.LOGIN_URL), reverse("mfa_activate_totp")
    is_redirect = 300 <= status < 400
    to_login = is_redirect and _location(response).startswith(login)
    to_totp = is_redirect and _location(response) == totp
    if isinstance(want, int):
        return status == want
    if want == OK:
        return 200 <= status < 300 or (is_redirect and not to_login and not to_totp)
    if want == NOT_FOUND:
        return status == 404
    if want == LOGIN:
        return to_login
    if want == TOTP:
        return to_totp
    if want == NOT_FOUND_OR_TOTP:
        return status == 404 or to_totp
    if want == SOFT:
        return status < 500 and not to_login and not to_totp
    raise ValueError(want)


_CLIENT = []


def _client() -> Client:
    """One test client for the whole module, signed out: a new Client would load the middleware again, and
    WhiteNoise's start-up scan of the static files costs more than the request itself."""
    if not _CLIENT:
        _CLIENT.append(Client())
    client = _CLIENT[0]
    client.cookies = SimpleCookie()
    return client


@pytest.mark.parametrize("name,role,method", list(_cases()))
def test_access(access_db, name, role, method):
    world = access_db
    row = EXPECTED[name]
    want = expected(row, role, method)
    bundle = world.bundle_for(role)

    def fail(actual, detail=""):
        todo.record(name, role, method, str(want), actual, detail)
        pytest.fail(f"{name} {method} as {role}: expected {want}, got {actual}" + (f" ({detail})" if detail else ""),
                    pytrace=False)

    try:
        url = reverse(name, kwargs=row.kwargs(world, bundle, role))
    except NoReverseMatch as error:
        fail("no such URL", str(error))
    client = _client()
    if world.users[role] is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    must_not_change = method == "POST" and want != OK
    before = fingerprint() if must_not_change else None
    try:
        if method == "GET":
            response = client.get(url, row.query(world) if row.query else None)
        else:
            response = client.post(url, row.data(world, bundle, role) if row.data else {})
    except Exception as error:  # the test client re-raises what would have been a 500
        fail("500", f"{type(error).__name__}: {str(error)[:160]}")
    if response.streaming:
        # Consume through the client's wrapper, which closes the response without closing the DB connection.
        b"".join(response.streaming_content)
    actual = _describe(response)
    problems = []
    if not _matches(want, response):
        problems.append("wrong answer")
    if must_not_change:
        after = fingerprint()
        changed = sorted(table for table in after if after[table] != before.get(table))
        if changed:
            problems.append("changed " + ", ".join(changed))
            actual = f"{actual} + changed"
    if response.status_code >= 500:
        problems.append("server error")
    if problems:
        fail(actual, "; ".join(p for p in problems if p != "wrong answer"))
