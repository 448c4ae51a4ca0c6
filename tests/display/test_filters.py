"""One way to show things: times in the viewer's zone with its abbreviation, days, durations, counts, people."""
import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

from atelier import display
from atelier.audit import describe_values
from tests import factories

MOMENT = datetime.datetime(2026, 11, 29, 23, 30, tzinfo=datetime.timezone.utc)


def render(source, **context):
    return Template(source).render(Context(context))


def test_when_shows_the_active_zone_with_its_abbreviation():
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Auckland")):
        assert render("{{ t|when }}", t=MOMENT) == "30 Nov 2026, 12:30 NZDT"
    with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
        assert render("{{ t|when }}", t=MOMENT) == "30 Nov 2026, 00:30 CET"
    assert render('{{ t|when:"UTC" }}', t=MOMENT) == "29 Nov 2026, 23:30 UTC"


def test_day_of_a_moment_is_the_viewers_day():
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Auckland")):
        assert render("{{ t|day }}", t=MOMENT) == "30 Nov 2026"
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert render("{{ t|day }}", t=MOMENT) == "29 Nov 2026"
    assert render("{{ d|day }}", d=datetime.date(2026, 3, 7)) == "7 Mar 2026"
    assert render("{{ d|day|default:'—' }}", d=None) == "—"


def test_iso_is_for_machines_and_always_utc():
    assert render("{{ d|iso }}", d=datetime.date(2026, 3, 7)) == "2026-03-07"
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Auckland")):
        assert render("{{ t|iso }}", t=MOMENT) == "2026-11-29T23:30:00+00:00"


@pytest.mark.parametrize("minutes, shown", [(0, "0 min"), (45, "45 min"), (60, "1 h 00 min"), (150, "2 h 30 min"),
                                            (1440, "24 h 00 min"), (None, "—")])
def test_duration_is_hours_and_minutes(minutes, shown):
    assert render("{{ m|duration }}", m=minutes) == shown
    assert render("{{ m|minutes_as_hours }}", m=minutes) == shown


@pytest.mark.parametrize("number, noun, shown", [
    (1, "open feedback item", "1 open feedback item"), (2, "open feedback item", "2 open feedback items"),
    (0, "payout", "0 payouts"), (1, "person,people", "1 person"), (3, "person,people", "3 people"),
    (2, "Stripe transfer", "2 Stripe transfers"), (2, "match", "2 matches"), (2, "entry", "2 entries"),
    (1234, "difference", "1,234 differences"),
])
def test_counts_have_correct_plurals(number, noun, shown):
    assert render("{{ n|count:noun }}", n=number, noun=noun) == shown


def test_plural_gives_the_noun_alone():
    assert render('{{ n|plural:"open feedback item" }}', n=1) == "open feedback item"
    assert render('{{ n|plural:"open feedback item" }}', n=5) == "open feedback items"


@pytest.mark.django_db
def test_person_is_the_display_name_else_the_full_name_else_the_email(django_assert_num_queries):
    artist = factories.MembershipFactory().artist
    staff = factories.UserFactory(first_name="Mia", last_name="Kato", email="mia@example.com")
    bare = factories.UserFactory(first_name="", last_name="", email="nobody@example.com")
    assert display.person_name(artist) == artist.display_name
    assert display.person_name(staff) == "Mia Kato"
    assert display.person_name(bare) == "nobody@example.com"
    assert display.person_name(None) == ""
    assert render('{{ u|person|default:"nobody yet" }}', u=None) == "nobody yet"
    loaded = type(artist.user).objects.select_related("artist_profile").get(pk=artist.user_id)
    with django_assert_num_queries(0):
        assert render("{{ u|person }}", u=loaded) == artist.display_name


def test_audit_values_show_money_durations_and_days():
    shown = dict(describe_values({"amount_minor": 1250, "minutes": 150, "date": "2026-11-30"}, "USD"))
    assert shown == {"amount": "$12.50", "minutes": "2 h 30 min", "date": "30 Nov 2026"}


# --- one way: no raw date formats in templates ------------------------------------------------------------------

RAW_FORMAT = re.compile(r"\|\s*(date|time)\s*:|\|\s*(date|time)\s*(\}\}|\|)")


def _templates():
    root = Path(settings.BASE_DIR)
    for folder in [root / "templates", *root.glob("*/templates")]:
        yield from (p for p in folder.rglob("*") if p.suffix in {".html", ".txt"})


def test_no_template_formats_a_date_itself():
    """Dates and times are shown through `when`, `day`, `month` or `iso` (atelier.display), never `|date:`."""
    offenders = [f"{path}:{number}: {line.strip()}" for path in _templates()
                 for number, line in enumerate(path.read_text().splitlines(), 1) if RAW_FORMAT.search(line)]
    assert not offenders, "Use |when, |day, |month or |iso instead of a raw date format:\n" + "\n".join(offenders)
