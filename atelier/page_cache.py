"""The content of costly signed-in pages, kept per viewer and recomputed only when something in their program changed.

A page's view checks who may see it (as always), names the scopes its content depends on (`program:<id>`, and for
an artist's pages `testers.Membership:<id>`), and hands `render_page` a function that makes its context. What is cached is
the page's own blocks (title, extra head, content) rendered with that context, never the layout: the navigation,
the bell, flash messages and the layout's CSRF token are rendered live on every request around the cached blocks
(`page_cache/page.html` extends base.html).

The key holds the page, the viewer (user id, session key, staff roles and CSRF secret, since forms in the content carry a CSRF
token), the full path with its query string, the viewer's time zone and local date ("today"-relative content
changes at midnight), and the generation (`atelier.figure_cache`) of every scope. Every committed action event
with a program moves `program:<id>` on (and `<target type>:<id>` of its target), so any change in a program
refreshes its pages; an event without a program moves `site` on (every cached page); writes that are not actions
call `program_changed`. `TIMEOUT` bounds what nothing announces
(a deadline passing before the beat task records it).
"""
from __future__ import annotations

import hashlib
from typing import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode
from django.utils import timezone
from django.utils.safestring import mark_safe

from atelier import events, figure_cache
from atelier.permissions import staff_roles

#: Belt and braces: a cached page lives at most this long even if nothing announced a change.
TIMEOUT = 60

#: Extends base.html and fills its title, extra_head and content blocks with `{% page_block %}`: everything else
#: in base.html stays live.
THIN_TEMPLATE = "page_cache/page.html"


def program_scope(program_id) -> str:
    return f"program:{program_id}"


def membership_scope(membership_id) -> str:
    return f"testers.Membership:{membership_id}"


def program_changed(program_id) -> None:
    """A write that is not an action changed what a program's pages show: they compute again (after commit)."""
    transaction.on_commit(lambda: figure_cache.invalidate(program_scope(program_id)))


#: Every cached page depends on it: an action outside any program (a profile, a Stripe account, a webhook's event)
#: may change what any page shows, so it refreshes them all.
SITE_SCOPE = "site"


def event_scope(program_id) -> str:
    """The scope an event of this program (or of none) moves on."""
    return program_scope(program_id) if program_id is not None else SITE_SCOPE


@events.subscribe("*")
def _on_action(event: dict) -> None:
    figure_cache.invalidate(event_scope(event.get("program_id")))
    if event.get("target_type") and event.get("target_id") is not None:
        figure_cache.invalidate(f"{event['target_type']}:{event['target_id']}")


def _key(request, page: str, scopes: Iterable[str]) -> str:
    user = request.user
    get_token(request)  # a first visit draws the CSRF secret now, so the key is the one its next visit computes
    # The viewer's roles are in the key (the layout loads them anyway): content shown by role never crosses roles.
    roles = sorted((program_id, sorted(held)) for program_id, held in staff_roles(user).items())
    user_part = (f"{user.pk}:{request.session.session_key or ''}:{request.META.get('CSRF_COOKIE', '')}:"
                 f"{roles}:{user.is_staff}:{user.is_superuser}")
    generations = sorted(figure_cache.generations({SITE_SCOPE, *scopes}).items())
    parts = "\n".join([user_part, request.get_full_path(), timezone.get_current_timezone_name(),
                       timezone.localdate().isoformat(), str(generations)])
    return f"page:{page}:{hashlib.sha256(parts.encode()).hexdigest()}"


class _Cached:
    """The blocks of a page as they were cached."""

    def __init__(self, blocks: dict[str, str]):
        self.blocks = blocks

    def block(self, name: str, context) -> str:
        return mark_safe(self.blocks.get(name, ""))  # our own output, rendered (and escaped) by the page's template


class _Rendering:
    """The blocks of the page's own template, rendered in the thin page's context (so the context processors run
    once) and kept for the cache."""

    def __init__(self, template_name: str):
        template = get_template(template_name).template
        extends = template.nodelist.get_nodes_by_type(ExtendsNode)
        self.nodes = extends[0].blocks if extends else {}
        self.blocks: dict[str, str] = {}

    def block(self, name: str, context) -> str:
        node = self.nodes.get(name)
        with context.push():
            # The block's own nodes: rendering the BlockNode would take the thin page's block of the same name.
            html = node.nodelist.render(context) if node is not None else ""
        self.blocks[name] = html
        return mark_safe(html)


def render_page(request, page: str, template_name: str, make_context_fn: Callable[[], dict | HttpResponse], *,
                scopes: Iterable[str]) -> HttpResponse:
    """`template_name` rendered with `make_context_fn()`, its blocks cached per viewer for signed-in GETs.

    `make_context_fn` may return a response instead (a redirect): it is returned as it is, and nothing is cached.
    """
    if request.method != "GET" or not request.user.is_authenticated or getattr(request, "session", None) is None:
        context = make_context_fn()
        return context if isinstance(context, HttpResponse) else render(request, template_name, context)
    key = _key(request, page, scopes)
    blocks = cache.get(key)
    if blocks is not None:
        return render(request, THIN_TEMPLATE, {"cached_page": _Cached(blocks)})
    context = make_context_fn()
    if isinstance(context, HttpResponse):
        return context
    rendering = _Rendering(template_name)
    response = render(request, THIN_TEMPLATE, {**context, "cached_page": rendering})
    cache.set(key, rendering.blocks, timeout=TIMEOUT)
    return response
