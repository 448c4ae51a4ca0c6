"""The layout's context: navigation that depends on the user's roles, the layout's constant links, the bell.

Nothing here asks the database on a warm page: roles and memberships come with the user from the shared cache
(atelier.person_cache), and the URLs, which never change while the process runs, are reversed once."""
import functools

from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

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


def _key() -> tuple:
    key = (get_urlconf(), get_script_prefix())
    if key not in _reversed:
        layout_urls()
    return key


@functools.lru_cache(maxsize=256)
def _nav_items(key: tuple, member: bool, staff: bool, admin: bool, current: str | None) -> str:
    """The navigation's links as HTML (`<li>`s), made once per combination: the same few for everyone."""
    urls = _reversed[key]
    links = list(urls["artist_links"]) if member else []
    if staff and urls["staff"]:
        links.append(("Staff", urls["staff"]))
    if admin and urls["admin"]:
        links.append(("Admin", urls["admin"]))
    return format_html_join("", "<li><a href=\"{}\"{}>{}</a></li>", (
        (url, mark_safe(' aria-current="page"') if url == current else "", label) for label, url in links))


def _forget_urls(**kwargs) -> None:
    _reversed.clear()
    _nav_items.cache_clear()


setting_changed.connect(_forget_urls, dispatch_uid="atelier.context_processors.layout_urls")


def _current(path: str, urls: dict) -> str | None:
    """The link that marks the page as current: the page's own, or Staff anywhere under /staff/."""
    if path.startswith("/staff/") or path.startswith(get_script_prefix() + "staff/"):
        return urls["staff"]
    return path if any(url == path for _, url in urls["artist_links"]) else None


def navigation(request):
    key = _key()
    urls = _reversed[key]
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": "", "layout_urls": urls}
    admin = is_site_admin(user)
    member = bool(member_program_ids(user))
    staff = is_staff_member(user) and bool(staff_roles(user) or admin)
    return {
        "nav_items": _nav_items(key, member, staff, admin, _current(request.path, urls)),
        "current_path": request.path,
        "layout_urls": urls,
    }


def notifications(request):
    """The bell's unread count, from the cache: the layout adds no database query to a page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
