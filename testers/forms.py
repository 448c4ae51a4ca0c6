"""Forms of the testers app. They parse input; the actions hold the rules."""
from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone

from atelier import bounds
from atelier.errors import DomainError
from atelier.forms import MoneyField
from atelier.money import to_decimal
from testers import media
from testers.actions.programs import CREDIT_MAX, DEADLINE_DAYS, NOTICE_DAYS, WATERMARK_MAX
from testers.models import ArtistProfile, Clause, Feedback, Membership, Milestone, Program, StaffRole, TimeLog


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleImageInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp,image/gif")

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleImageField, self).clean(item, initial) for item in items]


class MembershipChoiceMixin:
    """A 'program' choice shown only when the artist is in more than one program."""

    def _setup_membership(self, memberships):
        memberships = list(memberships)
        self.fields["membership"].queryset = Membership.objects.filter(pk__in=[m.pk for m in memberships])
        self.fields["membership"].label_from_instance = lambda m: m.program.name
        if len(memberships) == 1:
            self.fields["membership"].initial = memberships[0].pk
            self.fields["membership"].widget = forms.HiddenInput()


class FeedbackForm(MembershipChoiceMixin, forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none(), label="Program", empty_label=None)
    kind = forms.ChoiceField(choices=Feedback.Kind.choices, label="Kind")
    title = forms.CharField(max_length=200)
    body = forms.CharField(label="What happened, or what you would like", max_length=bounds.LONG_TEXT,
                           widget=forms.Textarea(attrs={"rows": 6}))
    severity = forms.ChoiceField(
        choices=[("", "—")] + list(Feedback.Severity.choices), required=False, label="Severity",
        help_text="For bugs: how much does it get in your way?",
    )
    images = MultipleImageField(label="Images", help_text=f"Up to {media.MAX_ATTACHMENTS} screenshots or outputs "
                                                          f"({media.ACCEPTED_IMAGES}, 10 MB each).")

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_membership(memberships)

    def clean_images(self):
        # Checked here as well as in the action, so a bad file is reported beside its field even when another
        # field is also wrong (the action alone would speak only once every other field is valid).
        images = self.cleaned_data["images"]
        if len(images) > media.MAX_ATTACHMENTS:
            raise forms.ValidationError(f"Attach at most {media.MAX_ATTACHMENTS} images.")
        problems = []
        for image in images:
            try:
                media.check_feedback_image(image)
            except DomainError as error:
                problems.append(str(error))
        if problems:
            raise forms.ValidationError(
                [*problems, f"Accepted: {media.ACCEPTED_IMAGES}, up to 10 MB each."])
        return images

    def clean(self):
        data = super().clean()
        if data.get("kind") == Feedback.Kind.BUG and not data.get("severity"):
            self.add_error("severity", "Choose how severe the bug is.")
        return data


class ReplyForm(forms.Form):
    message = forms.CharField(label="Reply", max_length=bounds.REASON_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class TriageForm(forms.Form):
    to_status = forms.ChoiceField(label="New status", choices=Feedback.Status.choices)
    duplicate_of = forms.IntegerField(
        label="Duplicate of (item number)", required=False, min_value=1, max_value=bounds.ID_MAX,
        help_text="For a duplicate: the number of the original item.",
    )
    shipped_in = forms.CharField(
        label="Shipped in (build or release)", required=False, max_length=bounds.SHORT_TEXT,
        help_text="Required when marking shipped: the build or release the artist can find it in, e.g. 2.4.0.",
    )
    message = forms.CharField(
        label="Message to the artist", required=False, max_length=bounds.REASON_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when declining: the reason.",
    )

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:  # the statuses whose triage action the person may run now (the view asks)
            self.fields["to_status"].choices = choices


class TimeLogForm(MembershipChoiceMixin, forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none(), label="Program", empty_label=None)
    date = bounds.BoundedDateField(widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate,
                                   earliest=bounds.past_year, latest=bounds.today,
                                   too_late="You cannot log time on a day that has not come yet.",
                                   help_text="Testing time of the past year, up to today.")
    hours = forms.IntegerField(min_value=0, max_value=24, initial=1)
    extra_minutes = forms.IntegerField(label="Minutes", min_value=0, max_value=59, initial=0)
    description = forms.CharField(label="What you tested", max_length=bounds.REASON_TEXT,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_membership(memberships)

    def clean(self):
        data = super().clean()
        minutes = (data.get("hours") or 0) * 60 + (data.get("extra_minutes") or 0)
        if "hours" in data and "extra_minutes" in data and minutes <= 0:
            raise forms.ValidationError("Log at least one minute.")
        data["minutes"] = minutes
        return data


class RejectTimeForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=bounds.REASON_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class ProfileForm(forms.ModelForm):
    portfolio_url = forms.URLField(label="Portfolio link", required=False, assume_scheme="https")

    class Meta:
        model = ArtistProfile
        fields = ["display_name", "legal_name", "pronouns", "country", "portfolio_url", "credit_line",
                  "changelog_credit"]
        labels = {"changelog_credit": "Credit me in public changelogs"}


class InvitationForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    email = forms.EmailField(label="E-mail")
    cohort = forms.CharField(max_length=60, required=False)


class InvitationImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="One invitation per line: name, e-mail, optional cohort. A header line is allowed. "
                  "If any line is wrong, nothing is imported and every wrong line is listed.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 1_000_000:
            raise forms.ValidationError("The file is larger than 1 MB; split it.")
        return upload


class MembershipStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="New status",
        choices=[(Membership.Status.ACTIVE, "Active"), (Membership.Status.PAUSED, "Paused"),
                 (Membership.Status.REMOVED, "Removed")],
    )
    note = forms.CharField(label="Note (for the audit log)", required=False, max_length=500)


class ClauseForm(forms.ModelForm):
    """A draft's clause, with its optional end: a day, or one of the program's milestones not announced yet."""

    ends_on = bounds.BoundedDateField(
        label="Ends on", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        earliest=lambda: bounds.today() + timedelta(days=1), latest=bounds.clause_end_latest,
        help_text="Optional, for a confidential or needs-approval clause: the day from which it is free to share.")

    class Meta:
        model = Clause
        fields = ["klass", "title", "text", "examples", "position", "ends_on", "ends_at_milestone"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4}), "examples": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["ends_at_milestone"]
        field.empty_label = "No milestone"
        field.help_text = ("Optional, instead of a day: free to share once a manager announces this milestone "
                           "(the program's milestones page lists them).")
        current = self.instance.ends_at_milestone_id if self.instance.pk else None
        field.queryset = (Milestone.objects.filter(program=program)
                          .filter(Q(status=Milestone.Status.PLANNED) | Q(pk=current)).order_by("name")
                          if program is not None else Milestone.objects.none())

    def clean(self):
        data = super().clean()
        if data.get("ends_on") and data.get("ends_at_milestone"):
            raise forms.ValidationError("A clause ends on a day or at a milestone, not both: choose one.")
        return data


class MilestoneForm(forms.Form):
    name = forms.CharField(max_length=Milestone._meta.get_field("name").max_length,
                           help_text="As artists will read it: “public launch”, “the 2.0 release”.")


class DraftSummaryForm(forms.Form):
    summary = forms.CharField(label="What changed, in plain words", required=False, max_length=bounds.LONG_TEXT,
                              widget=forms.Textarea(attrs={"rows": 3}))


class PublishForm(forms.Form):
    effective_date = bounds.BoundedDateField(
        widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate,
        earliest=bounds.today, latest=bounds.schedule_latest,
        help_text="Artists must accept the new version from this date: today or within a year.")


class FeedbackFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status")] + list(Feedback.Status.choices), required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind")] + list(Feedback.Kind.choices), required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity")] + list(Feedback.Severity.choices), required=False)
    cohort = forms.CharField(required=False, max_length=60)
    q = forms.CharField(label="Search", required=False, max_length=100)


class TimeFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status")] + list(TimeLog.Status.choices), required=False)
    cohort = forms.CharField(required=False, max_length=60)
    q = forms.CharField(label="Artist", required=False, max_length=100)


class ArtistFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status")] + list(Membership.Status.choices), required=False)
    cohort = forms.CharField(required=False, max_length=60)
    q = forms.CharField(label="Search", required=False, max_length=100)


# --- program settings and team --------------------------------------------------------------------------------

class ProgramSettingsForm(forms.Form):
    """A program's settings as a manager types them: days as whole numbers, amounts as money in the program's
    currency (cleaned to minor units). The bounds are the action's (testers.actions.programs)."""

    review_sla_days = forms.IntegerField(
        label="Review deadline (days)", min_value=DEADLINE_DAYS[0], max_value=DEADLINE_DAYS[1],
        help_text="Days a reviewer has to decide a share request once it is submitted.")
    deadline_policy = forms.ChoiceField(
        label="At the deadline", choices=Program.DeadlinePolicy.choices,
        help_text="What happens to a share request still undecided at its deadline.")
    appeal_sla_days = forms.IntegerField(
        label="Appeal deadline (days)", min_value=DEADLINE_DAYS[0], max_value=DEADLINE_DAYS[1],
        help_text="Days to decide an appeal, or a request escalated to the manager.")
    watermark_text = forms.CharField(
        label="Watermark text", max_length=WATERMARK_MAX, required=False,
        help_text="The program's mark on approved, published works. Empty: no watermark.")
    credit_text = forms.CharField(
        label="Credit text", max_length=CREDIT_MAX, required=False,
        help_text="How the program is credited beside a published work, e.g. 'Shared with Atelier Beta'.")
    terms_notice_days = forms.IntegerField(
        label="Terms notice period (days)", min_value=NOTICE_DAYS[0], max_value=NOTICE_DAYS[1],
        help_text="New terms take effect this many days after publication by default.")
    changelog_public = forms.BooleanField(
        label="Publish a public changelog", required=False,
        help_text="A public page lists the feedback that shipped, with its build, crediting each artist who agreed "
                  "to be credited (their profile's choice). Only items of those artists are listed, by title.")

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        currency = program.currency
        self.fields["reporting_threshold"] = MoneyField(
            currency=currency, required=False, max_minor=bounds.BIG_AMOUNT_MAX,
            label=f"Year-end reporting threshold ({currency})",
            help_text="Artists paid this much or more in a year are flagged on the year-end report. Empty: the US "
                      "Form 1099-NEC threshold of the year (programs paying in USD only).")
        self.fields["fair_pay_floor_hourly"] = MoneyField(
            currency=currency, required=False, max_minor=program.max_amount_minor,
            label=f"Fair-pay floor per hour ({currency})",
            help_text="The minimum effective hourly rate, all earnings included, when the rate card in force sets "
                      "none. Empty: no floor.")
        self.order_fields(["review_sla_days", "deadline_policy", "appeal_sla_days", "watermark_text", "credit_text",
                           "reporting_threshold", "terms_notice_days", "fair_pay_floor_hourly", "changelog_public"])
        if not self.is_bound:
            self.initial = {name: getattr(program, name) for name in self.base_fields}
            for field, model_field in self.MONEY.items():
                value = getattr(program, model_field)
                self.initial[field] = None if value is None else to_decimal(value, currency)

    MONEY = {"reporting_threshold": "reporting_threshold_minor",
             "fair_pay_floor_hourly": "fair_pay_floor_hourly_minor"}

    def values(self) -> dict:
        """The cleaned settings under the program's field names."""
        data = dict(self.cleaned_data)
        for field, model_field in self.MONEY.items():
            data[model_field] = data.pop(field)
        return data


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=254,
                             help_text="If they have no account yet, one is made and they choose their password "
                                       "from the e-mail.")
    role = forms.ChoiceField(label="Role", choices=StaffRole.Role.choices)


class StaffRoleChangeForm(forms.Form):
    role = forms.ChoiceField(label="New role", choices=StaffRole.Role.choices)
