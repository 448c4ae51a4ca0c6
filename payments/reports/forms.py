"""Filters of the report pages: period, cohort, membership status; the year of year-end totals."""
from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone

from atelier import bounds
from payments.models import Payout
from payments.reports.selectors import Filters, Period
from testers.models import Membership

MAX_PERIOD_DAYS = 366 * 5


class DateInput(forms.DateInput):
    input_type = "date"


class PeriodForm(forms.Form):
    start = bounds.BoundedDateField(label="From", widget=DateInput)
    end = bounds.BoundedDateField(label="To", widget=DateInput)

    def __init__(self, data=None, *, default: Period | None = None, **kwargs):
        default = default or Period.default()
        self.default_period = default
        merged = {"start": default.start.isoformat(), "end": default.end.isoformat()}
        if data:
            merged.update({k: v for k, v in data.items() if v != "" or k not in ("start", "end")})
        super().__init__(merged, **kwargs)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError("The period must start before it ends.")
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError("Choose a period of at most five years.")
        return cleaned

    def period(self) -> Period:
        if self.is_valid():
            return Period(self.cleaned_data["start"], self.cleaned_data["end"])
        return self.default_period


class ReportFilterForm(PeriodForm):
    cohort = forms.ChoiceField(label="Cohort", required=False)
    status = forms.ChoiceField(label="Membership status", required=False,
                               choices=[("", "Any status"), *Membership.Status.choices])

    def __init__(self, data=None, *, cohorts: list[str], **kwargs):
        super().__init__(data, **kwargs)
        self.fields["cohort"].choices = [("", "All cohorts"), *[(c, c) for c in cohorts]]

    def filters(self) -> Filters:
        period = self.period()
        if not self.is_valid():
            return Filters(period)
        return Filters(period, cohort=self.cleaned_data.get("cohort") or "",
                       status=self.cleaned_data.get("status") or "")


class PayoutFilterForm(ReportFilterForm):
    payout_status = forms.ChoiceField(label="Payout status", required=False,
                                      choices=[("", "Any payout status"), *Payout.Status.choices])

    def filters(self) -> Filters:
        filters = super().filters()
        if self.is_valid() and self.cleaned_data.get("payout_status"):
            return Filters(filters.period, filters.cohort, filters.status, self.cleaned_data["payout_status"])
        return filters


class YearEndForm(forms.Form):
    year = forms.IntegerField(label="Calendar year", min_value=bounds.EARLIEST_DATE.year)

    def clean_year(self):
        year = self.cleaned_data["year"]
        latest = bounds.report_latest().year
        if year > latest:
            raise forms.ValidationError(f"Choose a year from {bounds.EARLIEST_DATE.year} to {latest}.")
        return year
    cohort = forms.ChoiceField(label="Cohort", required=False)
    status = forms.ChoiceField(label="Membership status", required=False,
                               choices=[("", "Any status"), *Membership.Status.choices])

    def __init__(self, data=None, *, cohorts: list[str], **kwargs):
        merged = {"year": str(timezone.localdate().year)}
        if data:
            merged.update({k: v for k, v in data.items() if v != "" or k != "year"})
        super().__init__(merged, **kwargs)
        self.fields["cohort"].choices = [("", "All cohorts"), *[(c, c) for c in cohorts]]

    def selected_year(self) -> int:
        return self.cleaned_data["year"] if self.is_valid() else timezone.localdate().year

    def filters(self) -> Filters:
        year = self.selected_year()
        period = Period(date(year, 1, 1), date(year, 12, 31))
        if not self.is_valid():
            return Filters(period)
        return Filters(period, cohort=self.cleaned_data.get("cohort") or "",
                       status=self.cleaned_data.get("status") or "")
