"""Look and feel: role-dependent navigation, empty states, local assets, accessible forms, the branded admin."""
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav(html):
    return re.search(r'<nav id="site-nav".*?</nav>', html, re.S).group(0)


def test_artist_navigation_has_no_staff_link(client, artist):
    client.force_login(artist)
    html = client.get(reverse("home")).content.decode()
    assert "Staff" not in nav(html) and "Admin" not in nav(html) and "Sign out" in nav(html)


def test_staff_navigation_has_staff_link(client, manager):
    client.force_login(manager)
    html = client.get(reverse("home")).content.decode()
    assert 'href="/staff/"' in nav(html)


def test_new_user_without_program_sees_empty_state(client, db):
    from tests import factories

    client.force_login(factories.UserFactory())
    html = client.get(reverse("home")).content.decode()
    assert "You are not in any program yet." in html


def test_pages_load_no_asset_from_another_origin(client, artist):
    client.force_login(artist)
    html = client.get(reverse("home")).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets and all(a.startswith("/static/") for a in assets)
    response = client.get(reverse("home"))
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_login_page_uses_atelier_layout_with_labelled_inputs(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'class="site-header"' in html and "skip-link" in html
    for input_id in re.findall(r'<input[^>]+id="([^"]+)"', html):
        if 'type="hidden"' in html.split(f'id="{input_id}"')[0].rsplit("<input", 1)[-1]:
            continue
        assert f'for="{input_id}"' in html, input_id


def test_login_errors_are_shown_beside_the_form(client):
    html = client.post(reverse("account_login"), {"login": "", "password": ""}).content.decode()
    assert "This field is required." in html


def test_headings_start_at_h1(client, artist):
    client.force_login(artist)
    html = client.get(reverse("home")).content.decode()
    levels = [int(h) for h in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:]))


def test_admin_is_branded_and_lists_every_model_with_working_changelists(client, site_admin):
    client.force_login(site_admin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Atelier administration" in index
    ours = [m for m in apps.get_models() if m._meta.app_label in {"atelier", "testers", "content_review", "payments"}]
    for model in ours:
        assert model in admin.site._registry, f"{model._meta.label} is not in the admin"
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url, {"q": "x"})
        assert response.status_code == 200, url
        assert len(admin.site._registry[model].list_display) > 1, f"{model._meta.label} needs useful columns"
