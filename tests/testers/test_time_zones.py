"""Each person's time zone: chosen at sign-up by the browser, editable, used for every time shown and for the
artist's own "today" when logging time. Storage stays in UTC."""
import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from atelier.errors import DomainError
from atelier.models import AuditLogEntry, User
from testers.adapters import INVITATION_SESSION_KEY
from testers.models import TimeLog
from testers.services import timelogs as services
from tests import factories

pytestmark = pytest.mark.django_db

#: 23:30 UTC on 29 November is 12:30 on 30 November in Auckland (NZDT, UTC+13)
LATE_UTC = datetime.datetime(2026, 11, 29, 23, 30, tzinfo=datetime.timezone.utc)
AUCKLAND_TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def late_utc(monkeypatch):
    # The clock, not our code, is replaced: Django's timezone.now() is what every "today" is computed from.
    monkeypatch.setattr(timezone, "now", lambda: LATE_UTC)
    return LATE_UTC


@pytest.fixture
def auckland(program):
    terms = factories.TermsVersionFactory(program=program, number=1, effective_date=datetime.date(2026, 1, 1))
    membership = factories.MembershipFactory(program=program)
    factories.accept_terms(membership, terms)
    user = membership.artist.user
    user.time_zone = "Pacific/Auckland"
    user.save(update_fields=["time_zone"])
    return membership


def log(membership, date):
    return services.log_time(membership=membership, date=date, minutes=60, description="Tested the timeline",
                             by=membership.artist.user)


def test_auckland_artist_logs_time_on_her_own_today_while_utc_is_still_yesterday(late_utc, auckland):
    entry = log(auckland, AUCKLAND_TODAY)
    assert entry.date == AUCKLAND_TODAY


def test_the_day_after_the_artists_own_today_is_still_refused(late_utc, auckland):
    with pytest.raises(DomainError, match="not come yet"):
        log(auckland, AUCKLAND_TODAY + datetime.timedelta(days=1))


def test_an_artist_in_utc_cannot_log_the_day_auckland_already_lives(late_utc, auckland, program):
    user = auckland.artist.user
    user.time_zone = "UTC"
    user.save(update_fields=["time_zone"])
    with pytest.raises(DomainError, match="not come yet"):
        log(auckland, AUCKLAND_TODAY)


def test_the_time_log_page_accepts_the_artists_today(client, late_utc, auckland):
    client.force_login(auckland.artist.user)
    response = client.post(reverse("testers:timelog_list"), {
        "membership": auckland.pk, "date": AUCKLAND_TODAY.isoformat(), "hours": 1, "extra_minutes": 30,
        "description": "Style presets"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TimeLog.objects.get().date == AUCKLAND_TODAY


def test_times_render_in_the_viewers_zone_with_its_abbreviation(client, auckland):
    acceptance = auckland.acceptances.get()
    client.force_login(auckland.artist.user)
    html = client.get(reverse("testers:terms_history", args=[auckland.program.slug])).content.decode()
    local = acceptance.accepted_at.astimezone(zoneinfo.ZoneInfo("Pacific/Auckland"))
    assert f"{local:%H:%M} {local.tzname()}" in html and local.tzname() in ("NZDT", "NZST")


def test_storage_stays_utc(late_utc, auckland):
    entry = log(auckland, AUCKLAND_TODAY)
    entry.refresh_from_db()
    assert entry.created_at.utcoffset() == datetime.timedelta(0)


def test_a_person_changes_their_zone_and_it_is_audited(client, auckland):
    user = auckland.artist.user
    client.force_login(user)
    assert client.get(reverse("time_zone")).status_code == 200
    response = client.post(reverse("time_zone"), {"time_zone": "Europe/Paris"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Europe/Paris"
    entry = AuditLogEntry.objects.get(action="atelier.account.time_zone_changed")
    assert entry.data["before"] == {"time_zone": "Pacific/Auckland"}
    assert entry.data["after"] == {"time_zone": "Europe/Paris"}


def test_an_unknown_zone_is_refused(client, auckland):
    client.force_login(auckland.artist.user)
    response = client.post(reverse("time_zone"), {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    auckland.artist.user.refresh_from_db()
    assert auckland.artist.user.time_zone == "Pacific/Auckland"


def test_staff_have_a_zone_too(client, manager):
    client.force_login(manager)
    assert client.post(reverse("time_zone"), {"time_zone": "America/Chicago"}).status_code == 302
    manager.refresh_from_db()
    assert manager.time_zone == "America/Chicago"


def test_sign_up_keeps_the_zone_the_browser_reported(client, program):
    invitation = factories.InvitationFactory(program=program, email="new@example.test")
    client.get(reverse("testers:invitation", args=[invitation.token]))
    assert client.session[INVITATION_SESSION_KEY] == invitation.token
    page = client.get(reverse("account_signup")).content.decode()
    assert 'name="time_zone"' in page and "data-detect-time-zone" in page
    client.post(reverse("account_signup"), {"email": "new@example.test", "password1": "a long Passphrase 42!",
                                            "password2": "a long Passphrase 42!", "time_zone": "Pacific/Auckland"})
    assert User.objects.get(email="new@example.test").time_zone == "Pacific/Auckland"


def test_sign_up_with_a_zone_we_do_not_know_falls_back_to_the_default(client, program):
    invitation = factories.InvitationFactory(program=program, email="odd@example.test")
    client.get(reverse("testers:invitation", args=[invitation.token]))
    client.post(reverse("account_signup"), {"email": "odd@example.test", "password1": "a long Passphrase 42!",
                                            "password2": "a long Passphrase 42!", "time_zone": "Nowhere/Else"})
    assert User.objects.get(email="odd@example.test").time_zone == ""


def test_approving_says_the_duration_the_way_every_page_does(client, auckland, manager, program):
    entry = services.log_time(membership=auckland, date=timezone.localdate() - datetime.timedelta(days=1),
                              minutes=150, description="Brushes", by=auckland.artist.user)
    client.force_login(manager)
    response = client.post(reverse("testers:staff_timelog_decide", args=[program.slug, entry.pk]),
                           {"decision": "approve"}, follow=True)
    html = response.content.decode()
    assert "Approved 2 h 30 min on" in html and "150 min" not in html
