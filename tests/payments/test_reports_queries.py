"""Every report runs a bounded number of SQL queries, whatever the number of rows (10 vs 200 artists)."""
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from testers.models import StaffRole
from tests import factories
from tests.payments import report_factories as rf

pytestmark = pytest.mark.django_db

PARAMS = {"start": "2025-12-01", "end": "2026-01-31", "year": "2025"}
CEILING = 25


def urls(slug, membership_id):
    pages = ["reports_overview", "reports_earnings", "reports_payouts", "reports_year_end", "reports_fair_pay",
             "reports_dashboard"]
    out = [reverse(f"payments:{name}", args=[slug]) for name in pages]
    out += [reverse("payments:reports_export", args=[slug, report, fmt])
            for report in ("earnings", "sources", "payouts", "runs", "ledger", "year-end") for fmt in ("csv", "xlsx")]
    out.append(reverse("payments:reports_staff_statement", args=[slug, membership_id]))
    return out


def count_queries(client, url):
    # Each page is measured computed, from an empty cache: the rows below are inserted directly (no action empties
    # the page cache), and pages share cached ledger figures (which page warms them must not matter).
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, PARAMS)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)  # the export's queries run while it streams
    return len(ctx.captured_queries)


def test_report_query_counts_do_not_grow_with_rows(client, django_assert_max_num_queries):
    program = factories.ProgramFactory(slug="sized", currency="USD")
    rf.RateCardFactory(program=program, fair_pay_floor_hourly_minor=2500)
    user = factories.staff_user(program, "manager")
    StaffRole.objects.create(user=user, program=program, role=StaffRole.Role.FINANCE)
    first = rf.bulk_members(program, 10, prefix="first")
    rf.bulk_activity(program, first)
    one = first[0]
    for day in range(1, 10):
        rf.feedback_entry(one, date(2025, 12, day), 100)
    client.force_login(user)
    with_10 = {url: count_queries(client, url) for url in urls(program.slug, one.pk)}

    more = rf.bulk_members(program, 190, prefix="more")
    run = rf.bulk_activity(program, more, on=date(2026, 1, 10), run_period=(date(2026, 1, 1), date(2026, 1, 31)))
    assert run.payouts.count() == 190
    for day in range(1, 31):
        for month in (12, 1):
            rf.feedback_entry(one, date(2025 if month == 12 else 2026, month, day), 100)
    for url, expected in with_10.items():
        assert expected <= CEILING, f"{url}: {expected} queries"
        cache.clear()
        with django_assert_max_num_queries(expected):
            response = client.get(url, PARAMS)
            if response.streaming:
                b"".join(response.streaming_content)
