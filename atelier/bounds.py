"""The bounds of every input, in one place: text lengths, date windows, amount ranges and request sizes.

docs/input-bounds.md lists each bounded field with its bound and its message; the numbers are here. Forms use
these to refuse the shape of a value (too long, too far, too large) before anything is written; the actions
refuse what depends on the program (its own maximum amount, its terms) in their `refusal()`.
"""
from __future__ import annotations

import datetime

from django import forms
from django.db.models import CheckConstraint
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

# --- text -----------------------------------------------------------------------------------------------
#: A line: titles, names, short notes.
SHORT_TEXT = 200
#: What a tool says about itself with feedback sent through the API: its build, operating system, device.
APP_METADATA_TEXT = 100
#: A reason, a reply, a note, a description of testing time: a paragraph or two.
REASON_TEXT = 2_000
#: A caption: Instagram's own limit, the longest of the platforms artists post to.
CAPTION_TEXT = 2_200
#: A feedback body, an appeal, a decision's reason, a clause: a page at most.
LONG_TEXT = 10_000


#: The sentence of each text-length constraint, registered with the action layer (atelier.apps), so a write that
#: breaks one is refused in words even when it did not come through a form.
TEXT_LIMIT_MESSAGES: dict[str, str] = {}


def max_length_constraint(model_name: str, field: str, limit: int) -> CheckConstraint:
    """The database's copy of a TextField's max_length (Django enforces max_length on TextFields only in forms)."""
    name = f"{model_name}_{field}_max_{limit}"
    TEXT_LIMIT_MESSAGES[name] = f"The {field.replace('_', ' ')} is at most {limit:,} characters: shorten it."
    return CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=name)

# --- dates ----------------------------------------------------------------------------------------------
#: No report, statement, export or payout run starts before this day: Atelier keeps nothing older.
EARLIEST_DATE = datetime.date(2000, 1, 1)


def today() -> datetime.date:
    """Today in the active zone: the viewer's own (atelier.timezones.TimeZoneMiddleware activates it)."""
    return timezone.localdate()


def years_from(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def report_latest() -> datetime.date:
    """Reports and statements may look up to a year ahead (a period that ends at the end of next month, say)."""
    return years_from(today(), 1)


def schedule_latest() -> datetime.date:
    """Terms, rate cards, embargoes and planned posts are scheduled at most a year ahead."""
    return years_from(today(), 1)


#: A clause's confidentiality ends at most this many years ahead (a longer one is no end).
CLAUSE_END_YEARS = 5


def clause_end_latest() -> datetime.date:
    return years_from(today(), CLAUSE_END_YEARS)


def post_date_latest() -> datetime.date:
    return years_from(today(), 2)


def past_year(day: datetime.date | None = None) -> datetime.date:
    """Testing time is logged (and corrected) for the last year at most (counted back from `day`, the artist's
    own today when the caller knows the artist; else the active zone's today)."""
    return years_from(day or today(), -1)


def _resolve(bound):
    return bound() if callable(bound) else bound


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def date_window_message(earliest: datetime.date, latest: datetime.date) -> str:
    return f"Choose a date between {_day(earliest)} and {_day(latest)}."


class BoundedDateField(forms.DateField):
    """A date inside a window whose ends may move with today (callables). Years outside 1–9999 and impossible
    dates are refused by DateField itself ("Enter a valid date.")."""

    def __init__(self, *, earliest=EARLIEST_DATE, latest=report_latest, too_early: str = "", too_late: str = "",
                 **kwargs):
        self.earliest, self.latest = earliest, latest
        self.too_early, self.too_late = too_early, too_late
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        earliest, latest = _resolve(self.earliest), _resolve(self.latest)
        if value < earliest and self.too_early:
            raise forms.ValidationError(self.too_early, code="date_window")
        if value > latest and self.too_late:
            raise forms.ValidationError(self.too_late, code="date_window")
        if not earliest <= value <= latest:
            raise forms.ValidationError(date_window_message(earliest, latest), code="date_window")

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if not callable(self.earliest):
            attrs["min"] = self.earliest.isoformat()
        return attrs


# --- amounts --------------------------------------------------------------------------------------------
#: PositiveIntegerField / IntegerField: PostgreSQL's integer.
INT_MAX = 2_147_483_647
#: BigIntegerField amounts typed by a person: ten thousand billion minor units is never a real amount, and it
#: keeps sums of millions of lines far inside the column's range.
BIG_AMOUNT_MAX = 10**13
#: The default of Program.max_amount_minor: the largest single amount a program accepts (a rate, a stipend,
#: an adjustment), 50,000.00 in a two-decimal currency.
DEFAULT_PROGRAM_MAX_AMOUNT_MINOR = 5_000_000

# --- numbers a person types -----------------------------------------------------------------------------
#: An item number, a position: a PostgreSQL integer.
ID_MAX = INT_MAX

# --- request bodies -------------------------------------------------------------------------------------
MB = 1024 * 1024
