"""Testing time: future days, 24 hours a day, paused memberships; approval once, rejection with a reason."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from atelier.errors import DomainError
from atelier.models import AuditLogEntry
from testers.models import Membership, TimeLog
from testers.services import timelogs as services
from testers.signals import time_log_approved
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def log(membership, minutes=60, date=None, **kwargs):
    return services.log_time(membership=membership, date=date or TODAY(), minutes=minutes,
                             description="Tested the timeline", by=membership.artist.user, **kwargs)


def test_artist_logs_time_through_the_page(client, participant):
    client.force_login(participant.artist.user)
    response = client.post(reverse("testers:timelog_list"), {
        "membership": participant.pk, "date": TODAY().isoformat(), "hours": 1, "extra_minutes": 30,
        "description": "Style presets"})
    assert response.status_code == 302
    entry = TimeLog.objects.get()
    assert entry.minutes == 90 and entry.status == "pending" and entry.membership == participant


def test_a_future_day_is_refused(client, participant):
    with pytest.raises(DomainError, match="not come yet"):
        log(participant, date=TODAY() + timedelta(days=1))
    client.force_login(participant.artist.user)
    response = client.post(reverse("testers:timelog_list"), {
        "membership": participant.pk, "date": (TODAY() + timedelta(days=1)).isoformat(), "hours": 1,
        "extra_minutes": 0, "description": "x"})
    assert "You cannot log time on a day that has not come yet." in response.content.decode()


def test_more_than_24_hours_a_day_across_programs_is_refused(participant, other_program):
    elsewhere = factories.MembershipFactory(program=other_program, artist=participant.artist)
    factories.accept_terms(elsewhere, factories.TermsVersionFactory(program=other_program))
    log(participant, minutes=20 * 60)
    with pytest.raises(DomainError, match="at most 4 h 00 min more"):
        log(elsewhere, minutes=5 * 60)
    log(elsewhere, minutes=4 * 60)
    assert TimeLog.objects.count() == 2


def test_rejected_logs_do_not_count_towards_the_day(participant, manager):
    first = log(participant, minutes=23 * 60)
    services.reject_time_log(time_log=first, reason="Too much for one day", by=manager)
    log(participant, minutes=23 * 60)


def test_approved_and_pending_logs_both_count(participant, manager):
    services.approve_time_log(time_log=log(participant, minutes=12 * 60), by=manager)
    log(participant, minutes=11 * 60)
    with pytest.raises(DomainError, match="A day has 24 hours"):
        log(participant, minutes=2 * 60)


def test_paused_membership_cannot_log_time(client, participant):
    Membership.objects.filter(pk=participant.pk).update(status=Membership.Status.PAUSED)
    participant.refresh_from_db()
    with pytest.raises(DomainError, match="paused"):
        log(participant)
    client.force_login(participant.artist.user)
    html = client.get(reverse("testers:timelog_list")).content.decode()
    assert "paused" in html


def test_approval_is_recorded_once_and_signalled_once(participant, manager):
    received = []

    def receiver(sender, time_log, by, **kwargs):
        received.append((time_log.pk, by.pk))

    time_log_approved.connect(receiver, weak=False)
    try:
        entry = log(participant)
        services.approve_time_log(time_log=entry, by=manager)
        with pytest.raises(DomainError, match="already approved"):
            services.approve_time_log(time_log=entry, by=manager)
        with pytest.raises(DomainError):
            services.reject_time_log(time_log=entry, reason="late", by=manager)
    finally:
        time_log_approved.disconnect(receiver)
    assert received == [(entry.pk, manager.pk)]
    entry.refresh_from_db()
    assert entry.status == "approved" and entry.decided_by == manager


def test_rejection_needs_a_reason_that_the_artist_sees(client, participant, manager):
    entry = log(participant)
    client.force_login(manager)
    url = reverse("testers:staff_timelog_decide", args=[participant.program.slug, entry.pk])
    client.post(url, {"decision": "reject", "reason": ""})
    entry.refresh_from_db()
    assert entry.status == "pending"
    client.post(url, {"decision": "reject", "reason": "Please describe what you tested."})
    entry.refresh_from_db()
    assert entry.status == "rejected"
    client.force_login(participant.artist.user)
    assert "Please describe what you tested." in client.get(reverse("testers:timelog_list")).content.decode()


def test_manager_approves_from_the_queue(client, participant, manager):
    entry = log(participant)
    client.force_login(manager)
    queue = client.get(reverse("testers:staff_timelogs", args=[participant.program.slug])).content.decode()
    assert "Tested the timeline" in queue  # the queue shows pending logs by default
    client.post(reverse("testers:staff_timelog_decide", args=[participant.program.slug, entry.pk]),
                {"decision": "approve"})
    entry.refresh_from_db()
    assert entry.status == "approved"
    queue = client.get(reverse("testers:staff_timelogs", args=[participant.program.slug])).content.decode()
    assert "No time logs match." in queue


@pytest.mark.parametrize("role", ["reviewer", "finance"])
def test_only_managers_approve_time(client, participant, program, role):
    entry = log(participant)
    client.force_login(factories.staff_user(program, role))
    url = reverse("testers:staff_timelog_decide", args=[program.slug, entry.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404
    entry.refresh_from_db()
    assert entry.status == "pending"


def test_artist_may_withdraw_a_pending_log_only_and_it_no_longer_counts(client, participant, manager):
    pending, decided = log(participant, minutes=12 * 60), log(participant, minutes=60)
    services.approve_time_log(time_log=decided, by=manager)
    client.force_login(participant.artist.user)
    response = client.post(reverse("testers:timelog_withdraw", args=[decided.pk]), follow=True)
    assert "Only a log waiting for approval can be withdrawn." in response.content.decode()
    client.post(reverse("testers:timelog_withdraw", args=[pending.pk]))
    pending.refresh_from_db()
    decided.refresh_from_db()
    assert (pending.status, decided.status) == ("withdrawn", "approved")
    assert AuditLogEntry.objects.filter(action="testers.timelog.withdrawn", target_id=str(pending.pk)).count() == 1
    log(participant, minutes=23 * 60)  # the withdrawn 12 hours no longer count towards the day


@pytest.mark.django_db(transaction=True)
def test_two_logs_sent_at_once_cannot_together_pass_24_hours(program, race):
    membership = factories.MembershipFactory(program=program)
    factories.accept_terms(membership, factories.TermsVersionFactory(program=program))
    results = race(lambda: log(membership, minutes=13 * 60), lambda: log(membership, minutes=13 * 60))
    assert not any(isinstance(r, Exception) and not isinstance(r, DomainError) for r in results), results
    outcomes = ["refused" if isinstance(r, DomainError) else "logged" for r in results]
    assert sorted(outcomes) == ["logged", "refused"]
    assert TimeLog.objects.filter(membership=membership).count() == 1
