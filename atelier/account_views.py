"""One's own account settings beyond allauth's: the time zone (the sign-up field, the page and its action)."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from atelier.actions import Action
from atelier.http import perform
from atelier.timezones import available_zones, validate_time_zone, zone_of


def zone_choices() -> list[tuple[str, str]]:
    return [("", f"Site default ({settings.TIME_ZONE})")] + [(name, name.replace("_", " "))
                                                              for name in sorted(available_zones())]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", required=False, choices=zone_choices,
                                  help_text="Every date and time in Atelier is shown in this zone, and your "
                                            "“today” (for logging time) is this zone's today.")


class SignupTimeZoneForm(forms.Form):
    """Added to allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS): a hidden field that static/js/atelier.js fills
    with the browser's zone (Intl.DateTimeFormat().resolvedOptions().timeZone). Without JavaScript, or with a
    name we do not know, the person gets the site's default and can change it on the time zone page."""

    time_zone = forms.CharField(required=False, max_length=64,
                                widget=forms.HiddenInput(attrs={"data-detect-time-zone": ""}))

    def clean_time_zone(self):
        value = (self.cleaned_data.get("time_zone") or "").strip()
        return value if value in available_zones() else ""

    def signup(self, request, user):
        # The account adapter has already stored the zone (save_user); nothing else to do here.
        return None


class SetTimeZone(Action):
    """Target: the person themself (a User). Params: time_zone (a zone name, or "" for the site's default)."""

    name = "atelier.account.time_zone_changed"
    label = "changed time zone"
    model = settings.AUTH_USER_MODEL
    permission = "account.edit"

    def refusal(self, user):
        try:
            validate_time_zone(self.params.get("time_zone") or "")
        except ValidationError as error:
            return error.messages[0]
        return None

    def lock(self, obj):
        # request.user is a lazy wrapper: lock the row through the model, not the type of the object given.
        return get_user_model()._default_manager.select_for_update().get(pk=obj.pk)

    def apply(self, user):
        self.change(user, time_zone=self.params.get("time_zone") or "")
        return user


# --- the page -------------------------------------------------------------------------------------------------

@login_required
def time_zone_edit(request):
    """One's own time zone, for artists and staff alike (the artist's profile page links here)."""
    form = TimeZoneForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        if perform(request, SetTimeZone(request.user, request.user, time_zone=form.cleaned_data["time_zone"]),
                   form=form, success="Time zone saved.") is not None:
            return redirect("time_zone")
    return render(request, "account/time_zone.html", {"form": form, "current": zone_of(request.user), "now": timezone.now()})
