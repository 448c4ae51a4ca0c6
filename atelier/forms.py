"""One form renderer: every Django form renders with labels, help text and errors the same way; the money field
every form that takes an amount uses."""
from django import forms
from django.forms.renderers import TemplatesSetting

from atelier import bounds
from atelier.money import exponent, format_money, from_decimal


class AtelierFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class MoneyField(forms.DecimalField):
    """A decimal typed by a person, checked against the currency's decimal places; cleans to minor units."""

    def __init__(self, *, currency: str, signed: bool = False, max_minor: int = bounds.INT_MAX, **kwargs):
        self.currency = currency
        self.max_minor = max_minor
        places = exponent(currency)
        kwargs.setdefault("decimal_places", places)
        if not signed:
            kwargs.setdefault("min_value", 0)
        super().__init__(max_digits=14, **kwargs)
        self.widget.attrs["step"] = "1" if places == 0 else f"0.{'0' * (places - 1)}1"
        self.widget.attrs["inputmode"] = "decimal"

    def clean(self, value):
        amount = super().clean(value)
        if amount is None:
            return None
        try:
            minor = from_decimal(amount, self.currency)
        except ValueError as error:
            raise forms.ValidationError(str(error))
        if abs(minor) > self.max_minor:
            # The column's range: the program's own (smaller) maximum is the action's rule.
            raise forms.ValidationError(f"Enter an amount of at most {format_money(self.max_minor, self.currency)}.")
        return minor
