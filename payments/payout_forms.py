"""Forms of the payout pages: a run's period, a reconciliation's period."""
import calendar
import datetime

from django import forms
from django.utils import timezone

from atelier import bounds


class PeriodForm(forms.Form):
    # Earnings are paid (and reconciled) for days that have happened: from 2000 up to today.
    period_start = bounds.BoundedDateField(label="Period start", widget=forms.DateInput(attrs={"type": "date"}),
                                           latest=bounds.today)
    period_end = bounds.BoundedDateField(label="Period end", widget=forms.DateInput(attrs={"type": "date"}),
                                         latest=bounds.today, help_text="Earnings dated up to this day are paid.")

    @classmethod
    def last_month(cls):
        """The previous calendar month: the usual period of a run."""
        first_this_month = timezone.localdate().replace(day=1)
        end = first_this_month - datetime.timedelta(days=1)
        return {"period_start": end.replace(day=1), "period_end": end}

    @classmethod
    def next_period(cls, after: datetime.date | None = None):
        """The period after the last run: from the day after it ended to the end of last month (or to
        yesterday when last month is already covered)."""
        today = timezone.localdate()
        if after is None:
            return cls.last_month()
        start = after + datetime.timedelta(days=1)
        last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
        end = last_month_end if last_month_end >= start else today - datetime.timedelta(days=1)
        return {"period_start": min(start, end), "period_end": end}

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            raise forms.ValidationError("The period must start on or before its end.")
        return data


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


class SendMoneyForm(forms.Form):
    """The last step before money leaves: the approver types the current code of their authenticator app."""

    totp_code = forms.CharField(
        label="Code from your authenticator app", max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}),
        help_text="Sending money needs a fresh code, even though you are signed in.",
    )


class DifferenceNoteForm(forms.Form):
    OUTCOMES = [("explain", "Explain (keep it open)"), ("resolve", "Resolve (close it)")]

    outcome = forms.ChoiceField(choices=OUTCOMES, widget=forms.RadioSelect, initial="explain")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                           help_text="What happened, and what was done about it. Kept in the audit log.")


class ReleaseReversalForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                           help_text="Why this reversed amount may be paid again.")
