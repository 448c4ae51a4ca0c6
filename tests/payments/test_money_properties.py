"""A stateful property test of money: random sequences of earnings, runs, Stripe refusals and ambiguous answers,
retries, cancellations, reversals, webhooks delivered twice and in any order, reconciliation, and workers that
die mid-send. After every step, for every artist, with the fake Stripe server as the truth of what moved:

- money transferred to the artist (transfers minus reversals) never exceeds what they earned;
- their ledger balance = earned − transferred − in flight − held − unannounced, where "in flight" is what
  payouts hold back that Stripe has not (yet) transferred (pending, sending, held, unknown), "held" is reversed
  money finance has not released yet, and "unannounced" is what Stripe reversed whose webhook has not arrived.

A payout paid twice, a credit-back of money Stripe did send, or a reversal paid again unseen breaks one of them.
"""
import datetime
import json

import pytest
from hypothesis import HealthCheck, settings as hypothesis_settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused, DomainError
from devtools.fake_stripe import make_event, sign_webhook_payload
from payments import actions, selectors
from payments.models import LedgerEntry, Payout, PayoutRun, ReconciliationDifference
from payments.services import payouts as services
from payments.services import reconciliation
from payments.services.ledger import held_reversals
from payments.services.webhooks import receive_webhook
from tests import factories
from tests.payments.factories import ledger_entry, payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

TODAY = datetime.date.today()
BASE = TODAY - datetime.timedelta(days=400)
STUCK = (Payout.Status.PENDING, Payout.Status.SENDING, Payout.Status.HELD, Payout.Status.UNKNOWN)
REFUSAL = {"mode": "error_before", "status": 400, "type": "invalid_request_error", "code": "account_invalid",
           "message": "Stripe refuses this transfer for good."}  # a final refusal: failed and credited back
FAULTS = [
    {"mode": "error_before", "status": 409},  # another request with the key in progress: ambiguous
    {"mode": "error_before", "status": 500},  # nothing made, but Stripe cannot say so: ambiguous
    {"mode": "error_after", "status": 500},   # made, then a 500: ambiguous
    {"mode": "error_before", "status": 429},  # nothing made: sent again later
]


def make_machine(fake, capture, settings):
    class Money(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.program = factories.ProgramFactory()
            self.finance = factories.staff_user(self.program, "finance")
            self.artists = [payable_artist(self.program, 0, fake=fake) for _ in range(3)]
            self.day = 0  # runs cover one day each, after the earnings' day
            self.events = []  # webhook deliveries not made yet (delivered later, in any order, maybe twice)
            self.earned_at = BASE + datetime.timedelta(days=1)
            self.account_ids = {m.artist.stripe_account.stripe_account_id for m in self.artists}

        # --- what happens (five rules, each drawing what exactly happens, so that Hypothesis reaches deep
        # sequences: a refused run, a later run, a retry of the first, a reversal, its webhook twice...) -------

        @precondition(lambda self: self.day < 300)
        @rule(send=st.sampled_from([True, True, True, False]),
              earnings=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 20_000)), max_size=3),
              fault=st.sampled_from([None, REFUSAL, REFUSAL, *FAULTS]))
        def a_run_is_created(self, send, earnings, fault):
            """A run, often after new earnings, often with Stripe refusing or answering ambiguously once."""
            for who, amount in earnings:
                ledger_entry(self.artists[who], amount, kind=LedgerEntry.Kind.TIME, work_date=self.earned_at)
            self._next_transfer(fault)
            self.day += 1
            end = BASE + datetime.timedelta(days=1 + self.day)
            try:
                run = services.create_payout_run(program=self.program, period_start=end, period_end=end, by=self.finance)
            except (ActionRefused, DomainError):
                return
            if send:
                self._approve(run)

        @rule(what=st.sampled_from(["retry", "retry", "cancel", "approve", "release_reversal", "resolve"]),
              data=st.data(), fault=st.sampled_from([None, None, REFUSAL, *FAULTS]))
        def finance_acts(self, what, data, fault):
            self._next_transfer(fault)
            if what == "approve":
                runs = list(PayoutRun.objects.filter(program=self.program, status=PayoutRun.Status.CREATED))
                if runs:
                    self._approve(data.draw(st.sampled_from(runs)))
            elif what in ("retry", "cancel"):
                statuses = ([Payout.Status.FAILED, Payout.Status.HELD] if what == "cancel" else
                            [Payout.Status.FAILED, Payout.Status.UNKNOWN, Payout.Status.HELD, Payout.Status.SENDING])
                payouts = list(self._payouts(status__in=statuses))
                if payouts:
                    payout = data.draw(st.sampled_from(payouts))
                    if what == "cancel":
                        self._as_finance(lambda: services.cancel_payout(payout, by=self.finance))
                    elif payout.status == Payout.Status.HELD:
                        self._as_finance(lambda: actions.ReleasePayout(self.finance, payout).run())
                    else:
                        self._as_finance(lambda: services.retry_payout(payout, by=self.finance))
            elif what == "release_reversal":
                holds = list(held_reversals(program=self.program))
                if holds:
                    hold = data.draw(st.sampled_from(holds))
                    actions.ReleaseReversal(self.finance, hold.payout, reversal_id=hold.reversal_id,
                                            note="Checked with the artist").run()
            else:
                for difference in ReconciliationDifference.objects.filter(
                        program=self.program, status__in=ReconciliationDifference.OPEN_STATUSES):
                    actions.ResolveDifference(self.finance, difference, note="Looked into it").run()

        @rule(what=st.sampled_from(["reverse", "reverse", "refuse_account", "accept_account"]),
              who=st.integers(0, 2), data=st.data(), part=st.floats(0.05, 1.0))
        def stripe_acts(self, what, who, data, part):
            if what != "reverse":
                account_id = self.artists[who].artist.stripe_account.stripe_account_id
                (fake.disable_account if what == "refuse_account" else fake.enable_account)(account_id)
                return
            paid = [t for t in fake.transfers() if t["destination"] in self.account_ids
                    and t["amount"] > t.get("amount_reversed", 0)]
            if paid:
                transfer = data.draw(st.sampled_from(paid))
                left = transfer["amount"] - transfer.get("amount_reversed", 0)
                fake.reverse_transfer(transfer["id"], amount=max(1, min(left, int(left * part))))
                transfer = next(t for t in fake.transfers() if t["id"] == transfer["id"])
                self.events.append(make_event("transfer.reversed", transfer))

        @rule(data=st.data(), twice=st.booleans())
        def a_webhook_arrives(self, data, twice):
            """Any pending delivery, in any order, sometimes twice."""
            if not self.events:
                return
            event = self.events.pop(data.draw(st.integers(0, len(self.events) - 1)))
            for _ in range(2 if twice else 1):
                payload = json.dumps(event)
                result = receive_webhook(payload.encode(), sign_webhook_payload(payload, settings.STRIPE_WEBHOOK_SECRET))
                assert result.status == 200

        @rule(what=st.sampled_from(["resume", "reconcile", "worker_dies"]), data=st.data())
        def the_system_acts(self, what, data):
            if what == "resume":  # the beat picks up runs with payouts still open
                for run in PayoutRun.objects.filter(program=self.program, status__in=services.SENDABLE_RUN_STATUSES):
                    services.send_run(run.pk)
            elif what == "reconcile":
                reconciliation.reconcile(self.program, BASE, TODAY)
            else:  # a worker claims a payout, is killed before Stripe answers, and its lease runs out
                payouts = list(self._payouts(status__in=[Payout.Status.PENDING, Payout.Status.SENDING],
                                             run__status__in=services.SENDABLE_RUN_STATUSES))
                if payouts:
                    payout = data.draw(st.sampled_from(payouts))
                    if isinstance(services._claim(payout.pk, "a-worker-that-died"), Payout):
                        Payout.objects.filter(pk=payout.pk).update(
                            lease_expires_at=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1))

        # --- what must always hold -------------------------------------------------------------------------------

        @invariant()
        def nobody_is_paid_more_than_they_earned_and_every_minor_unit_is_accounted_for(self):
            if not hasattr(self, "program"):
                return
            transfers = fake.transfers()
            by_payout = {}
            for transfer in transfers:
                payout_id = (transfer.get("metadata") or {}).get("payout_id")
                by_payout.setdefault(str(payout_id), []).append(transfer)
            for membership in self.artists:
                account_id = membership.artist.stripe_account.stripe_account_id
                earned = sum(LedgerEntry.objects.filter(membership=membership, kind=LedgerEntry.Kind.TIME)
                             .values_list("amount_minor", flat=True))
                transferred = sum(t["amount"] - t.get("amount_reversed", 0) for t in transfers
                                  if t["destination"] == account_id)
                assert transferred <= earned, f"{membership}: {transferred} transferred, {earned} earned"
                in_flight = sum(p.amount_minor for p in Payout.objects.filter(membership=membership, status__in=STUCK)
                                if str(p.pk) not in by_payout)
                held = sum(h.held_minor for h in held_reversals(membership=membership))
                # Reversals Stripe made whose webhook has not arrived yet: Atelier cannot know them yet.
                unannounced = sum(t.get("amount_reversed", 0) for t in transfers if t["destination"] == account_id) - sum(
                    LedgerEntry.objects.filter(membership=membership, kind=LedgerEntry.Kind.REVERSAL)
                    .values_list("amount_minor", flat=True))
                balance = selectors.balance_minor(membership)
                assert balance == earned - transferred - in_flight - held - unannounced, (
                    f"{membership}: balance {balance} != earned {earned} − transferred {transferred} − in flight "
                    f"{in_flight} − held {held} − reversals not announced yet {unannounced}")

        # --- helpers ------------------------------------------------------------------------------------------

        def _next_transfer(self, fault):
            fake.clear_faults()
            if fault is not None:
                fake.inject_fault(path_prefix="/v1/transfers", count=1, **fault)

        def _approve(self, run):
            approver = factories.staff_user(self.program, "finance")  # each code works once
            try:
                with capture(execute=True):
                    factories.approve(run, by=approver)
            except ActionRefused:
                pass

        def _as_finance(self, do):
            try:
                with capture(execute=True):
                    do()
            except (ActionRefused, DomainError):
                pass  # refused with a reason: nothing changed

        def _payouts(self, **filters):
            return Payout.objects.filter(run__program=self.program, **filters).select_related("run", "stripe_account")

    return Money


@pytest.mark.slow
@pytest.mark.django_db
def test_money_is_never_paid_twice_nor_lost_whatever_happens_in_whatever_order(
        fake_stripe, settings, django_capture_on_commit_callbacks):
    settings.STRIPE_MAX_ATTEMPTS = 2
    settings.STRIPE_RETRY_BACKOFF_SECONDS = 0.0
    fake_stripe.set_balance("usd", 10**12)
    machine = make_machine(fake_stripe, django_capture_on_commit_callbacks, settings)
    run_state_machine_as_test(machine, settings=hypothesis_settings(
        max_examples=60, stateful_step_count=25, deadline=None, derandomize=False, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.filter_too_much]))
