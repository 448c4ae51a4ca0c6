"""Users and the append-only audit log."""
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from atelier.timezones import validate_time_zone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in with an e-mail address. Roles live in testers.StaffRole and testers.Membership."""

    username = None
    email = models.EmailField("e-mail address", unique=True)
    #: an IANA zone name ("Pacific/Auckland"); blank: the site's default. Times are stored in UTC and shown in it.
    time_zone = models.CharField(max_length=64, blank=True, default="", validators=[validate_time_zone])

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError(f"The {self.model._meta.verbose_name} table is append-only: {self.model.append_only_hint}")

    def delete(self):
        raise PermissionError(f"The {self.model._meta.verbose_name} table is append-only: {self.model.append_only_hint}")


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed or deleted: the audit log, the ledger, terms acceptances,
    review decisions. Python refuses `save()` of an existing row, `delete()`, `QuerySet.update()` and
    `QuerySet.delete()`; a database trigger (`atelier.db.append_only`) refuses the rest, on PostgreSQL and SQLite.
    """

    append_only_hint = "nothing written may change."

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"The {self._meta.verbose_name} table is append-only: {self.append_only_hint}")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"The {self._meta.verbose_name} table is append-only: {self.append_only_hint}")


class AuditLogEntry(AppendOnlyModel):
    """Who did what to which object in which program, when and from where. Never changed once written."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey("atelier.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=254, blank=True, help_text="The actor's e-mail, or 'system' for tasks.")
    action = models.CharField(max_length=100, db_index=True, help_text="Dotted name, e.g. testers.feedback.accepted")
    program = models.ForeignKey("testers.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="Before/after values.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    @property
    def label(self) -> str:
        from atelier.actions import label_for  # actions import the audit log, which imports this module

        return label_for(self.action)


class Notification(models.Model):
    """One thing a person is told: in the notification centre (the bell), and by e-mail now, in the daily digest,
    or not at all, by their preference for its category. Written by the event subscriber
    (`atelier.notifications`), read and marked read by its recipient."""

    class Email(models.TextChoices):
        NONE = "none", "Not e-mailed (turned off)"
        QUEUED = "queued", "E-mailed"
        DIGEST = "digest", "Waiting for the daily digest"
        DIGESTED = "digested", "Sent in a daily digest"

    recipient = models.ForeignKey("atelier.User", on_delete=models.CASCADE, related_name="notifications")
    program = models.ForeignKey("testers.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=100, help_text="The event it came from, e.g. payments.payout.paid")
    category = models.CharField(max_length=40)
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="A path on this site: the object it is about.")
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # Makes delivery safe to run twice: the same event (or the same reminder) gives a person one notification.
    key = models.CharField(max_length=200)
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.NONE)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email", "recipient"], name="notification_digest"),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How a person wants one category of notifications e-mailed. No row: the default, at once."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "E-mail each one"
        DIGEST = "digest", "Daily digest"
        OFF = "off", "No e-mail (only in Atelier)"

    user = models.ForeignKey("atelier.User", on_delete=models.CASCADE, related_name="notification_preferences")
    category = models.CharField(max_length=40)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="notification_preference_once"),
        ]

    def __str__(self):
        return f"{self.user}: {self.category} → {self.delivery}"
