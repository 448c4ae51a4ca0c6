"""The ledger's rules: pricing by the rate card in force, one entry per source, append-only, stipends,
adjustments, balances."""
import datetime
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from atelier.errors import DomainError
from atelier.models import AuditLogEntry
from payments import selectors
from payments.models import LedgerEntry
from payments.services import ledger, rates
from payments.tasks import accrue_stipends
from testers.models import Feedback, Membership, TimeLog
from testers.signals import feedback_accepted, time_log_approved
from tests import factories
from tests.payments.factories import RateCardFactory, ledger_entry

D = datetime.date


def approved_log(membership, day, minutes=90):
    return factories.TimeLogFactory(membership=membership, date=day, minutes=minutes, status=TimeLog.Status.APPROVED)


def accepted_feedback(membership, kind=Feedback.Kind.GENERAL, severity="", when=None):
    return factories.FeedbackFactory(membership=membership, kind=kind, severity=severity,
                                     status=Feedback.Status.ACCEPTED, accepted_at=when or timezone.now())


# --- rate cards ---------------------------------------------------------------------------------------

def test_a_version_prices_work_from_its_effective_date_and_not_the_day_before(artist_membership):
    program = artist_membership.program
    RateCardFactory(program=program, version=1, effective_date=D(2026, 1, 1), hourly_rate_minor=2000)
    v2 = RateCardFactory(program=program, version=2, effective_date=D(2026, 3, 1), hourly_rate_minor=4000)

    before = ledger.record_time(approved_log(artist_membership, D(2026, 2, 28), minutes=60))
    on = ledger.record_time(approved_log(artist_membership, D(2026, 3, 1), minutes=60))
    after = ledger.record_time(approved_log(artist_membership, D(2026, 3, 2), minutes=60))

    assert (before.amount_minor, before.rate_card.version) == (2000, 1)
    assert (on.amount_minor, on.rate_card) == (4000, v2)
    assert (after.amount_minor, after.rate_card) == (4000, v2)


def test_work_before_any_rate_card_gets_no_entry_and_is_audited_and_listed_as_unpriced(artist_membership, manager):
    program = artist_membership.program
    RateCardFactory(program=program, effective_date=D(2026, 3, 1))
    log = approved_log(artist_membership, D(2026, 2, 28))

    assert ledger.record_time(log, by=manager) is None

    assert not LedgerEntry.objects.exists()
    assert AuditLogEntry.objects.filter(action="payments.ledger.unpriced", target_id=str(log.pk)).exists()
    assert list(selectors.unpriced_time_logs(program)) == [log]


def test_time_is_paid_by_the_minute_rounded_half_up_with_hours_and_rate_recorded(artist_membership):
    RateCardFactory(program=artist_membership.program, hourly_rate_minor=3333)
    entry = ledger.record_time(approved_log(artist_membership, D(2026, 5, 4), minutes=50))

    assert entry.amount_minor == 2778  # 3333 * 50 / 60 = 2777.5
    assert entry.unit_rate_minor == 3333
    assert entry.quantity == Decimal("0.83")
    assert (entry.kind, entry.source_key, entry.work_date) == ("time", f"timelog:{entry.time_log_id}", D(2026, 5, 4))


def test_pending_time_is_not_paid(artist_membership):
    RateCardFactory(program=artist_membership.program)
    log = factories.TimeLogFactory(membership=artist_membership)
    with pytest.raises(DomainError):
        ledger.record_time(log)


@pytest.mark.parametrize("kind,severity,expected", [
    ("bug", "low", 500), ("bug", "medium", 1000), ("bug", "high", 2500), ("bug", "critical", 5000),
    ("feature", "", 800), ("quality", "", 600), ("general", "", 300),
])
def test_feedback_is_paid_by_kind_and_bug_severity(artist_membership, kind, severity, expected):
    RateCardFactory(program=artist_membership.program)
    entry = ledger.record_feedback(accepted_feedback(artist_membership, kind, severity))
    assert entry.amount_minor == expected
    assert entry.kind == LedgerEntry.Kind.FEEDBACK


def test_feedback_is_priced_by_the_card_in_force_on_its_acceptance_day(artist_membership):
    program = artist_membership.program
    RateCardFactory(program=program, version=1, effective_date=D(2026, 1, 1), feedback_general_minor=300)
    RateCardFactory(program=program, version=2, effective_date=D(2026, 6, 1), feedback_general_minor=700)
    accepted = timezone.make_aware(datetime.datetime(2026, 5, 31, 12))
    entry = ledger.record_feedback(accepted_feedback(artist_membership, when=accepted))
    assert (entry.amount_minor, entry.rate_card.version, entry.work_date) == (300, 1, D(2026, 5, 31))


def test_a_zero_rate_records_nothing(artist_membership):
    RateCardFactory(program=artist_membership.program, feedback_general_minor=0)
    assert ledger.record_feedback(accepted_feedback(artist_membership)) is None
    assert not LedgerEntry.objects.exists()


def test_only_managers_create_rate_cards(program, finance, manager):
    with pytest.raises(DomainError):
        rates.create_rate_card(program, by=finance, effective_date=timezone.localdate(), hourly_rate_minor=1)
    card = rates.create_rate_card(program, by=manager, effective_date=timezone.localdate(), hourly_rate_minor=1)
    assert (card.version, card.currency, card.created_by) == (1, program.currency, manager)
    assert AuditLogEntry.objects.filter(action="payments.ratecard.created", actor=manager).exists()


def test_a_new_version_cannot_take_effect_in_the_past_but_the_first_may(program, manager):
    today = timezone.localdate()
    first = rates.create_rate_card(program, by=manager, effective_date=today - timedelta(days=30), hourly_rate_minor=1)
    with pytest.raises(DomainError, match="today or later"):
        rates.create_rate_card(program, by=manager, effective_date=today - timedelta(days=1), hourly_rate_minor=2)
    second = rates.create_rate_card(program, by=manager, effective_date=today, hourly_rate_minor=2)
    with pytest.raises(DomainError, match="already takes effect"):
        rates.create_rate_card(program, by=manager, effective_date=today, hourly_rate_minor=3)
    assert (first.version, second.version) == (1, 2)


def test_price_unpriced_credits_waiting_work_once_a_backdated_first_card_exists(artist_membership, manager):
    program = artist_membership.program
    log = approved_log(artist_membership, timezone.localdate() - timedelta(days=10))
    item = accepted_feedback(artist_membership, Feedback.Kind.FEATURE)
    time_log_approved.send(sender=TimeLog, time_log=log, by=manager)
    assert not LedgerEntry.objects.exists()

    rates.create_rate_card(program, by=manager, effective_date=timezone.localdate() - timedelta(days=60),
                           hourly_rate_minor=2000, feedback_feature_minor=800)
    assert ledger.price_unpriced(program, by=manager) == 2
    assert ledger.price_unpriced(program, by=manager) == 0
    assert sorted(LedgerEntry.objects.values_list("source_key", flat=True)) == [f"feedback:{item.pk}",
                                                                               f"timelog:{log.pk}"]


# --- one entry per source ------------------------------------------------------------------------------

def test_the_signals_price_work_in_the_same_transaction_and_a_repeat_adds_nothing(artist_membership, manager):
    RateCardFactory(program=artist_membership.program)
    log = approved_log(artist_membership, D(2026, 4, 1))
    item = accepted_feedback(artist_membership, Feedback.Kind.BUG, Feedback.Severity.CRITICAL)

    with transaction.atomic():
        for _ in range(2):
            time_log_approved.send(sender=TimeLog, time_log=log, by=manager)
            feedback_accepted.send(sender=Feedback, feedback=item, by=manager)
        assert LedgerEntry.objects.count() == 2  # visible inside the accepting transaction

    assert LedgerEntry.objects.filter(time_log=log).get().amount_minor == 4500
    assert LedgerEntry.objects.filter(feedback=item).get().amount_minor == 5000


def test_a_rolled_back_acceptance_leaves_no_entry(artist_membership, manager):
    RateCardFactory(program=artist_membership.program)
    log = approved_log(artist_membership, D(2026, 4, 1))
    with pytest.raises(RuntimeError), transaction.atomic():
        time_log_approved.send(sender=TimeLog, time_log=log, by=manager)
        raise RuntimeError("the approval failed later")
    assert not LedgerEntry.objects.exists()


def test_recording_the_same_source_twice_gives_one_row(artist_membership):
    RateCardFactory(program=artist_membership.program)
    log = approved_log(artist_membership, D(2026, 4, 1))
    first = ledger.record_time(log)
    second = ledger.record_time(log)
    assert first.pk == second.pk
    assert LedgerEntry.objects.count() == 1


def test_the_database_refuses_a_second_row_with_the_same_source_key(artist_membership):
    entry = ledger_entry(artist_membership, source_key="timelog:999")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_ledgerentry (program_id, membership_id, kind, amount_minor, currency, source_key,"
            " work_date, description, reason, created_at) VALUES (%s, %s, 'time', 100, 'USD', 'timelog:999',"
            " CURRENT_DATE, 'raw', '', now())",
            [entry.program_id, entry.membership_id],
        )
    entry2, created = ledger.record_entry(membership=artist_membership, kind="time", amount_minor=5,
                                          source_key="timelog:999", work_date=D(2026, 1, 1), description="again")
    assert (entry2.pk, created) == (entry.pk, False)
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_to_record_the_same_source_make_exactly_one_row(race):
    membership = factories.MembershipFactory()
    RateCardFactory(program=membership.program)
    log = approved_log(membership, D(2026, 4, 1))

    def worker():
        with transaction.atomic():
            return ledger.record_time(TimeLog.objects.get(pk=log.pk)).pk

    results = race(*[worker] * 4)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert LedgerEntry.objects.filter(source_key=f"timelog:{log.pk}").count() == 1
    assert len(set(results)) == 1


@pytest.mark.django_db(transaction=True)
def test_an_insert_waiting_on_an_uncommitted_duplicate_returns_the_committed_row():
    """Worker B inserts while worker A holds the same source key uncommitted: B waits on the unique index,
    gets the IntegrityError when A commits, and returns A's row inside its still-usable transaction."""
    import psycopg
    from django.conf import settings

    membership = factories.MembershipFactory()
    db = settings.DATABASES["default"]
    other = psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432,
                            password=db.get("PASSWORD") or None)
    other.execute(
        "INSERT INTO payments_ledgerentry (program_id, membership_id, kind, amount_minor, currency, source_key,"
        " work_date, description, reason, created_at) VALUES (%s, %s, 'stipend', 100, 'USD', 'stipend:race',"
        " CURRENT_DATE, 'from A', '', now())",
        [membership.program_id, membership.pk],
    )  # uncommitted
    outcome = {}

    def worker_b():
        try:
            with transaction.atomic():
                entry, created = ledger.record_entry(membership=membership, kind="stipend", amount_minor=100,
                                                     source_key="stipend:race", work_date=D(2026, 1, 31),
                                                     description="from B")
                outcome["result"] = (entry.description, created, LedgerEntry.objects.count())
        except Exception as error:  # noqa: BLE001
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=worker_b)
    thread.start()
    # Wait (bounded) until B is blocked on A's lock, then let A commit.
    deadline = timezone.now() + timedelta(seconds=20)
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432,
                         autocommit=True) as watcher:
        while timezone.now() < deadline:
            waiting = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                      " AND datname = %s", [db["NAME"]]).fetchone()[0]
            if waiting:
                break
    other.commit()
    other.close()
    thread.join(timeout=20)

    assert outcome.get("result") == ("from A", False, 1), outcome


# --- append-only ---------------------------------------------------------------------------------------

def test_python_refuses_to_update_or_delete_an_entry(artist_membership):
    entry = ledger_entry(artist_membership)
    entry.amount_minor = 1
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_minor=1)
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount_minor == 1000


@pytest.mark.parametrize("sql", [
    "UPDATE payments_ledgerentry SET amount_minor = 1 WHERE id = %s",
    "DELETE FROM payments_ledgerentry WHERE id = %s",
])
def test_the_database_refuses_raw_updates_and_deletes(artist_membership, sql):
    entry = ledger_entry(artist_membership)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).amount_minor == 1000


# --- stipends ------------------------------------------------------------------------------------------

def joined(membership, when, status=Membership.Status.ACTIVE, changed=None):
    Membership.objects.filter(pk=membership.pk).update(joined_at=when, status=status, status_changed_at=changed or when)
    membership.refresh_from_db()
    return membership


def aware(*args):
    return timezone.make_aware(datetime.datetime(*args))


def test_stipends_are_credited_for_completed_months_once_per_artist_and_month(program):
    RateCardFactory(program=program, monthly_stipend_minor=10000)
    member = joined(factories.MembershipFactory(program=program), aware(2026, 8, 15))

    assert ledger.accrue_stipends(D(2026, 11, 1)) == 3  # August, September, October
    assert ledger.accrue_stipends(D(2026, 11, 20)) == 0
    assert accrue_stipends.apply(args=["2026-11-20"]).get() == 0

    keys = sorted(LedgerEntry.objects.filter(membership=member).values_list("source_key", "work_date"))
    assert keys == [(f"stipend:{member.pk}:2026-08", D(2026, 8, 31)), (f"stipend:{member.pk}:2026-09", D(2026, 9, 30)),
                    (f"stipend:{member.pk}:2026-10", D(2026, 10, 31))]
    assert ledger.accrue_stipends(D(2026, 12, 1)) == 1  # November


def test_stipend_rules_follow_membership_on_the_last_day_of_the_month(program):
    RateCardFactory(program=program, monthly_stipend_minor=5000)
    joined_late = joined(factories.MembershipFactory(program=program), aware(2026, 11, 1, 0, 30))
    paused_before = joined(factories.MembershipFactory(program=program), aware(2026, 1, 1),
                           Membership.Status.PAUSED, aware(2026, 10, 20))
    paused_after = joined(factories.MembershipFactory(program=program), aware(2026, 1, 1),
                          Membership.Status.PAUSED, aware(2026, 11, 2))
    reactivated_after = joined(factories.MembershipFactory(program=program), aware(2026, 1, 1),
                               Membership.Status.ACTIVE, aware(2026, 11, 3))

    ledger.accrue_stipends(D(2026, 11, 5))

    october = {m for m in LedgerEntry.objects.filter(source_key__endswith=":2026-10").values_list("membership_id",
                                                                                                   flat=True)}
    assert october == {paused_after.pk}
    assert not LedgerEntry.objects.filter(membership__in=[joined_late, reactivated_after]).exists()
    assert LedgerEntry.objects.filter(membership=paused_before, source_key__endswith=":2026-09").exists()


def test_no_stipend_without_a_stipend_on_the_card_in_force_at_month_end(program):
    RateCardFactory(program=program, version=1, effective_date=D(2026, 1, 1), monthly_stipend_minor=0)
    RateCardFactory(program=program, version=2, effective_date=D(2026, 10, 31), monthly_stipend_minor=7000)
    joined(factories.MembershipFactory(program=program), aware(2026, 1, 1))
    ledger.accrue_stipends(D(2026, 11, 5))
    assert list(LedgerEntry.objects.values_list("source_key", "amount_minor", "rate_card__version")) == [
        (LedgerEntry.objects.get().source_key, 7000, 2)]
    assert LedgerEntry.objects.get().source_key.endswith(":2026-10")


# --- adjustments ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["finance", "manager"])
def test_finance_and_managers_adjust_with_a_reason_and_are_recorded_as_author(artist_membership, role):
    user = factories.staff_user(artist_membership.program, role)
    entry = ledger.record_adjustment(artist_membership, by=user, amount_minor=-1250, reason="  Duplicate payment ")
    assert (entry.amount_minor, entry.reason, entry.created_by, entry.kind) == (-1250, "Duplicate payment", user,
                                                                                 "adjustment")
    assert AuditLogEntry.objects.get(action="payments.ledger.adjusted").actor == user


def test_reviewers_artists_and_other_programs_finance_cannot_adjust(artist_membership, reviewer, other_program):
    outsider = factories.staff_user(other_program, "finance")
    for user in (reviewer, artist_membership.artist.user, outsider):
        with pytest.raises(DomainError):
            ledger.record_adjustment(artist_membership, by=user, amount_minor=100, reason="x")
    assert not LedgerEntry.objects.exists()


def test_an_adjustment_needs_a_reason_and_a_non_zero_amount(artist_membership, finance):
    for amount, reason in [(100, ""), (100, "   "), (0, "reason")]:
        with pytest.raises(DomainError):
            ledger.record_adjustment(artist_membership, by=finance, amount_minor=amount, reason=reason)


def test_the_database_refuses_an_adjustment_without_a_reason(artist_membership):
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger_entry(artist_membership, reason="")


def test_the_same_adjustment_form_sent_twice_adds_one_entry(artist_membership, finance):
    token = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    first = ledger.record_adjustment(artist_membership, by=finance, amount_minor=100, reason="Bonus", token=token)
    second = ledger.record_adjustment(artist_membership, by=finance, amount_minor=100, reason="Bonus", token=token)
    assert first.pk == second.pk
    assert LedgerEntry.objects.count() == 1


# --- balances ------------------------------------------------------------------------------------------

def test_balance_is_the_sum_of_the_membership_entries_in_its_program(program, other_program):
    member = factories.MembershipFactory(program=program)
    elsewhere = factories.MembershipFactory(program=other_program, artist=member.artist)
    ledger_entry(member, 1000)
    ledger_entry(member, -300)
    ledger_entry(elsewhere, 5000)
    assert selectors.balance_minor(member) == 700
    assert selectors.balances_for_program(program) == {member.pk: 700}


def test_payable_balance_up_to_a_date_counts_later_earnings_out_but_every_payout_in(program):
    member = factories.MembershipFactory(program=program)
    ledger_entry(member, 1000, kind="time", work_date=D(2026, 9, 30))
    ledger_entry(member, 400, kind="time", work_date=D(2026, 10, 2))       # after the period: waits
    ledger_entry(member, -1000, kind="payout", work_date=D(2026, 10, 5))    # paid after the period: counts
    ledger_entry(member, -50, work_date=D(2026, 10, 6))                     # a later debit counts
    assert selectors.balances_for_program(program, up_to=D(2026, 9, 30)) == {member.pk: -50}
    assert selectors.balance_minor(member, up_to=D(2026, 10, 31)) == 350
    assert selectors.balance_minor(member) == 350


# --- with the real testers services ------------------------------------------------------------------

def test_accepting_feedback_and_approving_time_through_testers_credits_the_artist(artist_membership, manager):
    from testers.services.feedback import accept_feedback
    from testers.services.timelogs import approve_time_log

    RateCardFactory(program=artist_membership.program, hourly_rate_minor=3000, feedback_bug_high_minor=2500)
    item = factories.FeedbackFactory(membership=artist_membership, kind=Feedback.Kind.BUG,
                                     severity=Feedback.Severity.HIGH)
    log = factories.TimeLogFactory(membership=artist_membership, minutes=120)

    accept_feedback(feedback=item, by=manager)
    approve_time_log(time_log=log, by=manager)

    assert dict(LedgerEntry.objects.values_list("source_key", "amount_minor")) == {
        f"feedback:{item.pk}": 2500, f"timelog:{log.pk}": 6000}
    assert selectors.balance_minor(artist_membership) == 8500
