"""Forms of content review. They parse input; the rules live in content_review.services."""
from datetime import timedelta

from django import forms
from django.utils import timezone

from atelier import bounds
from content_review.models import ReviewDecision, ShareRequest
from testers.models import Clause


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": "image/jpeg,image/png,image/webp,image/gif,video/mp4,video/webm"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ClauseCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes carrying each clause's class (data-klass), so the page can say "no review needed" live."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-klass"] = instance.klass
        return option


class ClauseTextCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes with each clause's text under its title, so a reviewer reads what they cite (issue 15)."""

    option_template_name = "content_review/widgets/clause_option.html"

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        option["clause"] = getattr(value, "instance", None)
        if option["clause"] is not None and option["attrs"].get("id"):
            option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_text"
        return option


class ClauseChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, clause):
        return f"{clause} — {clause.get_klass_display()}"


class ShareRequestForm(forms.Form):
    title = forms.CharField(max_length=200)
    caption = forms.CharField(required=False, max_length=bounds.CAPTION_TEXT, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="The text you plan to post with the works.")
    platforms = forms.MultipleChoiceField(
        label="Where you plan to post", choices=ShareRequest.Platform.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    platform_other = forms.CharField(label="Other place", max_length=120, required=False,
                                     help_text="If you chose “Other”: where?")
    planned_post_date = bounds.BoundedDateField(label="Date you want to post", required=False,
                                                earliest=bounds.today, latest=bounds.post_date_latest,
                                                widget=forms.DateInput(attrs={"type": "date"}))
    clauses = ClauseChoiceField(
        label="Clauses you think apply", queryset=Clause.objects.none(), required=False,
        widget=ClauseCheckboxes,
        help_text="From the terms you accepted. If every clause you mark is “free to share”, "
                  "your works need no review.",
    )
    files = MultipleFileField(
        label="Works", required=False,
        help_text="Images (JPEG, PNG, WebP, GIF) and short videos (MP4, WebM, up to 60 s and 1080p). "
                  "Up to 10 works.",
    )

    def __init__(self, *args, terms_version=None, works=None, **kwargs):
        super().__init__(*args, **kwargs)
        if terms_version is not None:
            self.fields["clauses"].queryset = terms_version.clauses.order_by("position")
        else:
            del self.fields["clauses"]
        if works:
            self.fields["remove_works"] = forms.MultipleChoiceField(
                label="Remove these works", required=False, widget=forms.CheckboxSelectMultiple,
                choices=[(w.pk, w.original_name) for w in works],
            )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label="Decision", widget=forms.RadioSelect)
    clauses = ClauseChoiceField(
        label="Clauses cited", queryset=Clause.objects.none(), required=False, widget=ClauseTextCheckboxes,
        help_text="Required for every decision but a plain approval. “Free to share” clauses cannot justify a refusal.",
    )
    reason = forms.CharField(required=False, max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="In words the artist understands. Required unless you approve plainly.")
    embargo_until = bounds.BoundedDateField(label="Embargo until", required=False,
                                    earliest=bounds.today, latest=bounds.post_date_latest,
                                    widget=forms.DateInput(attrs={"type": "date"}),
                                    help_text="Condition: not to be posted (or shown on the showcase) before this date.")
    required_caption = forms.CharField(label="Required caption", required=False, max_length=bounds.CAPTION_TEXT,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    required_credit = forms.CharField(label="Required credit", max_length=120, required=False,
                                      help_text="Replaces the artist's credit line on the published copy.")

    def __init__(self, *args, terms_version=None, appeal=False, **kwargs):
        super().__init__(*args, **kwargs)
        outcomes = [ReviewDecision.Outcome.APPROVE, ReviewDecision.Outcome.APPROVE_WITH_CONDITIONS]
        if not appeal:
            outcomes.append(ReviewDecision.Outcome.REQUEST_CHANGES)
        outcomes.append(ReviewDecision.Outcome.REFUSE)
        labels = {"approve": "Approve", "approve_with_conditions": "Approve with conditions",
                  "request_changes": "Request changes", "refuse": "Refuse"}
        self.fields["outcome"].choices = [(o.value, labels[o.value]) for o in outcomes]
        if terms_version is not None:
            self.fields["clauses"].queryset = terms_version.clauses.order_by("position")


class AppealForm(forms.Form):
    message = forms.CharField(label="Why you appeal", max_length=bounds.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 5}),
                              help_text="Another reviewer will read this and decide. Their decision is final; "
                                        "you can appeal once.")


class RemoveFromShowcaseForm(forms.Form):
    reason = forms.CharField(label="Why it comes off the showcase", max_length=bounds.LONG_TEXT,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text="The artist is told this reason. They cannot put the work back themselves.")


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[
        ("open", "Waiting for a decision"), ("submitted", "In review"), ("escalated", "Escalated"),
        ("appealed", "Appealed"), ("changes_requested", "Changes requested"), ("approved", "Approved"),
        ("refused", "Refused"), ("withdrawn", "Withdrawn"), ("all", "All"),
    ])
    # No select of every artist (10,000 options at scale): a search box with htmx suggestions that set `artist`.
    q = forms.CharField(label="Artist", required=False, max_length=100)
    artist = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    overdue = forms.BooleanField(label="Overdue only", required=False)


class ReportPeriodForm(forms.Form):
    start = bounds.BoundedDateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = bounds.BoundedDateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The period's start is after its end.")
        if data.get("end") and data.get("start") and (data["end"] - data["start"]).days > 3660:
            raise forms.ValidationError("Choose a period of at most ten years.")
        return data

    @staticmethod
    def default_period():
        today = timezone.localdate()
        return today - timedelta(days=89), today
