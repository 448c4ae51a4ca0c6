"""The tokens page's form: which program, a name, what the token may do, how long it lasts."""
from __future__ import annotations

from django import forms

from api.actions import DEFAULT_EXPIRY
from api.models import ApiToken
from atelier import bounds
from testers.forms import MembershipChoiceMixin
from testers.models import Membership

EXPIRY_LABELS = [("30", "30 days"), ("90", "90 days"), ("365", "A year"), ("never", "Never: until you revoke it")]


class ApiTokenForm(MembershipChoiceMixin, forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none(), label="Program", empty_label=None)
    name = forms.CharField(max_length=bounds.SHORT_TEXT, help_text="Where you use it, e.g. “my laptop's plug-in”.")
    scopes = forms.MultipleChoiceField(
        label="It may", choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.FEEDBACK_WRITE, ApiToken.Scope.FEEDBACK_READ],
        help_text="Give it only what the tool needs.")
    expires_in = forms.ChoiceField(label="Expires after", choices=EXPIRY_LABELS, initial=DEFAULT_EXPIRY)

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_membership(memberships)
