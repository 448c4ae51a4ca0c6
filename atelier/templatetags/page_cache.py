"""`{% page_block "content" %}`: a block of a cached page (atelier.page_cache), from the cache or rendered now."""
from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_block(context, name):
    return context["cached_page"].block(name, context)
