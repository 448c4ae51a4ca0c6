"""The ledger's demo data: made through the services, safe to run twice."""
import pytest

from payments import demo_ledger
from payments.models import LedgerEntry, RateCard
from testers import demo as testers_demo

pytestmark = pytest.mark.django_db


def test_ledger_demo_prices_work_adds_a_stipend_month_and_an_adjustment_and_runs_twice():
    context = testers_demo.seed()
    demo_ledger.seed(context)
    first = sorted(LedgerEntry.objects.values_list("source_key", "amount_minor"))
    context = testers_demo.seed()
    demo_ledger.seed(context)

    assert sorted(LedgerEntry.objects.values_list("source_key", "amount_minor")) == first
    program = context["program"]
    assert RateCard.objects.filter(program=program).count() == 2
    kinds = set(LedgerEntry.objects.filter(program=program).values_list("kind", flat=True))
    assert {"time", "feedback", "stipend", "adjustment", "bonus"} <= kinds
    bonus = LedgerEntry.objects.get(program=program, kind="bonus")  # one item shipped, once over two runs
    assert bonus.amount_minor == 2000 and bonus.feedback.shipped_in == "Lumen 0.9.3"
    assert all(entry.rate_card_id for entry in LedgerEntry.objects.exclude(kind="adjustment"))
