"""Personal access tokens: an artist's, for one of their programs, with scopes. Only a hash of the secret is kept."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from atelier import bounds
from atelier.transitions import TransitionTable


class ApiToken(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REVOKED = "revoked", "Revoked"

    class Scope(models.TextChoices):
        FEEDBACK_WRITE = "feedback:write", "Send feedback"
        FEEDBACK_READ = "feedback:read", "Read your feedback and its status"
        TERMS_READ = "terms:read", "Read what you may share"

    membership = models.ForeignKey("testers.Membership", on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=bounds.SHORT_TEXT)
    # The secret's first characters, shown in lists so the artist can tell tokens apart; never enough to use.
    prefix = models.CharField(max_length=16)
    # SHA-256 (hex) of the whole secret: a lookup by hash, never a comparison of secrets.
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(condition=~Q(status="revoked") | Q(revoked_at__isnull=False),
                                   name="apitoken_revoked_has_time"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


_T = ApiToken.Status
ApiToken.TRANSITIONS = TransitionTable(_T, {
    "revoke": ([_T.ACTIVE], _T.REVOKED),
})
