"""X-Forwarded-For is believed only from settings.TRUSTED_PROXIES; a value that is not an address is ignored."""
import ipaddress

import pytest
from django.test import RequestFactory
from django.urls import reverse

from atelier.models import AuditLogEntry
from atelier.requestcontext import client_ip

NETS = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]


@pytest.mark.parametrize("remote, forwarded, trusted, expected", [
    ("203.0.113.9", "198.51.100.1", [], "203.0.113.9"),              # no trusted proxy: the header is ignored
    ("203.0.113.9", "198.51.100.1", NETS, "203.0.113.9"),            # not from our proxy: ignored
    ("10.0.0.2", "198.51.100.1", NETS, "198.51.100.1"),              # our proxy says who connected to it
    ("10.0.0.2", "6.6.6.6, 198.51.100.1", NETS, "198.51.100.1"),     # what the client wrote itself is not believed
    ("10.0.0.2", "198.51.100.1, 10.0.0.7", NETS, "198.51.100.1"),    # two proxies of ours
    ("10.0.0.2", "not-an-ip", NETS, "10.0.0.2"),                     # garbage: the proxy itself
    ("10.0.0.2", "198.51.100.1, <script>", NETS, "10.0.0.2"),
    ("10.0.0.2", "", NETS, "10.0.0.2"),
    ("10.0.0.2", "[2001:db8::1]:443", NETS, "2001:db8::1"),
    ("10.0.0.2", "198.51.100.1:5555", NETS, "198.51.100.1"),
    ("10.0.0.2", "," * 100_000, NETS, "10.0.0.2"),
    ("garbage", "198.51.100.1", NETS, None),
])
def test_client_address(settings, remote, forwarded, trusted, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded", ["not-an-ip", "1.2.3.4", "999.999.999.999", "\u00e9", "a" * 5000])
def test_an_audited_write_with_any_forwarded_header_records_the_real_address(client, finance, artist_membership,
                                                                              forwarded):
    client.force_login(finance)
    url = reverse("payments:ledger_adjust", args=[artist_membership.program.slug, artist_membership.pk])
    response = client.post(url, {"amount": "5", "reason": "Bonus", "token": "7d9c8a55-5ad6-4a55-9a3c-1f0b0c0d0e0f"},
                           HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 302
    entry = AuditLogEntry.objects.get(action="payments.ledger.adjusted")
    assert entry.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_a_client_cannot_escape_the_login_rate_limit_by_changing_x_forwarded_for(client, settings):
    """allauth keys "5 failed logins per 5 minutes per IP" by our client address: a header the client chose is not
    a new address (before, it was: a fresh X-Forwarded-For per attempt was a fresh limit)."""
    from tests import factories

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    pages = []
    for attempt in range(7):
        user = factories.UserFactory()  # a different account each time: only the per-address limit can bite
        response = client.post("/accounts/login/", {"login": user.email, "password": "wrong-password-1"},
                               REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
        pages.append("Too many failed login attempts" in response.content.decode())
    assert pages == [False] * 5 + [True] * 2
