"""The caches every page reads (atelier.person_cache: the signed-in user, their roles, memberships and TOTP, the
bell's count). Each test lets a page fill the cache, checks that it did, runs an action that changes what the cache
holds, and shows that the next page tells the truth: no stale link, role, zone or count, and no access kept."""
import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.urls import reverse

from atelier import person_cache
from atelier.accounts import ensure_totp
from atelier.models import Notification
from atelier.notifications import Message, delivery
from atelier.notifications.actions import MarkAllNotificationsRead, MarkNotificationRead
from atelier.notifications.registry import notices_for
from testers import actions
from testers.models import Membership, StaffRole
from tests import factories

pytestmark = pytest.mark.django_db

STAFF_LINK = ">Staff</a>"
ARTIST_LINK = ">Earnings</a>"  # one of the links an artist with a membership gets
PAUSED = "Your participation in this program is paused"


@pytest.fixture(autouse=True)
def _cleared_entries_fill_at_once(monkeypatch):
    # A cleared entry normally refuses to be filled for a few seconds (see test_a_page_that_read_the_database_
    # before_a_change_cannot_put_the_old_value_back); here the next page may fill it at once, so that every test
    # has the cache really holding the person (asserted by `warm`) when the action runs.
    monkeypatch.setattr(person_cache, "CLEARED_FOR", 0)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run an action as a request does: its transaction commits, so after-commit work happens."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action.run()

    return run


def page(client, name="time_zone", *args):
    """A page any signed-in person sees, in the full layout (navigation, bell)."""
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def warm(client, user, name="time_zone", *args):
    """Sign in (if needed) and show a page, then check that the cache now holds the person: a test whose cache
    was empty would prove nothing."""
    if "_auth_user_id" not in client.session:
        client.force_login(user)
    html = page(client, name, *args)
    for key in (person_cache.user_key(user.pk), person_cache.access_key(user.pk), person_cache.unread_key(user.pk)):
        assert person_cache.get(key) is not None, key
    return html


def test_a_signed_in_page_that_asks_nothing_else_runs_no_query_once_warm(client, artist,
                                                                        django_assert_num_queries):
    warm(client, artist)
    with django_assert_num_queries(0):
        html = page(client)
    assert ARTIST_LINK in html


# --- roles --------------------------------------------------------------------------------------------------------

def test_a_granted_role_shows_the_staff_link_and_opens_the_staff_pages_on_the_next_page(client, artist, manager,
                                                                                     program, committed):
    assert STAFF_LINK not in warm(client, artist)
    assert client.get(reverse("staff_index")).status_code == 404
    committed(actions.GrantStaffRole(manager, program=program, user=artist, role=StaffRole.Role.REVIEWER))
    assert STAFF_LINK in page(client)
    # Staff pages now: the new reviewer is sent to set up TOTP first, no longer told there is nothing here.
    response = client.get(reverse("staff_index"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_a_revoked_role_takes_the_staff_link_and_the_staff_pages_away_on_the_next_page(client, reviewer, manager,
                                                                                       program, committed):
    assert STAFF_LINK in warm(client, reviewer)
    assert client.get(reverse("content_review:queue", args=[program.slug])).status_code == 200
    committed(actions.RevokeStaffRole(manager, StaffRole.objects.get(user=reviewer)))
    assert STAFF_LINK not in page(client)
    assert client.get(reverse("content_review:queue", args=[program.slug])).status_code == 404


def test_a_changed_role_changes_what_the_next_page_may_reach(client, reviewer, manager, program, committed):
    warm(client, reviewer)
    assert client.get(reverse("content_review:queue", args=[program.slug])).status_code == 200
    committed(actions.ChangeStaffRole(manager, StaffRole.objects.get(user=reviewer), role=StaffRole.Role.FINANCE))
    assert client.get(reverse("content_review:queue", args=[program.slug])).status_code == 404


# --- memberships and invitations ------------------------------------------------------------------------------------

def test_a_removed_membership_takes_the_artist_links_away_and_reactivation_brings_them_back(
        client, artist, artist_membership, manager, committed):
    assert ARTIST_LINK in warm(client, artist)
    committed(actions.RemoveMembership(manager, artist_membership))
    assert ARTIST_LINK not in page(client)
    artist_membership.refresh_from_db()
    committed(actions.ReactivateMembership(manager, artist_membership))
    assert ARTIST_LINK in page(client)


def test_a_paused_membership_shows_paused_on_the_next_page_and_activation_lifts_it(
        client, artist, artist_membership, manager, committed):
    assert PAUSED not in warm(client, artist, "testers:timelog_list")
    committed(actions.PauseMembership(manager, artist_membership))
    assert PAUSED in page(client, "testers:timelog_list")
    artist_membership.refresh_from_db()
    committed(actions.ActivateMembership(manager, artist_membership))
    assert PAUSED not in page(client, "testers:timelog_list")


def test_an_accepted_invitation_gives_the_artist_links_on_the_next_page(client, program, committed):
    person = factories.UserFactory()
    assert ARTIST_LINK not in warm(client, person)
    invitation = factories.InvitationFactory(program=program, email=person.email)
    committed(actions.AcceptInvitation(person, invitation))
    assert Membership.objects.filter(artist__user=person, status="active").exists()
    assert ARTIST_LINK in page(client)


# --- the person themself ------------------------------------------------------------------------------------------

def test_a_changed_time_zone_shows_on_the_next_page(client, artist, django_capture_on_commit_callbacks):
    assert "Times are shown in <strong>UTC</strong>" in warm(client, artist)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("time_zone"), {"time_zone": "Pacific/Auckland"})
    assert response.status_code == 302
    assert "Times are shown in <strong>Pacific/Auckland</strong>" in page(client)


def test_a_changed_password_signs_out_every_other_session_at_once(client, artist):
    warm(client, artist)
    artist.set_password("another-long-password-42")
    artist.save()  # what allauth's password change and reset do
    response = client.get(reverse("time_zone"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_deactivated_person_is_signed_out_at_once(client, artist):
    warm(client, artist)
    artist.is_active = False
    artist.save()
    response = client.get(reverse("time_zone"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_staff_member_who_sets_up_totp_reaches_staff_pages_and_loses_them_when_it_is_removed(client, program):
    reviewer = factories.staff_user(program, StaffRole.Role.REVIEWER, totp=False)
    warm(client, reviewer)
    queue = reverse("content_review:queue", args=[program.slug])
    assert client.get(queue)["Location"] == reverse("mfa_activate_totp")
    ensure_totp(reviewer)  # allauth's activation
    assert client.get(queue).status_code == 200
    Authenticator.objects.filter(user=reviewer).delete()  # allauth's deactivation
    assert client.get(queue)["Location"] == reverse("mfa_activate_totp")


# --- the bell -------------------------------------------------------------------------------------------------------

def tell(person, django_capture_on_commit_callbacks, title="Your testing time was approved"):
    notice = notices_for("testers.timelog.approved")[0]
    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver(notice, [Message(person, title, "Body words.", "/time/")], key=f"test:{title}")


def bell(html):
    marker = 'data-testid="unread-count">'
    return int(html.split(marker)[1].split("<")[0]) if marker in html else 0


def test_the_bell_counts_a_new_notification_and_forgets_read_ones_on_the_next_page(
        client, artist, django_capture_on_commit_callbacks, committed):
    assert bell(warm(client, artist)) == 0
    tell(artist, django_capture_on_commit_callbacks, "First")
    tell(artist, django_capture_on_commit_callbacks, "Second")
    assert bell(page(client)) == 2
    committed(MarkNotificationRead(artist, Notification.objects.get(title="First")))
    assert bell(page(client)) == 1
    committed(MarkAllNotificationsRead(artist))
    assert bell(page(client)) == 0


# --- the fill cannot undo a change ----------------------------------------------------------------------------------

def test_a_page_that_read_the_database_before_a_change_cannot_put_the_old_value_back(monkeypatch, artist):
    monkeypatch.setattr(person_cache, "CLEARED_FOR", 10)
    key = person_cache.access_key(artist.pk)
    before_the_change = {"roles": {}, "memberships": {}, "totp": False}  # read by a slow page
    person_cache.clear(key)  # the change commits and clears
    person_cache.fill(key, before_the_change)  # the slow page fills afterwards: refused
    assert person_cache.get(key) is None
    cache.delete(key)  # once the marker is gone, pages fill again
    person_cache.fill(key, before_the_change)
    assert person_cache.get(key) == before_the_change
