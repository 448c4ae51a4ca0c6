"""The rate limit: per token (not per address or person), counted in the shared cache so every web process
sees the same count. settings.API_RATE_LIMIT ("60/min"); over it, 429 with Retry-After."""
from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"

    def get_rate(self):
        # Read per request (DRF's THROTTLE_RATES is read once at import), so the setting can be changed in tests.
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        token = request.auth
        if token is None:
            return None  # not authenticated: refused before any work, nothing to count
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
