"""Template helpers available in every template (registered as builtins)."""
from django import template

from atelier import actions, permissions
from atelier.money import format_money

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
def minutes_as_hours(minutes):
    minutes = int(minutes or 0)
    return f"{minutes // 60} h {minutes % 60:02d} min"


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
