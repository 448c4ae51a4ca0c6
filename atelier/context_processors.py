"""The layout's context: navigation that depends on the user's roles, the layout's constant links, the bell.

Nothing here asks the database on a warm page: roles and memberships come with the user from the shared cache
(atelier.person_cache), and the URLs, which never change while the process runs, are reversed once."""
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

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
# The layout's other links (base.html, notifications/_bell.html), by the name the templates use.
LAYOUT_URLS = {
    "home": "home", "login": "account_login", "logout": "account_logout", "account": "account_email",
    "notifications": "notifications:list", "notifications_badge": "notifications:badge",
    "staff": "staff_index", "admin": "admin:index",
}

# The layout's static files (their URL has the file's hash in production).
LAYOUT_STATIC = {"css": "css/atelier.css", "favicon": "img/favicon.svg", "htmx": "vendor/htmx-2.0.11.min.js",
                 "js": "js/atelier.js"}

_reversed: dict[tuple, dict] = {}
setting_changed.connect(lambda **kwargs: _reversed.clear(), weak=False, dispatch_uid="atelier.layout_urls")


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def layout_urls() -> dict:
    """{"artist_links": [(label, url)], "<LAYOUT_URLS or LAYOUT_STATIC key>": url}, made once per URL map and
    script prefix (a request with its own urlconf, or a deployment under a path, gets its own; a test that changes
    a setting starts afresh)."""
    key = (get_urlconf(), get_script_prefix())
    urls = _reversed.get(key)
    if urls is None:
        urls = {name: _url(url_name) for name, url_name in LAYOUT_URLS.items()}
        urls.update({name: static(path) for name, path in LAYOUT_STATIC.items()})
        urls["artist_links"] = [(label, url) for label, name in ARTIST_LINKS if (url := _url(name))]
        _reversed[key] = urls
    return urls


def navigation(request):
    urls = layout_urls()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "nav_staff_link": None, "layout_urls": urls}
    admin = is_site_admin(user)
    return {
        "nav_links": urls["artist_links"] if member_program_ids(user) else [],
        "nav_staff_link": urls["staff"] if is_staff_member(user) and (staff_roles(user) or admin) else None,
        "nav_admin_link": urls["admin"] if admin else None,
        "current_path": request.path,
        "layout_urls": urls,
    }


def notifications(request):
    """The bell's unread count, from the cache: the layout adds no database query to a page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
