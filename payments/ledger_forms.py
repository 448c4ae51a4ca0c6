"""Forms of the ledger pages. Amounts are typed in major units ("12.50", or "1200" for JPY) and
converted to integer minor units with the program currency's exponent."""
import datetime
import uuid

from django import forms
from django.utils import timezone

from atelier import bounds
from atelier.forms import MoneyField  # noqa: F401  (the ledger forms' money field, shared with testers)
from atelier.money import to_decimal


RATE_FIELDS = [
    # (form field, model field, label, required)
    ("hourly_rate", "hourly_rate_minor", "Hourly rate for approved testing time", True),
    ("feedback_bug_low", "feedback_bug_low_minor", "Accepted bug report, low severity", True),
    ("feedback_bug_medium", "feedback_bug_medium_minor", "Accepted bug report, medium severity", True),
    ("feedback_bug_high", "feedback_bug_high_minor", "Accepted bug report, high severity", True),
    ("feedback_bug_critical", "feedback_bug_critical_minor", "Accepted bug report, critical severity", True),
    ("feedback_feature", "feedback_feature_minor", "Accepted feature request", True),
    ("feedback_quality", "feedback_quality_minor", "Accepted quality report", True),
    ("feedback_general", "feedback_general_minor", "Accepted general feedback", True),
    ("feedback_shipped_bonus", "feedback_shipped_bonus_minor",
     "Bonus when accepted feedback ships (empty or 0 for none)", False),
    ("monthly_stipend", "monthly_stipend_minor", "Monthly stipend for active members (0 for none)", True),
    ("minimum_payout", "minimum_payout_minor", "Minimum payout amount", True),
    ("fair_pay_floor_hourly", "fair_pay_floor_hourly_minor",
     "Fair-pay floor: minimum effective hourly rate (optional)", False),
]


class RateCardForm(forms.Form):
    effective_date = bounds.BoundedDateField(
        widget=forms.DateInput(attrs={"type": "date"}), latest=bounds.schedule_latest,
        help_text="Work dated on or after this day is priced by this version. Today or later, within a year.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=bounds.REASON_TEXT,
                            help_text="What changed and why (shown to staff).")

    def __init__(self, *args, currency: str, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        for name, model_field, label, required in RATE_FIELDS:
            self.fields[name] = MoneyField(currency=currency, label=f"{label} ({currency})", required=required)
            if current is not None and getattr(current, model_field) is not None:
                self.initial[name] = to_decimal(getattr(current, model_field), currency)
        self.initial.setdefault("effective_date", timezone.localdate())
        self.order_fields(["effective_date", *[f[0] for f in RATE_FIELDS], "notes"])

    def amounts(self) -> dict:
        values = {model_field: self.cleaned_data[name] for name, model_field, _, _ in RATE_FIELDS}
        if values["feedback_shipped_bonus_minor"] is None:  # optional, and 0 means no bonus
            values["feedback_shipped_bonus_minor"] = 0
        return values


class AdjustmentForm(forms.Form):
    amount = forms.DecimalField(label="Amount", max_digits=14)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=bounds.REASON_TEXT,
                             help_text="Required. The artist sees it on their earnings page.")
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"] = MoneyField(
            currency=currency, signed=True, label=f"Amount ({currency})", max_minor=bounds.BIG_AMOUNT_MAX,
            help_text="Positive credits the artist, negative debits them (e.g. -12.50).",
        )
        self.order_fields(["amount", "reason", "token"])

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("The amount cannot be zero.")
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for the adjustment.")
        return reason


class StatementForm(forms.Form):
    start = bounds.BoundedDateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = bounds.BoundedDateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def default_initial(cls):
        today = timezone.localdate()
        return {"start": today.replace(day=1), "end": today}

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError("The period must start before it ends.")
            if end - start > datetime.timedelta(days=3 * 366):
                raise forms.ValidationError("A statement covers at most three years.")
        return data
