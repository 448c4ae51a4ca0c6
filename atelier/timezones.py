"""Each person's time zone: validating a zone name, the zone and "today" of a person, and the middleware that
shows every time in the viewer's zone. Storage stays in UTC. (Changing one's zone: atelier.account_views.)"""
from __future__ import annotations

import datetime
import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


@functools.cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value and value not in available_zones():
        raise ValidationError(f"“{value}” is not a time zone we know: choose one such as Europe/Paris.")


def zone_named(name: str | None) -> datetime.tzinfo:
    """The zone called `name`, or the site's default (settings.TIME_ZONE) for a blank or unknown name."""
    if name and name in available_zones():
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def zone_of(user) -> datetime.tzinfo:
    return zone_named(getattr(user, "time_zone", ""))


def today_for(user) -> datetime.date:
    """The person's own today: an artist in Auckland logs time on her date, not the server's."""
    return timezone.localdate(timezone=zone_of(user))


class TimeZoneMiddleware:
    """Activates the signed-in person's zone for the request, so templates and forms show their local times."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and getattr(user, "time_zone", ""):
            timezone.activate(zone_of(user))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
