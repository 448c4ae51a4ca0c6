"""The notification centre and e-mail settings: the bell's cached count, the htmx partials, mark read (light) and
mark all read (audited), per-category delivery (at once, daily digest, off; terms and money always), the signed
settings and unsubscribe links, and the e-mail itself (HTML and text, List-Unsubscribe)."""
import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from atelier import person_cache
from atelier.context_processors import notifications
from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry, Notification, NotificationPreference
from atelier.notifications import Message, delivery, tokens
from atelier.notifications.actions import ChangeNotificationSettings, MarkNotificationRead
from atelier.notifications.registry import notices_for
from atelier.tasks import send_notification_digests
from tests import factories

pytestmark = pytest.mark.django_db

TIMELOG = notices_for("testers.timelog.approved")[0]  # category "contributions" (optional)
PAID = notices_for("payments.payout.paid")[0]  # category "money" (mandatory)


_capture = {}


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    _capture["fixture"] = django_capture_on_commit_callbacks
    yield
    _capture.clear()


def committed():
    """What the test does inside is committed: after-commit work (mails, cache invalidation) happens."""
    return _capture["fixture"](execute=True)


def tell(notice, person, title="Your testing time was approved", link="/time/", key=None):
    with committed():
        return delivery.deliver(notice, [Message(person, title, "Body words.", link)], event={"name": notice.event},
                                key=key or f"test:{title}:{Notification.objects.count()}")


@pytest.fixture
def person(db):
    return factories.UserFactory()


# --- the bell -------------------------------------------------------------------------------------------------

def test_the_layout_reads_the_unread_count_from_the_cache_warmed_at_sign_in(client, person,
                                                                             django_assert_num_queries):
    tell(TIMELOG, person)
    cache.clear()
    client.force_login(person)  # signing in counts once, for the pages that follow
    request = type("R", (), {"user": person})()
    with django_assert_num_queries(0):
        assert notifications(request) == {"unread_notifications": 1}
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert 'data-testid="unread-count">1<' in html


def test_a_new_notification_and_marking_read_refresh_the_cached_count(person):
    assert delivery.unread_count(person) == 0
    tell(TIMELOG, person)
    assert delivery.unread_count(person) == 1
    with committed():
        MarkNotificationRead(person, Notification.objects.get()).run()
    assert person_cache.get(person_cache.unread_key(person.pk)) in (None, 0)  # cleared (or already counted)
    assert delivery.unread_count(person) == 0


def test_the_bell_partial_for_htmx_is_a_fragment_with_a_fresh_count(client, person):
    client.force_login(person)
    cache.set(f"atelier:notifications:unread:{person.pk}", 7)  # a stale cache
    tell(TIMELOG, person)
    cache.set(f"atelier:notifications:unread:{person.pk}", 7)
    response = client.get(reverse("notifications:badge"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'data-testid="unread-count">1<' in html
    assert delivery.unread_count(person) == 1  # refreshed


# --- the centre ---------------------------------------------------------------------------------------------

def test_marking_one_read_with_htmx_swaps_the_item_and_tells_the_bell_without_an_audit_entry(client, person):
    tell(TIMELOG, person)
    notification = Notification.objects.get()
    client.force_login(person)
    response = client.post(reverse("notifications:read", args=[notification.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "notifications-changed"
    assert "notification--unread" not in response.content.decode()
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert not AuditLogEntry.objects.filter(action="atelier.notification.read").exists()


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, person):
    tell(TIMELOG, person, link="/feedback/")
    notification = Notification.objects.get()
    client.force_login(person)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/feedback/"
    assert Notification.objects.get().read_at is not None


def test_a_notification_never_links_off_the_site(client, person):
    tell(TIMELOG, person, link="https://evil.example/")
    client.force_login(person)
    response = client.get(reverse("notifications:open", args=[Notification.objects.get().pk]))
    assert response["Location"] == reverse("notifications:list")


def test_another_persons_notification_is_a_404(client, person):
    tell(TIMELOG, person)
    notification = Notification.objects.get()
    client.force_login(factories.UserFactory())
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    assert Notification.objects.get().read_at is None


def test_mark_all_read_is_audited(client, person):
    tell(TIMELOG, person, title="One")
    tell(TIMELOG, person, title="Two")
    client.force_login(person)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "2 unread" in page and "One" in page and "Two" in page
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    entry = AuditLogEntry.objects.get(action="atelier.notification.all_read")
    assert entry.actor == person and entry.data["after"] == {"marked_read": 2}


def test_the_centre_has_an_empty_state_and_pages(client, person, django_assert_max_num_queries):
    client.force_login(person)
    assert "No notifications." in client.get(reverse("notifications:list")).content.decode()
    for n in range(30):
        tell(TIMELOG, person, title=f"Item {n}")
    client.get(reverse("notifications:list"))
    with django_assert_max_num_queries(12):
        html = client.get(reverse("notifications:list") + "?page=2").content.decode()
    assert "Page 2 of 2" in html


# --- delivery by preference -------------------------------------------------------------------------------------

def test_immediate_is_the_default_with_html_text_and_unsubscribe_headers(person):
    tell(TIMELOG, person)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Atelier] Your testing time was approved"
    assert "Body words." in message.body and "http://" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and "Open in Atelier" in html and "Body words." in html
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.get().email == Notification.Email.QUEUED


def test_a_mandatory_category_has_no_one_click_unsubscribe(person):
    tell(PAID, person, title="You were paid $50.00")
    headers = mail.outbox[0].extra_headers
    assert "List-Unsubscribe" in headers and "List-Unsubscribe-Post" not in headers


def test_digest_collects_the_day_in_one_mail_once(person):
    ChangeNotificationSettings(person, choices={"contributions": "digest"}).run()
    tell(TIMELOG, person, title="First")
    tell(TIMELOG, person, title="Second")
    assert mail.outbox == [] and Notification.objects.filter(email="digest").count() == 2
    other = factories.UserFactory()
    tell(TIMELOG, other, title="Not in a digest")
    mail.outbox.clear()
    with committed():
        assert send_notification_digests() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [person.email]
    assert "First" in mail.outbox[0].body and "Second" in mail.outbox[0].body
    assert "List-Unsubscribe" in mail.outbox[0].extra_headers
    with committed():
        assert send_notification_digests() == 0
    assert len(mail.outbox) == 1


def test_off_keeps_the_notification_but_sends_no_mail(person):
    ChangeNotificationSettings(person, choices={"contributions": "off"}).run()
    tell(TIMELOG, person)
    assert mail.outbox == [] and Notification.objects.get().email == Notification.Email.NONE


def test_terms_and_money_cannot_be_turned_off_and_are_always_mailed(person):
    with pytest.raises(ActionRefused, match="always e-mailed"):
        ChangeNotificationSettings(person, choices={"money": "off"}).run()
    NotificationPreference.objects.create(user=person, category="money", delivery="off")  # even if a row says so
    tell(PAID, person, title="You were paid $50.00")
    assert len(mail.outbox) == 1


def test_the_same_event_delivered_twice_notifies_and_mails_once(person):
    tell(TIMELOG, person, key="event-uid:notice")
    tell(TIMELOG, person, key="event-uid:notice")
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_changing_settings_is_audited_and_shown(client, person):
    client.force_login(person)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "Feedback and testing time" in page and "Money" in page
    client.post(reverse("notifications:preferences"), {"contributions": "digest", "review": "off"})
    assert dict(NotificationPreference.objects.values_list("category", "delivery")) == {
        "contributions": "digest", "review": "off"}
    entry = AuditLogEntry.objects.get(action="atelier.notification_settings.changed")
    assert entry.data["after"] == {"contributions": "digest", "review": "off"}


# --- signed links, without signing in ---------------------------------------------------------------------------

def test_the_preferences_link_works_without_signing_in(client, person):
    token = tokens.settings_token(person)
    url = reverse("notifications:preferences_token", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and person.email in page.content.decode()
    response = client.post(url, {"contributions": "off", "review": "immediate"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=person, category="contributions").delivery == "off"
    assert AuditLogEntry.objects.get(action="atelier.notification_settings.changed").data["via"] == "signed link"


def test_one_click_unsubscribe_turns_the_category_off(client, person):
    token = tokens.settings_token(person, "contributions")
    url = reverse("notifications:unsubscribe", args=[token])
    assert "Stop e-mailing" in client.get(url).content.decode()
    assert not NotificationPreference.objects.exists()  # a GET (a link scanner) changes nothing
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058: no session, no CSRF token
    assert response.status_code == 200 and "Done" in response.content.decode()
    assert NotificationPreference.objects.get(user=person, category="contributions").delivery == "off"


def test_the_unsubscribe_link_of_a_mandatory_mail_explains_and_changes_nothing(client, person):
    url = reverse("notifications:unsubscribe", args=[tokens.settings_token(person, "money")])
    html = client.post(url).content.decode()
    assert "cannot be turned off" in html and not NotificationPreference.objects.exists()


@pytest.mark.parametrize("mangle", ["garbage", "altered", "expired", "closed-account"])
def test_a_bad_or_expired_link_says_so_clearly(mangle, client, person, monkeypatch):
    token = tokens.settings_token(person, "contributions")
    if mangle == "garbage":
        token = "not-a-token"
    elif mangle == "altered":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif mangle == "expired":
        monkeypatch.setattr(tokens, "MAX_AGE", datetime.timedelta(seconds=-1))
    else:
        person.is_active = False
        person.save()
    for name in ("notifications:preferences_token", "notifications:unsubscribe"):
        response = client.post(reverse(name, args=[token]), {"contributions": "off"})
        html = response.content.decode()
        assert response.status_code == 400 and "This link" in html
        assert ("expired" in html) == (mangle == "expired")
    assert not NotificationPreference.objects.exists()
