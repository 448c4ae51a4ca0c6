"""The program's audit log for its managers: who did what, in the product's words, with money formatted; filtered
by actor, action, object and date, a page at a time."""
from datetime import datetime, time, timedelta

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from atelier import bounds
from atelier.actions import AUDIT_NAMES, RETIRED_NAMES
from atelier.audit import describe
from atelier.models import AuditLogEntry
from atelier.pagination import paginate
from atelier.permissions import get_program_for

#: the apps whose objects the log names (the kernel knows them by label, never by import)
AUDITED_APPS = ("atelier", "testers", "content_review", "payments", "api")
SYSTEM_WORDS = {"system", "atelier", "atelier (system)"}


def _action_choices():
    names = {**RETIRED_NAMES, **AUDIT_NAMES}
    return [("", "Any action")] + sorted(((name, f"{label} ({name})") for name, label in names.items()),
                                         key=lambda choice: choice[1].lower())


def _object_type_choices():
    models = [m for app in AUDITED_APPS for m in apps.get_app_config(app).get_models()]
    return [("", "Any kind")] + sorted(((m._meta.label, str(m._meta.verbose_name).capitalize()) for m in models),
                                       key=lambda choice: choice[1])


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="Who", required=False, max_length=254,
                            help_text="An e-mail address or part of one; “system” for Atelier's own work.")
    action = forms.ChoiceField(label="Action", required=False)
    object_type = forms.ChoiceField(label="Kind of object", required=False)
    object = forms.CharField(label="Object", required=False, max_length=255,
                             help_text="Part of its name, or #id for one object.")
    since = bounds.BoundedDateField(label="From", required=False, latest=bounds.report_latest,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    until = bounds.BoundedDateField(label="To", required=False, latest=bounds.report_latest,
                                    widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only names the log can hold and labels of our own models: never a NUL byte or a guess in a query.
        self.fields["action"].choices = _action_choices()
        self.fields["object_type"].choices = _object_type_choices()

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end comes before the start.")
        return data

    def filter(self, entries):
        """`entries` narrowed by the valid filters (an invalid form filters nothing and shows its errors)."""
        if not self.is_valid():
            return entries
        data = self.cleaned_data
        actor = data["actor"].strip()
        if actor.lower() in SYSTEM_WORDS:
            entries = entries.filter(actor__isnull=True)
        elif actor:
            entries = entries.filter(actor_label__icontains=actor)
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(target_type=data["object_type"])
        obj = data["object"].strip()
        if obj.startswith("#") and obj[1:].strip():
            entries = entries.filter(target_id=obj[1:].strip())
        elif obj:
            entries = entries.filter(Q(target_label__icontains=obj) | Q(target_id=obj))
        tz = timezone.get_current_timezone()
        if data["since"]:
            entries = entries.filter(created_at__gte=datetime.combine(data["since"], time.min, tzinfo=tz))
        if data["until"]:
            entries = entries.filter(created_at__lt=datetime.combine(data["until"] + timedelta(days=1), time.min,
                                                                     tzinfo=tz))
        return entries


@login_required
def program_audit_log(request, slug):
    program = get_program_for(request.user, "audit.view", slug)
    form = AuditFilterForm(request.GET or None)
    entries = AuditLogEntry.objects.filter(program=program).select_related("actor").order_by("-created_at", "-id")
    entries = form.filter(entries)
    page_obj = paginate(request, entries)
    return render(request, "audit/program_log.html", {
        "program": program, "page_obj": page_obj, "form": form,
        "action": form.cleaned_data.get("action", "") if form.is_bound and form.is_valid() else "",
        "filtered": form.is_bound and form.is_valid() and any(form.cleaned_data.values()),
        "rows": [describe(entry, program.currency) for entry in page_obj],
    })
