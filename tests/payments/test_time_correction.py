"""A site admin corrects an approved time log (`testers.timelog.corrected`): the ledger stays right, by an
adjusting line for the difference written by payments' receiver inside the correcting transaction."""
import datetime

import pytest

from atelier.models import AuditLogEntry
from payments import selectors
from payments.models import LedgerEntry
from testers.actions import ApproveTimeLog, CorrectTimeLog
from tests import factories
from tests.payments.factories import RateCardFactory

pytestmark = [pytest.mark.django_db]

DAY = datetime.date.today() - datetime.timedelta(days=3)


@pytest.fixture
def approved_log(program, manager, artist_membership):
    RateCardFactory(program=program, hourly_rate_minor=3000)
    log = factories.TimeLogFactory(membership=artist_membership, date=DAY, minutes=90)
    ApproveTimeLog(manager, log).run()
    assert selectors.balance_minor(artist_membership) == 4500
    return log


def test_correcting_approved_minutes_adds_an_adjustment_for_the_difference(approved_log, site_admin,
                                                                           artist_membership):
    CorrectTimeLog(site_admin, approved_log, minutes=120, reason="Typo: two hours, not one and a half").run()
    assert selectors.balance_minor(artist_membership) == 6000
    adjustment = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUSTMENT, time_log=approved_log)
    assert adjustment.amount_minor == 1500 and adjustment.created_by == site_admin
    assert "Typo" in adjustment.reason
    assert AuditLogEntry.objects.filter(action="payments.ledger.time_corrected").count() == 1

    CorrectTimeLog(site_admin, approved_log, minutes=60, reason="Checked the recording: one hour").run()
    assert selectors.balance_minor(artist_membership) == 3000
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT, time_log=approved_log).count() == 2


def test_moving_the_date_onto_another_rate_card_reprices_the_time(approved_log, program, site_admin,
                                                                  artist_membership):
    RateCardFactory(program=program, version=99, effective_date=DAY + datetime.timedelta(days=1),
                    hourly_rate_minor=4000)
    CorrectTimeLog(site_admin, approved_log, date=DAY + datetime.timedelta(days=1), reason="Wrong day").run()
    assert selectors.balance_minor(artist_membership) == 6000  # 1.5 h at 40.00


def test_a_correction_that_changes_no_price_writes_no_ledger_line(approved_log, program, site_admin,
                                                                 artist_membership):
    CorrectTimeLog(site_admin, approved_log, date=DAY - datetime.timedelta(days=1), reason="Wrong day").run()
    assert selectors.balance_minor(artist_membership) == 4500
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT).exists()
