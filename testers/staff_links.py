"""Links on a program's staff page to other apps' staff pages.

Other apps add an entry in their AppConfig.ready(), without touching the testers templates:

    from testers.staff_links import STAFF_LINKS, StaffLink
    STAFF_LINKS.append(StaffLink("Review queue", "content_review:staff_queue", "share_request.decide"))

`url_name` is reversed with the program's slug (kwargs={"slug": ...}); the link shows only to users for whom
`atelier.permissions.can(user, action, program)` is true, and only if the URL name exists.
"""
from __future__ import annotations

from typing import NamedTuple

from django.urls import NoReverseMatch, reverse

from atelier.permissions import can


class StaffLink(NamedTuple):
    label: str
    url_name: str
    action: str  # a permission action from atelier.permissions.RULES
    description: str = ""


STAFF_LINKS: list[StaffLink] = []


def links_for(user, program) -> list[dict]:
    """The registered links this user may follow for this program, as {"label", "url", "description"}."""
    result = []
    for entry in STAFF_LINKS:
        link = StaffLink(*entry) if not isinstance(entry, StaffLink) else entry
        if not can(user, link.action, program):
            continue
        try:
            url = reverse(link.url_name, kwargs={"slug": program.slug})
        except NoReverseMatch:
            continue
        result.append({"label": link.label, "url": url, "description": link.description})
    return result
