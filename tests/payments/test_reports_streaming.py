"""A 100,000-line ledger export streams: complete, and without holding the rows in memory."""
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from payments.models import LedgerEntry
from testers.models import StaffRole, TimeLog
from tests import factories
from tests.payments import report_factories as rf

pytestmark = pytest.mark.django_db

ROWS = 100_000


def insert_ledger(program, members, rows):
    start = date(2025, 1, 1)
    per_member = rows // len(members)
    batch = []
    time_logs = {t.membership_id: t for t in TimeLog.objects.bulk_create(
        [TimeLog(membership=m, date=start, minutes=60, description="tested", status=TimeLog.Status.APPROVED)
         for m in members])}
    for m in members:
        for i in range(per_member):
            batch.append(LedgerEntry(
                program=program, membership=m, kind=LedgerEntry.Kind.TIME, amount_minor=1234 + (i % 7),
                currency=program.currency, source_key=f"big:{m.pk}:{i}", work_date=start + timedelta(days=i % 365),
                quantity=Decimal("1.00"), unit_rate_minor=1234 + (i % 7), description="1 h of testing",
                time_log=time_logs[m.pk],
            ))
            if len(batch) == 10_000:
                LedgerEntry.objects.bulk_create(batch)
                batch = []
    LedgerEntry.objects.bulk_create(batch)


@pytest.mark.slow
def test_100k_line_ledger_export_is_streamed_complete_and_flat_in_memory(client):
    program = factories.ProgramFactory(slug="big", currency="USD")
    user = factories.staff_user(program, StaffRole.Role.FINANCE)
    members = rf.bulk_members(program, 100)
    insert_ledger(program, members, ROWS)
    expected_total = LedgerEntry.objects.filter(program=program).values_list("amount_minor", flat=True)
    expected_total = sum(expected_total.iterator(chunk_size=10_000))
    client.force_login(user)

    response = client.get(reverse("payments:reports_export", args=["big", "ledger", "csv"]),
                          {"start": "2025-01-01", "end": "2025-12-31"})
    assert isinstance(response, StreamingHttpResponse)
    lines, total, peak_chunk, chunks = 0, Decimal(0), 0, 0
    tracemalloc.start()
    try:
        for chunk in response.streaming_content:
            for line in chunk.decode("utf-8-sig").splitlines():
                lines += 1
                if lines > 1:
                    total += Decimal(line.split(",")[10])
            peak_chunk = max(peak_chunk, len(chunk))
            chunks += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == ROWS + 1  # header + every line
    assert total == Decimal(expected_total) / 100
    # The rows themselves would weigh well over 50 MB as Python objects; streaming keeps a few chunks.
    assert peak < 15 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert chunks > 10 and peak_chunk < 70_000  # chunks of about 64 KB, never the whole file
