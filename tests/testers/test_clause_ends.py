"""Confidentiality that ends (issue 16, point 2): a clause's end (a day, or a milestone a manager announces), the
beat task and the announcement that end clauses, what "What can I share?" shows before and after, and the drafting
rules for ends. PostgreSQL (the constraints)."""
import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.display import format_day
from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from testers import actions, selectors
from testers.models import Clause, Milestone, TermsVersion
from testers.services import milestones as milestone_services
from testers.services import terms as terms_services
from testers.tasks import end_clauses
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days(n):
    return TODAY() + datetime.timedelta(days=n)


def confidential(version) -> Clause:
    return version.clauses.get(klass=Clause.Klass.CONFIDENTIAL)


def ending(version, **end) -> Clause:
    """The version's confidential clause, given an end (set as drafting would have: before publication)."""
    clause = confidential(version)
    Clause.objects.filter(pk=clause.pk).update(**end)
    clause.refresh_from_db()
    return clause


def ended_entries(clause):
    return AuditLogEntry.objects.filter(action="testers.clause.ended", target_id=str(clause.pk))


# --- a day ---------------------------------------------------------------------------------------------------

def test_a_clause_ends_on_its_day_when_the_beat_task_runs_and_only_once(terms, participant):
    clause = ending(terms, ends_on=days(1))
    assert end_clauses() == 0  # not yet
    assert Clause.objects.get(pk=clause.pk).ended_at is None

    Clause.objects.filter(pk=clause.pk).update(ends_on=TODAY())  # its day came
    assert end_clauses() == 1
    assert end_clauses() == 0  # run twice: nothing more
    clause.refresh_from_db()
    assert clause.ended_at is not None and clause.is_free_to_share
    [entry] = ended_entries(clause)
    assert entry.actor is None and entry.program_id == terms.program_id
    assert entry.data["clause"] == str(clause) and entry.data["end"] == f"until {format_day(TODAY())}"


def test_a_clause_of_draft_terms_is_never_ended_by_the_task(program):
    draft = factories.TermsVersionFactory(program=program, status=TermsVersion.Status.DRAFT, published_at=None,
                                          effective_date=None)
    clause = ending(draft, ends_on=TODAY())
    assert end_clauses() == 0
    assert Clause.objects.get(pk=clause.pk).ended_at is None
    refusal = actions.EndClause(SYSTEM, clause).check()
    assert refusal.kind == "state"


def test_nobody_but_the_system_ends_a_clause(terms, manager):
    clause = ending(terms, ends_on=TODAY())
    with pytest.raises(ActionRefused):
        actions.EndClause(manager, clause).run()
    assert Clause.objects.get(pk=clause.pk).ended_at is None and not ended_entries(clause).exists()


def test_an_ended_clause_leaves_the_accepted_text_as_it_was(terms, participant, program):
    """Its end is part of the hashed text; its ending changes nothing the artist accepted: no new acceptance."""
    clause = ending(terms, ends_on=TODAY())  # published with this end, which is today
    terms.text_hash = terms.compute_hash()
    terms.save(update_fields=["text_hash"])
    assert f"Confidential until {format_day(TODAY())}" in terms.canonical_text()
    assert end_clauses() == 1
    terms.refresh_from_db()
    assert Clause.objects.get(pk=clause.pk).has_ended and terms.text_hash == terms.compute_hash()
    assert selectors.has_accepted_current(participant)
    newcomer = factories.MembershipFactory(program=program)
    terms_services.accept_terms(membership=newcomer, version=terms, by=newcomer.artist.user)


# --- a milestone ---------------------------------------------------------------------------------------------

@pytest.fixture
def launch(program, manager):
    return milestone_services.create_milestone(program=program, name="public launch", by=manager)


def test_a_manager_announces_a_milestone_after_a_confirmation_page(client, program, manager, terms, launch,
                                                                 participant):
    clause = ending(terms, ends_at_milestone=launch)
    client.force_login(manager)
    url = reverse("testers:staff_milestone_announce", args=[program.slug, launch.pk])
    page = client.get(url).content.decode()
    assert "Announcing cannot be undone" in page and str(clause) in page
    assert Milestone.objects.get(pk=launch.pk).status == Milestone.Status.PLANNED  # the page changed nothing

    response = client.post(url)
    assert response.status_code == 302
    launch.refresh_from_db()
    clause.refresh_from_db()
    assert launch.status == Milestone.Status.ANNOUNCED and launch.announced_by == manager
    assert launch.announced_at is not None and clause.ended_at is not None
    [announced] = AuditLogEntry.objects.filter(action="testers.milestone.announced")
    assert announced.actor == manager and announced.data["clauses_ended"] == [clause.pk]
    assert ended_entries(clause).count() == 1
    listing = client.get(reverse("testers:staff_milestones", args=[program.slug])).content.decode()
    assert "Announced" in listing and "Announce…" not in listing


def test_a_milestone_is_announced_once(program, manager, terms, launch):
    clause = ending(terms, ends_at_milestone=launch)
    milestone_services.announce_milestone(milestone=launch, by=manager)
    with pytest.raises(ActionRefused) as refused:
        milestone_services.announce_milestone(milestone=launch, by=manager)
    assert "already announced" in str(refused.value)
    assert AuditLogEntry.objects.filter(action="testers.milestone.announced").count() == 1
    assert ended_entries(clause).count() == 1


@pytest.mark.parametrize("role", ["reviewer", "finance", "artist"])
def test_only_a_manager_creates_or_announces_milestones(client, program, terms, launch, role, artist):
    person = artist if role == "artist" else factories.staff_user(program, role)
    clause = ending(terms, ends_at_milestone=launch)
    client.force_login(person)
    announce = reverse("testers:staff_milestone_announce", args=[program.slug, launch.pk])
    assert client.post(announce).status_code == 404
    assert client.post(reverse("testers:staff_milestones", args=[program.slug]),
                       {"name": "Open beta"}).status_code == 404
    launch.refresh_from_db()
    assert launch.status == Milestone.Status.PLANNED and Clause.objects.get(pk=clause.pk).ended_at is None
    assert list(Milestone.objects.filter(program=program)) == [launch]
    assert not AuditLogEntry.objects.filter(action__startswith="testers.milestone.announced").exists()


def test_a_manager_of_another_program_cannot_announce(client, other_program, program, launch):
    client.force_login(factories.staff_user(other_program, "manager"))
    url = reverse("testers:staff_milestone_announce", args=[program.slug, launch.pk])
    assert client.post(url).status_code == 404
    assert Milestone.objects.get(pk=launch.pk).status == Milestone.Status.PLANNED


def test_the_milestones_page_creates_one_and_refuses_a_duplicate_name(client, program, manager, launch):
    client.force_login(manager)
    url = reverse("testers:staff_milestones", args=[program.slug])
    assert client.post(url, {"name": "  Open beta "}).status_code == 302
    assert Milestone.objects.filter(program=program, name="Open beta").exists()
    page = client.post(url, {"name": "PUBLIC LAUNCH"})
    assert page.status_code == 200 and "already has a milestone called" in page.content.decode()
    assert client.post(url, {"name": "x" * 500}).status_code == 200
    assert client.post(url, {"name": ""}).status_code == 200
    assert Milestone.objects.filter(program=program).count() == 2
    assert AuditLogEntry.objects.filter(action="testers.milestone.created").count() == 2  # the fixture's and this


def test_the_program_page_links_to_the_milestones(client, program, manager):
    client.force_login(manager)
    page = client.get(reverse("testers:staff_program", args=[program.slug])).content.decode()
    assert reverse("testers:staff_milestones", args=[program.slug]) in page


# --- what can I share? -----------------------------------------------------------------------------------------

def _column(page: str, clause: Clause) -> str:
    """The column (its class) the clause is shown in."""
    before = page[:page.index(f"§{clause.position} {clause.title}")]
    return before[before.rindex("share-column--"):].split('"')[0].removeprefix("share-column--")


def test_what_can_i_share_shows_each_end_ahead_and_frees_the_clause_when_it_comes(client, program, manager, terms,
                                                                                 participant, launch):
    by_day = ending(terms, ends_on=days(90))
    by_milestone = terms.clauses.get(klass=Clause.Klass.NEEDS_APPROVAL)
    Clause.objects.filter(pk=by_milestone.pk).update(ends_at_milestone=launch)
    client.force_login(participant.artist.user)
    url = reverse("testers:what_can_i_share")

    page = client.get(url).content.decode()
    assert f"Confidential until {format_day(days(90))}." in page
    assert "Needs approval until public launch is announced." in page
    assert _column(page, by_day) == "confidential" and _column(page, by_milestone) == "needs_approval"

    milestone_services.announce_milestone(milestone=launch, by=manager)
    page = client.get(url).content.decode()
    assert _column(page, by_milestone) == "free_to_share"
    assert "Was needs approval until public launch is announced: free to share since" in page
    assert _column(page, by_day) == "confidential"  # its day has not come


def test_the_selector_gives_each_clause_its_end(terms, participant, launch, manager):
    ending(terms, ends_on=days(10))
    needs = terms.clauses.get(klass=Clause.Klass.NEEDS_APPROVAL)
    Clause.objects.filter(pk=needs.pk).update(ends_at_milestone=launch)
    [section] = selectors.what_can_i_share([participant])
    shares = {c["key"]: c for c in section["clauses"]}
    assert shares["secret-features"]["ends_on"] == days(10)
    assert shares["secret-features"]["free_to_share"] is False
    assert shares["outputs"]["ends_at_milestone"] == "public launch" and shares["outputs"]["ended_at"] is None
    assert shares["participation"]["end_text"] == "" and shares["participation"]["free_to_share"] is True
    milestone_services.announce_milestone(milestone=launch, by=manager)
    [section] = selectors.what_can_i_share([participant])
    outputs = next(c for c in section["clauses"] if c["key"] == "outputs")
    assert outputs["ended_at"] is not None and outputs["free_to_share"] is True


def test_what_can_i_share_runs_a_fixed_number_of_queries(client, program, terms, participant, other_program,
                                                         django_assert_max_num_queries):
    launch = factories.MilestoneFactory(program=program)
    ending(terms, ends_at_milestone=launch)
    other = factories.TermsVersionFactory(program=other_program)
    membership = factories.MembershipFactory(program=other_program, artist=participant.artist)
    factories.accept_terms(membership, other)
    ending(other, ends_at_milestone=factories.MilestoneFactory(program=other_program))
    client.force_login(participant.artist.user)
    client.get(reverse("testers:what_can_i_share"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("testers:what_can_i_share")).status_code == 200


# --- drafting: where ends are set ------------------------------------------------------------------------------

@pytest.fixture
def draft(program, terms):
    return factories.TermsVersionFactory(program=program, number=2, status=TermsVersion.Status.DRAFT,
                                         published_at=None, effective_date=None)


def _clause_body(**overrides):
    return {"klass": "confidential", "title": "Launch visuals", "text": "Do not share the launch visuals.",
            "examples": "", "position": "9", "ends_on": "", "ends_at_milestone": "", **overrides}


def test_a_manager_gives_a_clause_its_end_when_drafting(client, program, manager, draft, launch):
    client.force_login(manager)
    url = reverse("testers:staff_clause_add", args=[program.slug, draft.number])
    assert client.post(url, _clause_body(ends_on=days(60).isoformat())).status_code == 302
    assert client.post(url, _clause_body(title="Outputs", ends_at_milestone=str(launch.pk))).status_code == 302
    by_day = draft.clauses.get(title="Launch visuals")
    by_milestone = draft.clauses.get(title="Outputs")
    assert by_day.ends_on == days(60) and by_milestone.ends_at_milestone == launch
    entry = AuditLogEntry.objects.filter(action="testers.terms.clause_added").order_by("-pk").first()
    assert entry.data["end"] == "until public launch is announced"
    page = client.get(reverse("testers:staff_terms_version", args=[program.slug, draft.number])).content.decode()
    assert f"Confidential until {format_day(days(60))}" in page

    edit = reverse("testers:staff_clause_edit", args=[program.slug, draft.number, by_day.pk])
    assert client.post(edit, _clause_body(ends_on=days(30).isoformat())).status_code == 302
    assert Clause.objects.get(pk=by_day.pk).ends_on == days(30)


@pytest.mark.parametrize("body,message", [
    ({"ends_on": "2027-03-01", "ends_at_milestone": "MILESTONE"}, "not both"),
    ({"ends_on": "YESTERDAY"}, "Choose a date between"),
    ({"ends_on": "9999-12-31"}, "Choose a date between"),
    ({"ends_on": "2026-02-30"}, "Enter a valid date"),
    ({"klass": "free_to_share", "ends_on": "NEXT_MONTH"}, "free-to-share clause has nothing to end"),
    ({"ends_at_milestone": "999999"}, "Select a valid choice"),
    ({"ends_at_milestone": "ANNOUNCED"}, "Select a valid choice"),
    ({"ends_at_milestone": "OTHER_PROGRAM"}, "Select a valid choice"),
])
def test_a_bad_end_is_refused_in_words_and_nothing_is_written(client, program, other_program, manager, draft, launch,
                                                              body, message):
    announced = factories.MilestoneFactory(program=program, status="announced", announced_at=timezone.now())
    values = {"MILESTONE": str(launch.pk), "YESTERDAY": days(-1).isoformat(), "NEXT_MONTH": days(30).isoformat(),
              "ANNOUNCED": str(announced.pk), "OTHER_PROGRAM": str(factories.MilestoneFactory(program=other_program).pk)}
    body = {k: values.get(v, v) for k, v in body.items()}
    client.force_login(manager)
    before = draft.clauses.count()
    response = client.post(reverse("testers:staff_clause_add", args=[program.slug, draft.number]), _clause_body(**body))
    assert response.status_code == 200 and message in response.content.decode()
    assert draft.clauses.count() == before
    assert not AuditLogEntry.objects.filter(action="testers.terms.clause_added").exists()


def test_the_actions_refuse_an_end_the_form_did_not_see(program, manager, draft, launch):
    """The rules are the action's: the admin, the API or a shell hear the same sentence."""
    milestone_services.announce_milestone(milestone=launch, by=manager)
    with pytest.raises(ActionRefused) as refused:
        actions.AddClause(manager, draft, klass="confidential", title="T", text="X", ends_at_milestone=launch).run()
    assert "already announced" in str(refused.value)
    clause = confidential(draft)
    with pytest.raises(ActionRefused):
        actions.ChangeClause(manager, draft, clause=clause, klass="free_to_share", ends_on=days(5)).run()
    with pytest.raises(ActionRefused):
        actions.ChangeClause(manager, draft, clause=clause, ends_on=days(5), ends_at_milestone=launch).run()
    assert not Clause.objects.filter(terms_version=draft).exclude(ends_on=None, ends_at_milestone=None).exists()


def test_the_database_refuses_an_end_on_a_free_clause_or_two_ends(terms, launch):
    free = terms.clauses.get(klass=Clause.Klass.FREE_TO_SHARE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Clause.objects.filter(pk=free.pk).update(ends_on=days(3))
    with pytest.raises(IntegrityError), transaction.atomic():
        Clause.objects.filter(pk=confidential(terms).pk).update(ends_on=days(3), ends_at_milestone=launch)


def test_publishing_refuses_a_clause_whose_end_has_come(program, manager, draft, launch):
    ending(draft, ends_at_milestone=launch)
    milestone_services.announce_milestone(milestone=launch, by=manager)
    with pytest.raises(ActionRefused) as refused:
        terms_services.publish_terms(version=draft, effective_date=TODAY(), by=manager)
    assert "that end has come" in str(refused.value)
    assert TermsVersion.objects.get(pk=draft.pk).status == TermsVersion.Status.DRAFT


def test_a_new_draft_keeps_ends_ahead_and_does_not_bring_back_an_ended_confidentiality(program, manager, terms,
                                                                                      launch):
    ended = ending(terms, ends_on=days(20))
    ahead = terms.clauses.get(klass=Clause.Klass.NEEDS_APPROVAL)
    Clause.objects.filter(pk=ahead.pk).update(ends_at_milestone=launch)
    Clause.objects.filter(pk=ended.pk).update(ends_on=TODAY())
    end_clauses()
    draft = terms_services.draft_new_version(program=program, by=manager)
    copied = {c.key: c for c in draft.clauses.all()}
    assert copied[ended.key].klass == Clause.Klass.FREE_TO_SHARE and not copied[ended.key].has_end
    assert copied[ahead.key].ends_at_milestone == launch and copied[ahead.key].klass == Clause.Klass.NEEDS_APPROVAL
