"""Template helpers available in every template (registered as builtins)."""
from django import template

from atelier import actions, permissions
from atelier import display
from atelier.money import format_money
from atelier.timezones import zone_named

register = template.Library()


@register.filter
def money(amount_minor, currency):
    """{{ entry.amount_minor|money:program.currency }} -> "$12.50"."""
    return format_money(amount_minor, currency)


@register.simple_tag(takes_context=True)
def can(context, action, obj=None):
    """{% can "feedback.triage" feedback as may_triage %}"""
    return permissions.can(context["request"].user, action, obj)


@register.filter
def when(value, zone=None):
    """{{ log.decided_at|when }} -> "30 Nov 2026, 14:05 NZDT" in the viewer's zone (or the zone named)."""
    return display.format_when(value, _zone(zone))


@register.filter
def day(value, zone=None):
    """{{ version.effective_date|day }} -> "30 Nov 2026"."""
    return display.format_day(value, _zone(zone))


@register.filter
def month(value):
    """{{ panel.month|month }} -> "November"."""
    return display.format_month(value)


@register.filter
def iso(value):
    """For machines (URLs, <time datetime>, inputs): 2026-11-30, or a moment in UTC as ISO 8601."""
    return display.format_iso(value)


@register.filter
def duration(minutes):
    """{{ log.minutes|duration }} -> "2 h 30 min"."""
    return display.format_duration(minutes)


#: the name every template used before `duration`: the same rule
minutes_as_hours = register.filter("minutes_as_hours", duration)


@register.filter
def count(number, noun):
    """{{ open|count:"open feedback item" }} -> "1 open feedback item" / "2 open feedback items";
    {{ n|count:"person,people" }} for an irregular plural."""
    return display.format_count(number, noun)


@register.filter
def plural(number, noun):
    """The noun alone, for a layout that shows the number apart: {{ n|plural:"open feedback item" }}."""
    return display.format_count(number, noun).split(" ", 1)[1]


@register.filter
def person(who):
    """{{ log.membership.artist|person }}: display name, else full name, else e-mail (atelier.display)."""
    return display.person_name(who)


def _zone(name):
    if not name:
        return None
    return zone_named(name)


@register.simple_tag(takes_context=True)
def why_not(context, action_name, obj=None):
    """{% why_not "payments.payout_run.approve" run as refusal %}: None when the signed-in person may run the
    action now, else the reason in words (show a disabled button with it, or hide the button when
    `refusal.kind == "permission"`)."""
    return actions.check(action_name, context["request"].user, obj)


@register.simple_tag(takes_context=True)
def page_url(context, param, number):
    """{% page_url "held" page_obj.next_page_number %}: this page's query string with one page parameter set, so
    several paginated lists on one page each keep their own page (includes/pagination.html uses it)."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"
