"""Turning an event into notifications and e-mail: the rows of the notification centre, the e-mail of each one (now,
in the daily digest, or none, by the person's preference), the digest itself, and the cached unread count.

Everything here runs in Celery tasks (atelier/tasks.py), which are queued only after the action's transaction
commits and may run twice: a notification has a key unique per person, and an e-mail is claimed before it is
queued, so a second run neither notifies nor e-mails anyone twice."""
from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from atelier import person_cache
from atelier.display import format_count
from atelier.models import Notification, NotificationPreference, User
from atelier.notifications.registry import CATEGORIES, Message, Notice, notices_for
from atelier.notifications.tokens import settings_token
from atelier.timezones import zone_of

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Atelier] "
UNREAD_TTL = 300  # seconds: a bound on staleness should a cache miss an invalidation (the bell also polls)
Delivery = NotificationPreference.Delivery
EMAIL_FOR = {Delivery.IMMEDIATE: Notification.Email.QUEUED, Delivery.DIGEST: Notification.Email.DIGEST,
             Delivery.OFF: Notification.Email.NONE}


# --- the unread count (the bell) ---------------------------------------------------------------------------

def unread_count(user, *, fresh: bool = False) -> int:
    """The person's unread count, from the cache (so the layout adds no query to a page) unless `fresh`. The
    authentication middleware reads it with the user (atelier.person_cache): the layout then asks the cache
    nothing more."""
    key = person_cache.unread_key(user.pk)
    count = None if fresh else getattr(user, "_atelier_unread", None)
    if count is None and not fresh:
        count = person_cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
        if fresh:
            cache.set(key, count, UNREAD_TTL)
        else:
            person_cache.fill(key, count)
    return count


def warm_unread_count(sender, request=None, user=None, **kwargs) -> None:
    """At sign-in (user_logged_in): count once, so the pages that follow read the bell from the cache."""
    if user is not None and getattr(user, "pk", None):
        unread_count(user, fresh=True)


def forget_unread(*user_ids) -> None:
    person_cache.clear(*[person_cache.unread_key(user_id) for user_id in user_ids])


def forget_own_unread(user) -> None:
    """After the person changed their own read marks in this request: the count read with them is stale."""
    if hasattr(user, "_atelier_unread"):
        delattr(user, "_atelier_unread")
    forget_unread(user.pk)


# --- preferences ---------------------------------------------------------------------------------------------

def deliveries(user_ids, category: str) -> dict[int, str]:
    """{user id: delivery} for one category (mandatory categories: always at once)."""
    if CATEGORIES[category].mandatory:
        return {}
    return dict(NotificationPreference.objects.filter(user_id__in=list(user_ids), category=category)
                .values_list("user_id", "delivery"))


def settings_of(user) -> list[tuple]:
    """[(category, delivery)] for every category, in registration order."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("category", "delivery"))
    return [(category, Delivery.IMMEDIATE if category.mandatory else chosen.get(key, Delivery.IMMEDIATE))
            for key, category in CATEGORIES.items()]


# --- from an event to notifications --------------------------------------------------------------------------

def queue_event(event: dict, uid: str) -> None:
    from atelier.tasks import deliver_notifications  # the task module imports this one

    # JSON-safe (dates, decimals) for the task's serializer.
    deliver_notifications.delay(json.loads(json.dumps(event, cls=DjangoJSONEncoder)), uid)


def deliver_event(event: dict, uid: str) -> int:
    """Build every notice of the event and deliver its messages. Returns how many notifications were new."""
    created = 0
    for notice in notices_for(event["name"]):
        try:
            messages = [m for m in (notice.build(event) or []) if m is not None]
        except ObjectDoesNotExist:
            logger.info("Notice %s: the object of event %s is gone", notice.id, event["name"])
            continue
        except Exception:  # one broken notice does not keep the event's other notices from their people
            logger.exception("Notice %s failed on event %s", notice.id, event["name"])
            continue
        created += deliver(notice, messages, event=event, key=f"{uid}:{notice.id}")
    return created


def deliver(notice: Notice, messages: list[Message], *, event: dict | None = None, key: str = "") -> int:
    """Write the notifications of `messages` (one per person and key: existing ones are left alone) and queue
    the e-mail of those that go out at once."""
    event = event or {}
    people = {}
    for message in messages:
        person = message.to
        if person is None or not getattr(person, "is_active", False):
            continue
        people.setdefault((person.pk, message.key or key), message)
    if not people:
        return 0
    chosen = deliveries({user_id for user_id, _ in people}, notice.category)
    rows = []
    for (user_id, row_key), message in people.items():
        delivery = chosen.get(user_id, Delivery.IMMEDIATE)
        rows.append(Notification(
            recipient_id=user_id, program_id=event.get("program_id"), event=event.get("name") or notice.event,
            category=notice.category, title=message.title[:255], body=message.body, link=message.link[:500],
            target_type=event.get("target_type") or "", target_id=str(event.get("target_id") or ""),
            key=row_key[:200], email=EMAIL_FOR[delivery] if message.to.email else Notification.Email.NONE,
        ))
    before = Notification.objects.filter(recipient_id__in={r.recipient_id for r in rows},
                                         key__in={r.key for r in rows}).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    forget_unread(*{r.recipient_id for r in rows})
    pending = Notification.objects.filter(
        recipient_id__in={r.recipient_id for r in rows}, key__in={r.key for r in rows},
        email=Notification.Email.QUEUED, emailed_at__isnull=True,
    ).values_list("pk", flat=True)
    from atelier.tasks import send_notification_email  # the task module imports this one

    for pk in pending:
        send_notification_email.delay(pk)
    return len(rows) - before


# --- e-mail --------------------------------------------------------------------------------------------------

def absolute(path: str) -> str:
    return settings.SITE_URL + path if path.startswith("/") else path


def _mail_context(user, *, category_key: str = "") -> dict:
    token_for_all = settings_token(user)
    return {
        "site_url": settings.SITE_URL,
        "recipient": user,
        "preferences_url": absolute(reverse("notifications:preferences_token", args=[token_for_all])),
        "unsubscribe_url": absolute(reverse("notifications:unsubscribe", args=[settings_token(user, category_key)])),
    }


def unsubscribe_headers(user, category_key: str) -> dict:
    """RFC 2369 List-Unsubscribe, and RFC 8058's one-click POST where there is something to turn off (mandatory
    categories cannot be: their link shows the preferences page, which says so)."""
    url = absolute(reverse("notifications:unsubscribe", args=[settings_token(user, category_key)]))
    headers = {"List-Unsubscribe": f"<{url}>"}
    category = CATEGORIES.get(category_key)
    if category is None or not category.mandatory:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def send_notification_email(notification_id: int) -> bool:
    """Claim the notification's e-mail (so a second run sends nothing) and queue it on the one mail path."""
    from atelier.tasks import send_email  # the task module imports this one

    with transaction.atomic():
        claimed = Notification.objects.filter(pk=notification_id, email=Notification.Email.QUEUED,
                                              emailed_at__isnull=True).update(emailed_at=timezone.now())
        if not claimed:
            return False
        notification = Notification.objects.select_related("recipient", "program").get(pk=notification_id)
        user = notification.recipient
        category = CATEGORIES.get(notification.category)
        context = {**_mail_context(user, category_key=notification.category), "notification": notification,
                   "category": category, "link": absolute(notification.link) if notification.link else ""}
        with timezone.override(zone_of(user)):  # times in the mail are in the recipient's zone
            text, html = (render_to_string("email/notification.txt", context),
                          render_to_string("email/notification.html", context))
        send_email.delay(SUBJECT_PREFIX + notification.title, text, [user.email], html=html,
                         headers=unsubscribe_headers(user, notification.category))
    return True


def send_digests() -> int:
    """One e-mail per person with every notification waiting for the digest; each is marked sent in the same
    transaction that queues the mail (so a second run, or a concurrent one, sends none of them again)."""
    from atelier.tasks import send_email  # the task module imports this one

    sent = 0
    user_ids = (Notification.objects.filter(email=Notification.Email.DIGEST).order_by()
                .values_list("recipient_id", flat=True).distinct())
    for user_id in list(user_ids):
        with transaction.atomic():
            items = list(Notification.objects.select_for_update(skip_locked=True, of=("self",))
                         .filter(recipient_id=user_id, email=Notification.Email.DIGEST)
                         .select_related("program").order_by("created_at", "id"))
            if not items:
                continue
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                email=Notification.Email.DIGESTED, emailed_at=timezone.now())
            user = User.objects.get(pk=user_id)
            if not user.is_active or not user.email:
                continue
            context = {**_mail_context(user), "items": [(n, absolute(n.link) if n.link else "") for n in items]}
            subject = f"{SUBJECT_PREFIX}Your daily digest: {format_count(len(items), 'notification')}"
            with timezone.override(zone_of(user)):  # times in the mail are in the recipient's zone
                text, html = render_to_string("email/digest.txt", context), render_to_string("email/digest.html", context)
            send_email.delay(subject, text, [user.email], html=html, headers=unsubscribe_headers(user, ""))
            sent += 1
    return sent
