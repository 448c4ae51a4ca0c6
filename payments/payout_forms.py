"""Forms of the payout pages: a run's period, a reconciliation's period."""
import calendar
import datetime

from django import forms
from django.utils import timezone


class PeriodForm(forms.Form):
    period_start = forms.DateField(label="Period start", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="Period end", widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text="Earnings dated up to this day are paid.")

    @classmethod
    def last_month(cls):
        """The previous calendar month: the usual period of a run."""
        first_this_month = timezone.localdate().replace(day=1)
        end = first_this_month - datetime.timedelta(days=1)
        return {"period_start": end.replace(day=1), "period_end": end}

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            raise forms.ValidationError("The period must start on or before its end.")
        return data


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
