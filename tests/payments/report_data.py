"""Small fixed data with hand-computed figures, shared by the report tests.

Program "Lumen" (USD), period 1 Dec 2025 – 31 Jan 2026 (it crosses a month end and a year end).

Ana (cohort spring): 2 h on 20 Nov 2025 (before the period: opening balance $40.00), 3 h × $20 on 15 Dec,
a $15 feedback on 31 Dec, a $50 stipend on 1 Jan 2026, a −$5 adjustment on 31 Jan, 1 h on 1 Feb (after
the period); paid $40 by the December run (debited 5 Jan 2026, paid 6 Jan 2026).
  → hours 3.00, time $60, feedback $15 (1), stipend $50, adjustments −$5, earned $120, paid $40,
    opening $40, closing $120.
Ben (cohort autumn): 1.5 h × $20 on 10 Dec; his December payout of $30 failed and was credited back.
  → hours 1.50, time $30, earned $30, paid $0, closing $30.
Cy (paused, cohort spring): nothing.
Totals: hours 4.50, time $90, feedback $15, stipend $50, adjustments −$5, earned $150, paid $40,
opening $40, closing $150.
"""
from datetime import date, datetime, time

from django.utils import timezone

from payments.models import Payout
from testers.models import Membership
from tests import factories
from tests.payments import report_factories as rf

PERIOD = {"start": "2025-12-01", "end": "2026-01-31"}


def aware(d: date, hour=12):
    return timezone.make_aware(datetime.combine(d, time(hour)))


def build_lumen():
    program = factories.ProgramFactory(name="Lumen", slug="lumen", currency="USD")
    card = rf.RateCardFactory(program=program, version=1, effective_date=date(2020, 1, 1), hourly_rate_minor=2000,
                              fair_pay_floor_hourly_minor=1500)
    card2 = rf.RateCardFactory(program=program, version=2, effective_date=date(2026, 1, 15),
                               hourly_rate_minor=2000, fair_pay_floor_hourly_minor=2500)
    ana = factories.MembershipFactory(program=program, cohort="spring", artist__display_name="Ana",
                                      artist__legal_name="Ana Lima")
    ben = factories.MembershipFactory(program=program, cohort="autumn", artist__display_name="Ben",
                                      artist__legal_name="Benedict Okafor")
    cy = factories.MembershipFactory(program=program, cohort="spring", artist__display_name="Cy",
                                     status=Membership.Status.PAUSED)
    rf.time_entry(ana, date(2025, 11, 20), 2, 2000, card=card)
    rf.time_entry(ana, date(2025, 12, 15), 3, 2000, card=card)
    rf.feedback_entry(ana, date(2025, 12, 31), 1500, card=card)
    rf.stipend_entry(ana, date(2026, 1, 1), 5000)
    rf.adjustment_entry(ana, date(2026, 1, 31), -500, reason="Double-counted hour")
    rf.time_entry(ana, date(2026, 2, 1), 1, 2000, card=card2)
    rf.time_entry(ben, date(2025, 12, 10), "1.5", 2000, card=card)
    run = rf.PayoutRunFactory(program=program, period_start=date(2025, 12, 1), period_end=date(2025, 12, 31))
    rf.paid_payout(run, ana, 4000, work_date=date(2026, 1, 5), paid_at=aware(date(2026, 1, 6)),
                   transfer_id="tr_ana_dec")
    rf.paid_payout(run, ben, 3000, status=Payout.Status.FAILED, work_date=date(2026, 1, 5))
    return {"program": program, "ana": ana, "ben": ben, "cy": cy, "card": card, "card2": card2, "run": run}
