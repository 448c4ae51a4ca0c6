"""One way to show things: dates, times, durations, counts and people, in words (money is atelier.money).

Templates use the filters of the same names (atelier.templatetags.atelier: `when`, `day`, `duration`, `count`,
`person`, `money`); Python that writes for people (audit descriptions, e-mails, PDFs, messages) calls these.
Times are shown in the active zone (the viewer's: atelier.timezones) with its abbreviation, or in a zone given.
"""
from __future__ import annotations

import datetime

from django.utils import timezone

EMPTY = "—"


def _local(value: datetime.datetime, zone=None) -> datetime.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.timezone.utc)
    return value.astimezone(zone or timezone.get_current_timezone())


def format_day(value, zone=None) -> str:
    """30 Nov 2026 (a datetime: its day in the zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value, zone).date()
    return f"{value.day} {value:%b %Y}"


def format_when(value, zone=None) -> str:
    """30 Nov 2026, 14:05 NZDT: a moment in the viewer's zone (or `zone`), with the zone's abbreviation."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime.datetime):
        return format_day(value)
    local = _local(value, zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def format_month(value, zone=None) -> str:
    """November (a datetime: its month in the zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value, zone)
    return f"{value:%B}"


def format_iso(value) -> str:
    """2026-11-30, or 2026-11-30T01:05:00+00:00 for a moment (always UTC): for URLs and attributes, not people."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        return _local(value, datetime.timezone.utc).isoformat()
    return value.isoformat()


def format_duration(minutes) -> str:
    """45 min, 2 h 30 min, 24 h 00 min."""
    if minutes is None or minutes == "":
        return EMPTY
    minutes = int(minutes)
    sign, minutes = ("−", -minutes) if minutes < 0 else ("", minutes)
    if minutes < 60:
        return f"{sign}{minutes} min"
    return f"{sign}{minutes // 60} h {minutes % 60:02d} min"


def format_count(number, noun: str) -> str:
    """format_count(1, "open feedback item") → "1 open feedback item"; 2 → "2 open feedback items".
    An irregular plural is given after a comma: format_count(2, "person,people") → "2 people"."""
    number = int(number or 0)
    singular, _, plural = noun.partition(",")
    plural = plural or _plural(singular)
    return f"{number:,} {singular if number == 1 else plural}"


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def person_name(who) -> str:
    """A person as others see them, one rule: an artist's display name, else the full name, else the e-mail.
    Takes a user or an artist profile. Never queries for a profile that was not loaded with the user."""
    if who is None:
        return ""  # like `when` and `day`: a template says what an absent person is (|default:"—")
    if hasattr(who, "display_name") and hasattr(who, "user_id"):  # an artist profile
        return who.display_name or person_name(getattr(who, "user", None))
    if not getattr(who, "pk", None) and getattr(who, "email", "") == "system":
        return "Atelier"
    profile = None
    descriptor = getattr(type(who), "artist_profile", None)
    if descriptor is not None and descriptor.is_cached(who):
        profile = who.artist_profile
    if profile is not None and profile.display_name:
        return profile.display_name
    full = who.get_full_name() if hasattr(who, "get_full_name") else ""
    return full or getattr(who, "email", "") or str(who)
