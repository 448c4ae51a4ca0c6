"""The notification centre (list, open, mark read, mark all read), the bell's htmx partial, and the settings page
(signed in, or through the signed link of an e-mail, which also takes RFC 8058 one-click unsubscribe posts)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from atelier.errors import ActionRefused
from atelier.http import perform
from atelier.models import Notification, NotificationPreference
from atelier.notifications import actions
from atelier.notifications.delivery import settings_of, unread_count
from atelier.notifications.registry import CATEGORIES
from atelier.notifications.tokens import BadToken, read_token, settings_token
from atelier.pagination import paginate

Delivery = NotificationPreference.Delivery


def _own(request, pk) -> Notification:
    # Another person's notification is a 404, never a leak.
    return get_object_or_404(Notification.objects.select_related("program"), pk=pk, recipient=request.user)


def _changed(response):
    """Tell the page's bell to refresh itself (it listens for this event)."""
    response["HX-Trigger"] = "notifications-changed"
    return response


@login_required
def notification_list(request):
    show = request.GET.get("show")
    items = Notification.objects.filter(recipient=request.user).select_related("program")
    if show == "unread":
        items = items.filter(read_at__isnull=True)
    return render(request, "notifications/list.html", {
        "page_obj": paginate(request, items), "show": show, "unread": unread_count(request.user, fresh=True),
    })


@login_required
def badge(request):
    """The bell, for htmx to swap in: counted afresh (it also refreshes the cached count the layout shows)."""
    return render(request, "notifications/_bell.html", {"unread_notifications": unread_count(request.user, fresh=True)})


def _safe_link(request, link: str) -> str:
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return link
    return ""


@login_required
def notification_open(request, pk):
    """Follow a notification to its object, marking it read on the way (a light action: see actions.py)."""
    notification = _own(request, pk)
    if notification.read_at is None:
        try:
            actions.MarkNotificationRead(request.user, notification).run()
        except ActionRefused:
            pass  # read meanwhile (another tab): follow the link all the same
    return redirect(_safe_link(request, notification.link) or "notifications:list")


@login_required
@require_POST
def notification_read(request, pk):
    notification = _own(request, pk)
    try:
        notification = actions.MarkNotificationRead(request.user, notification).run()
    except ActionRefused:
        notification.refresh_from_db()
    if request.htmx:
        return _changed(render(request, "notifications/_item.html", {"notification": notification}))
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    perform(request, actions.MarkAllNotificationsRead(request.user), success="All notifications marked read.")
    return redirect("notifications:list")


class SettingsForm(forms.Form):
    """One choice per category; mandatory categories are shown, fixed."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for category, delivery in settings_of(user):
            field = forms.ChoiceField(label=category.label, choices=Delivery.choices, initial=delivery,
                                      help_text=category.help, widget=forms.RadioSelect)
            if category.mandatory:
                field.disabled = True
                field.choices = [(Delivery.IMMEDIATE, "E-mail each one (always: this concerns your rules or money)")]
            self.fields[category.key] = field

    def choices(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if not CATEGORIES[key].mandatory}


def _settings_page(request, user, *, via, token=None, status=200):
    form = SettingsForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        perform(request, actions.ChangeNotificationSettings(user, choices=form.choices(), via=via), form=form,
                success="Your notification settings are saved.")
        if not form.errors:
            if token:
                return redirect("notifications:preferences_token", token=token)
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html",
                  {"form": form, "person": user, "token": token}, status=status)


@login_required
def preferences(request):
    return _settings_page(request, request.user, via="preferences page")


def _bad_link(request, error: BadToken):
    return render(request, "notifications/bad_link.html", {"message": str(error)}, status=400)


def preferences_token(request, token):
    """The settings page through the signed link of an e-mail: no sign-in needed."""
    try:
        user, _ = read_token(token)
    except BadToken as error:
        return _bad_link(request, error)
    return _settings_page(request, user, via="signed link", token=token)


@csrf_exempt  # RFC 8058: mail providers post here without a session or a CSRF token; the signed link is the proof
def unsubscribe(request, token):
    """GET: a page that says what the link turns off, with a button (link scanners must not unsubscribe anyone).
    POST (the button, or a mail provider's one-click): turn the category off — every optional one for a digest."""
    if request.method not in ("GET", "POST"):
        raise Http404("Not found.")
    try:
        user, key = read_token(token)
    except BadToken as error:
        return _bad_link(request, error)
    category = CATEGORIES.get(key)
    optional = [c for c in CATEGORIES.values() if not c.mandatory]
    targets = [category] if category is not None else optional
    targets = [c for c in targets if not c.mandatory]
    context = {"person": user, "category": category, "targets": targets,
               "preferences_token": settings_token(user)}
    if request.method == "POST" and targets:
        try:
            actions.ChangeNotificationSettings(user, choices={c.key: Delivery.OFF for c in targets},
                                               via="one-click unsubscribe").run()
        except ActionRefused as refused:
            context["error"] = str(refused)
        else:
            context["done"] = True
    return render(request, "notifications/unsubscribe.html", context)
