"""Reads about programs, terms and memberships that several apps share."""
from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from atelier.errors import DomainError
from atelier.search import matching
from testers.models import (
    Clause, Feedback, FeedbackAttachment, Membership, Milestone, StaffRole, TermsAcceptance, TermsVersion, TimeLog,
)


def current_terms(program) -> TermsVersion | None:
    """The newest published terms version of a program already in effect (the one artists must have accepted).

    A version published with a future effective date becomes current on that date.
    """
    return (
        TermsVersion.objects.filter(program=program, status=TermsVersion.Status.PUBLISHED)
        .filter(Q(effective_date__isnull=True) | Q(effective_date__lte=timezone.localdate()))
        .order_by("-number")
        .first()
    )


def latest_acceptance(membership) -> TermsAcceptance | None:
    return (
        TermsAcceptance.objects.filter(membership=membership)
        .select_related("terms_version")
        .order_by("-terms_version__number")
        .first()
    )


def accepted_version(membership) -> TermsVersion | None:
    """The newest terms version this artist accepted (what their share requests are judged by)."""
    acceptance = latest_acceptance(membership)
    return acceptance.terms_version if acceptance else None


def terms_history(membership) -> list[dict]:
    """Every published version of the membership's program, newest first, each with the artist's acceptance of it
    (or None): what the artist's terms history page lists. Two queries."""
    acceptances = {a.terms_version_id: a for a in TermsAcceptance.objects.filter(membership=membership)}
    versions = TermsVersion.objects.filter(program_id=membership.program_id,
                                           status=TermsVersion.Status.PUBLISHED).order_by("-number")
    return [{"version": v, "acceptance": acceptances.get(v.pk)} for v in versions]


def has_accepted_current(membership) -> bool:
    current = current_terms(membership.program)
    if current is None:
        return True  # nothing to accept yet
    return TermsAcceptance.objects.filter(membership=membership, terms_version=current).exists()


def require_participation(membership: Membership) -> None:
    """Raise DomainError unless the artist may use the program now (send feedback, log time, ask to share)."""
    if membership.status == Membership.Status.PAUSED:
        raise DomainError("Your membership of this program is paused, so you cannot do this now.")
    if membership.status != Membership.Status.ACTIVE:
        raise DomainError("You are no longer an active member of this program.")
    if not has_accepted_current(membership):
        raise DomainError("Please accept the program's current terms first.")


# --- lists, shaped for their pages (a bounded number of queries whatever their length) ------------

def feedback_for_artist(user):
    return (
        Feedback.objects.filter(membership__artist__user=user)
        .select_related("membership__program")
        .order_by("-updated_at", "-id")
    )


def feedback_queue(program):
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    # A correlated subquery, not JOIN + GROUP BY: only the page's rows are counted (bench/request_rate.py).
    attachments = (FeedbackAttachment.objects.filter(feedback=OuterRef("pk")).order_by().values("feedback")
                   .annotate(n=Count("pk")).values("n"))
    return (
        Feedback.objects.filter(membership__program=program)
        .select_related("membership__artist", "duplicate_of")
        .annotate(attachment_count=Coalesce(Subquery(attachments), 0))
        .order_by("-created_at", "-id")
    )


def changelog(program):
    """The public changelog of a program: shipped items of the artists who agreed to be credited (their profile's
    choice), newest first, with only what the page shows (title, kind, build, day, the artist's credit)."""
    return (Feedback.objects.filter(membership__program=program, status=Feedback.Status.SHIPPED,
                                    shipped_at__isnull=False, membership__artist__changelog_credit=True)
            .select_related("membership__artist")
            .only("pk", "title", "kind", "shipped_in", "shipped_at", "membership__artist__display_name",
                  "membership__artist__credit_line")
            .order_by("-shipped_at", "-pk"))


def feedback_events(feedback):
    return feedback.events.select_related("author__artist_profile").order_by("created_at", "id")


def time_logs_for_artist(user):
    return TimeLog.objects.filter(membership__artist__user=user).select_related("membership__program").order_by(
        "-date", "-id"
    )


def time_queue(program):
    return (
        TimeLog.objects.filter(membership__program=program)
        .select_related("membership__artist", "decided_by")
        .order_by("-date", "-id")
    )


def memberships_of_program(program):
    from django.db.models import Count, OuterRef, Subquery

    newest_acceptance = (
        TermsAcceptance.objects.filter(membership=OuterRef("pk")).order_by("-terms_version__number")
        .values("terms_version__number")[:1]
    )
    return (
        Membership.objects.filter(program=program)
        .select_related("artist__user")
        .annotate(
            accepted_number=Subquery(newest_acceptance),
            feedback_count=Subquery(
                Feedback.objects.filter(membership=OuterRef("pk")).values("membership")
                .annotate(n=Count("pk")).values("n")[:1]
            ),
            pending_logs=Subquery(
                TimeLog.objects.filter(membership=OuterRef("pk"), status=TimeLog.Status.PENDING)
                .values("membership").annotate(n=Count("pk")).values("n")[:1]
            ),
        )
        .order_by("artist__display_name", "pk")
    )


def artist_memberships(user, *, include_removed=False):
    qs = Membership.objects.filter(artist__user=user).select_related("program", "artist")
    if not include_removed:
        qs = qs.exclude(status=Membership.Status.REMOVED)
    return qs.order_by("program__name")


def accepted_versions(memberships) -> dict:
    """{membership_id: newest accepted TermsVersion (with its clauses prefetched)} in two queries."""
    from django.db.models import Prefetch

    acceptances = (
        TermsAcceptance.objects.filter(membership__in=list(memberships))
        .select_related("terms_version")
        .prefetch_related(Prefetch("terms_version__clauses",
                                   queryset=Clause.objects.select_related("ends_at_milestone").order_by("position")))
        .order_by("membership_id", "-terms_version__number")
    )
    result = {}
    for acceptance in acceptances:
        result.setdefault(acceptance.membership_id, acceptance.terms_version)
    return result


def current_terms_by_program(program_ids) -> dict:
    """{program_id: current TermsVersion} for several programs in one query."""
    versions = (
        TermsVersion.objects.filter(program_id__in=list(program_ids), status=TermsVersion.Status.PUBLISHED)
        .filter(Q(effective_date__isnull=True) | Q(effective_date__lte=timezone.localdate()))
        .order_by("program_id", "-number")
    )
    result = {}
    for version in versions:
        result.setdefault(version.program_id, version)
    return result


def program_team(program):
    """The program's staff roles, one row per role, with the person and whether they set up TOTP (one query)."""
    totp = Authenticator.objects.filter(user=OuterRef("user"), type=Authenticator.Type.TOTP)
    return (StaffRole.objects.filter(program=program).select_related("user")
            .annotate(has_totp=Exists(totp)).order_by("user__email", "role", "pk"))


ARTIST_SEARCH_LIMIT = 20


def artist_search(program, q: str, *, by_email: bool):
    """At most 20 memberships of the program whose artist's name (or, for staff who may see addresses, e-mail)
    contains `q`: the autocomplete that replaces selects listing every artist."""
    fields = ("artist__display_name", "artist__user__email") if by_email else ("artist__display_name",)
    if not q:
        return Membership.objects.none()
    return (matching(Membership.objects.filter(program=program), q, *fields)
            .select_related("artist__user").order_by("artist__display_name", "pk")[:ARTIST_SEARCH_LIMIT])


# --- what can I share? ----------------------------------------------------------------------------

def clause_share(clause: Clause) -> dict:
    """One clause as "What can I share?" shows it (and the API's JSON): its class, whether it is free to share
    now, and its end — `ends_on` (a date) or `ends_at_milestone` (the milestone's name), `ended_at` once it came
    (a moment), and `end_text` in words (“until 1 Mar 2027”, “until public launch is announced”)."""
    milestone = clause.ends_at_milestone if clause.ends_at_milestone_id else None
    return {
        "clause": clause, "position": clause.position, "key": clause.key, "title": clause.title,
        "text": clause.text, "examples": clause.examples, "klass": clause.klass,
        "klass_label": clause.get_klass_display(), "free_to_share": clause.is_free_to_share,
        "ends_on": clause.ends_on, "ends_at_milestone": milestone.name if milestone else None,
        "ended_at": clause.ended_at, "end_text": clause.end_text(),
    }


def what_can_i_share(memberships) -> list[dict]:
    """"What can I share?" for these memberships (the portal's page and the REST API): per membership, the version
    the artist accepted and its clauses, each as `clause_share` (with its end), in three columns by what the artist
    may do now — an ended clause is in "free to share", whatever its class was — and the newer current version if
    there is one to accept. A fixed number of queries whatever the number of programs and clauses.

    Each section: {"membership", "program", "version" (None before any acceptance), "newer" (a current version
    replacing the accepted one, or None), "clauses": [clause_share...], "columns": [{"klass", "label",
    "clauses": [clause_share...]}]}."""
    memberships = list(memberships)
    accepted = accepted_versions(memberships)
    current = current_terms_by_program({m.program_id for m in memberships})
    sections = []
    for membership in memberships:
        version = accepted.get(membership.pk)
        clauses = [clause_share(c) for c in version.clauses.all()] if version else []
        columns = []
        for klass, label in Clause.Klass.choices:
            if klass == Clause.Klass.FREE_TO_SHARE:
                shown = [c for c in clauses if c["free_to_share"]]
            else:
                shown = [c for c in clauses if c["klass"] == klass and not c["free_to_share"]]
            columns.append({"klass": klass, "label": label, "clauses": shown})
        latest = current.get(membership.program_id)
        sections.append({"membership": membership, "program": membership.program, "version": version,
                         "clauses": clauses, "columns": columns,
                         "newer": latest if latest and version and latest.number > version.number else None})
    return sections


def program_milestones(program):
    """The program's milestones for the staff page: who created and announced each, and how many clauses of
    published terms end at it (one query a page)."""
    from django.db.models import Count

    return (Milestone.objects.filter(program=program).select_related("created_by", "announced_by")
            .annotate(clause_count=Count("clauses", filter=Q(clauses__terms_version__status="published")))
            .order_by("status", "-created_at", "-pk"))
