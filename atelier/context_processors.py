"""Navigation that depends on the user's roles, built once per request."""
from django.urls import NoReverseMatch, reverse

from atelier.notifications.delivery import unread_count
from atelier.permissions import is_site_admin, is_staff_member, member_program_ids, staff_roles

# (label, url name, who sees it). Entries whose URL is not (yet) defined are left out.
ARTIST_LINKS = [
    ("Home", "home"),
    ("Feedback", "testers:feedback_list"),
    ("Testing time", "testers:timelog_list"),
    ("What can I share?", "testers:what_can_i_share"),
    ("Share requests", "content_review:my_requests"),
    ("Earnings", "payments:earnings"),
    ("Payout account", "payments:payout_account"),
]


def _url(name, **kwargs):
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "nav_staff_link": None}
    links = []
    if member_program_ids(user):
        links = [(label, url) for label, name in ARTIST_LINKS if (url := _url(name))]
    staff_link = _url("staff_index") if is_staff_member(user) and (staff_roles(user) or is_site_admin(user)) else None
    return {
        "nav_links": links,
        "nav_staff_link": staff_link,
        "nav_admin_link": _url("admin:index") if is_site_admin(user) else None,
        "current_path": request.path,
    }


def notifications(request):
    """The bell's unread count, from the cache: the layout adds no database query to a page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
