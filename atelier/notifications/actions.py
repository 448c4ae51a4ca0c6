"""A person's own notifications: mark one read, mark all read, change how each category is e-mailed.

Marking one notification read is a *light* action (`audited = False`): it is checked and locked like any other,
but writes no audit entry, because it changes nothing but its reader's own view (no rights, no money, nobody
else's work) and happens on nearly every visit to the centre; auditing it would bury the log in page views.
Marking all read and changing settings (which decides whether mail reaches someone) are audited."""
from __future__ import annotations

from django.utils import timezone

from atelier.actions import Action
from atelier.errors import Refusal
from atelier.models import Notification, NotificationPreference
from atelier.notifications.delivery import forget_own_unread
from atelier.notifications.registry import CATEGORIES

Delivery = NotificationPreference.Delivery


class MarkNotificationRead(Action):
    name = "atelier.notification.read"
    label = "marked a notification read"
    model = Notification
    permission = "notification.own"
    audited = False

    def refusal(self, notification):
        if notification is not None and notification.read_at is not None:
            return Refusal("This notification is already read.", "state")
        return None

    def apply(self, notification):
        self.change(notification, read_at=timezone.now())
        forget_own_unread(self.actor)  # the actor is the recipient (notification.own)
        return notification


class MarkAllNotificationsRead(Action):
    """Target: none; the actor's own notifications."""

    name = "atelier.notification.all_read"
    label = "marked all notifications read"
    permission = "notification.own"

    def permission_target(self, obj):
        return self.actor

    def refusal(self, obj):
        if not Notification.objects.filter(recipient_id=self.actor.pk, read_at__isnull=True).exists():
            return Refusal("There is nothing unread.", "state")
        return None

    def apply(self, obj):
        count = Notification.objects.filter(recipient_id=self.actor.pk, read_at__isnull=True).update(
            read_at=timezone.now())
        self.after = {"marked_read": count}
        forget_own_unread(self.actor)
        return None

    def audit_target(self, obj, result):
        return self.actor


class ChangeNotificationSettings(Action):
    """Params: choices ({category: delivery}), via ("preferences page", "signed link", "one-click unsubscribe").
    The actor is the person whose settings they are: signed in, or identified by a signed link."""

    name = "atelier.notification_settings.changed"
    label = "changed notification settings"
    permission = "notification.own"

    def permission_target(self, obj):
        return self.actor

    def refusal(self, obj):
        for key, delivery in (self.params.get("choices") or {}).items():
            category = CATEGORIES.get(key)
            if category is None:
                return f"There is no kind of notification called “{key}”."
            if delivery not in Delivery.values:
                return f"Choose how to receive {category.label.lower()}: each one, a daily digest, or none."
            if category.mandatory and delivery != Delivery.IMMEDIATE:
                return f"{category.label} are always e-mailed: they concern your rules or your money."
        return None

    def apply(self, obj):
        user = self.actor
        current = dict(NotificationPreference.objects.filter(user=user).values_list("category", "delivery"))
        for key, delivery in (self.params.get("choices") or {}).items():
            old = current.get(key, Delivery.IMMEDIATE)
            if old == delivery or CATEGORIES[key].mandatory:
                continue
            NotificationPreference.objects.update_or_create(user=user, category=key,
                                                            defaults={"delivery": delivery})
            self.before[key], self.after[key] = old, delivery
            if delivery != Delivery.DIGEST:
                # Waiting digest items of a category the person no longer wants in a digest: not sent.
                Notification.objects.filter(recipient=user, category=key, email=Notification.Email.DIGEST).update(
                    email=Notification.Email.NONE)
        self.audit_data["via"] = self.params.get("via") or "preferences page"
        return None

    def audit_target(self, obj, result):
        return self.actor
