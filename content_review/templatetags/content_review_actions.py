"""{% why_not_now %}: like {% why_not %}, but a reason about the person (participation, a rule) is given only
where the object's state allows the action; elsewhere the refusal is of kind "state" and the page shows no
button (a paused artist sees no disabled "Appeal" on a draft)."""
from django import template

from atelier import actions
from atelier.errors import Refusal

register = template.Library()


@register.simple_tag(takes_context=True)
def why_not_now(context, action_name, obj):
    action = actions.get(action_name)(context["request"].user, obj)
    refusal = action.check()
    if refusal is not None and refusal.kind not in ("permission", "state") and not action.applies():
        return Refusal("Not possible now.", "state")
    return refusal
