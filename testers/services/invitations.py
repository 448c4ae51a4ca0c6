"""Invitations: the only way into Atelier for an artist."""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from atelier import audit
from atelier.permissions import forget_roles
from testers.models import ArtistProfile, Invitation, Membership

from . import DomainError

INVITATION_VALID_FOR = timedelta(days=14)


class InvitationUnusable(DomainError):
    def __init__(self, invitation: Invitation | None):
        self.invitation = invitation
        if invitation is None:
            reason = "This invitation link is not valid. Check that you copied the whole link."
        elif invitation.status == Invitation.Status.ACCEPTED:
            reason = "This invitation has already been used. Sign in with the account that accepted it."
        elif invitation.status == Invitation.Status.REVOKED:
            reason = "This invitation was withdrawn by the program. Ask the program manager for a new one."
        else:
            reason = "This invitation has expired. Ask the program manager to send it again."
        super().__init__(reason)


def find_invitation(token: str | None) -> Invitation | None:
    if not token:
        return None
    return Invitation.objects.select_related("program").filter(token=token).first()


def find_usable_invitation(token: str | None) -> Invitation | None:
    invitation = find_invitation(token)
    return invitation if invitation is not None and invitation.is_usable else None


def check_usable(token: str | None) -> Invitation:
    invitation = find_invitation(token)
    if invitation is None or not invitation.is_usable:
        raise InvitationUnusable(invitation)
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user) -> Membership:
    """Join `user` to the invitation's program (creating their artist profile), once and only once."""
    invitation = Invitation.objects.select_for_update().select_related("program").filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        raise InvitationUnusable(invitation)
    profile, _ = ArtistProfile.objects.get_or_create(
        user=user,
        defaults={"display_name": invitation.name or user.get_full_name() or user.email.split("@")[0]},
    )
    membership, created = Membership.objects.get_or_create(
        program=invitation.program,
        artist=profile,
        defaults={"status": Membership.Status.ACTIVE, "cohort": invitation.cohort},
    )
    if not created and membership.status in (Membership.Status.INVITED, Membership.Status.REMOVED):
        before = membership.status
        membership.status = Membership.Status.ACTIVE
        membership.status_changed_at = timezone.now()
        membership.save(update_fields=["status", "status_changed_at"])
        audit.log(user, "testers.membership.reactivated", membership, before={"status": before},
                  after={"status": membership.status})
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit.log(user, "testers.invitation.accepted", invitation, program=invitation.program,
              membership_id=membership.pk)
    forget_roles(user)
    return membership


# --- staff side: inviting, resending, revoking, importing a CSV ---------------------------------

MAX_CSV_ROWS = 1000


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _problem_with(program, email: str) -> str | None:
    """Why `email` cannot be invited to `program` now, or None."""
    if Membership.objects.filter(program=program, artist__user__email__iexact=email).exclude(
        status=Membership.Status.REMOVED
    ).exists():
        return f"{email} is already a member of {program.name}."
    if Invitation.objects.filter(program=program, email__iexact=email, status=Invitation.Status.PENDING).exists():
        return f"{email} already has a pending invitation; resend it instead."
    return None


def _schedule_email(invitation: Invitation) -> None:
    from testers.tasks import send_invitation_email

    invitation_id = invitation.pk
    transaction.on_commit(lambda: send_invitation_email.delay(invitation_id))


def _create(program, *, email, name, cohort, by) -> Invitation:
    invitation = Invitation.objects.create(
        program=program, email=email, name=name.strip(), cohort=cohort.strip(),
        expires_at=timezone.now() + INVITATION_VALID_FOR, invited_by=by,
        sent_count=1, last_sent_at=timezone.now(),
    )
    audit.log(by, "testers.invitation.created", invitation, after={"email": email, "cohort": invitation.cohort})
    _schedule_email(invitation)
    return invitation


@transaction.atomic
def invite_artist(*, program, email: str, name: str = "", cohort: str = "", by) -> Invitation:
    """Invite one person by e-mail; the e-mail goes out once the invitation is saved."""
    email = _normalise_email(email)
    problem = _problem_with(program, email)
    if problem:
        raise DomainError(problem)
    return _create(program, email=email, name=name, cohort=cohort, by=by)


@transaction.atomic
def resend_invitation(*, invitation: Invitation, by) -> Invitation:
    """Send a pending (or expired) invitation again with a fresh link; the old link stops working."""
    from testers.models import new_invitation_token

    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError(f"This invitation was {invitation.get_status_display().lower()}; it cannot be resent.")
    invitation.token = new_invitation_token()
    invitation.expires_at = timezone.now() + INVITATION_VALID_FOR
    invitation.sent_count += 1
    invitation.last_sent_at = timezone.now()
    invitation.save(update_fields=["token", "expires_at", "sent_count", "last_sent_at"])
    audit.log(by, "testers.invitation.resent", invitation, sent_count=invitation.sent_count)
    _schedule_email(invitation)
    return invitation


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError(f"This invitation was already {invitation.get_status_display().lower()}.")
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])
    audit.log(by, "testers.invitation.revoked", invitation, before={"status": "pending"}, after={"status": "revoked"})
    return invitation


class CsvRejected(DomainError):
    """A CSV with bad rows: nothing was imported. `errors` is a list of (line number, message)."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in the file; nothing was imported. Fix them and upload it again.")


def parse_invitation_csv(program, data: bytes) -> list[dict]:
    """Read `name,email[,cohort]` rows (a header line is optional); raise CsvRejected listing every bad line."""
    import csv
    import io

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRejected([(1, "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")])
    rows, errors, seen = [], [], {}
    reader = csv.reader(io.StringIO(text))
    try:
        lines = list(reader)
    except csv.Error as error:
        raise CsvRejected([(reader.line_num, f"This line cannot be read as CSV ({error}).")])
    for number, cells in enumerate(lines, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue  # blank lines are harmless
        if number == 1 and len(cells) >= 2 and cells[1].lower() in ("email", "e-mail"):
            continue  # the header
        if len(cells) < 2 or len(cells) > 3:
            errors.append((number, f"Expected 2 or 3 columns (name, e-mail, optional cohort), found {len(cells)}."))
            continue
        name, email = cells[0], _normalise_email(cells[1])
        cohort = cells[2] if len(cells) == 3 else ""
        try:
            validate_email(email)
        except ValidationError:
            errors.append((number, f"“{cells[1]}” is not a valid e-mail address."))
            continue
        if len(name) > 120:
            errors.append((number, "The name is longer than 120 characters."))
            continue
        if len(cohort) > 60:
            errors.append((number, "The cohort is longer than 60 characters."))
            continue
        if email in seen:
            errors.append((number, f"{email} is already on line {seen[email]}."))
            continue
        seen[email] = number
        problem = _problem_with(program, email)
        if problem:
            errors.append((number, problem))
            continue
        rows.append({"line": number, "name": name, "email": email, "cohort": cohort})
    if len(rows) + len(errors) > MAX_CSV_ROWS:
        raise CsvRejected([(MAX_CSV_ROWS + 1, f"The file has more than {MAX_CSV_ROWS} rows; split it.")])
    if errors:
        raise CsvRejected(errors)
    if not rows:
        raise CsvRejected([(1, "The file has no rows to import.")])
    return rows


@transaction.atomic
def import_invitations(*, program, data: bytes, by) -> list[Invitation]:
    """All or nothing: a file with any bad row imports nothing and reports every bad row by line number."""
    rows = parse_invitation_csv(program, data)
    invitations = [_create(program, email=row["email"], name=row["name"], cohort=row["cohort"], by=by) for row in rows]
    audit.log(by, "testers.invitation.imported", None, program=program, count=len(invitations))
    return invitations


def invitation_link(invitation: Invitation) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse("testers:invitation", args=[invitation.token])


def send_invitation_email_now(invitation: Invitation) -> bool:
    """Send the invitation e-mail if the invitation is still pending. Returns whether a mail went out."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    if invitation.status != Invitation.Status.PENDING:
        return False
    context = {"invitation": invitation, "link": invitation_link(invitation), "program": invitation.program}
    subject = f"[Atelier] You're invited to {invitation.program.name}"
    body = render_to_string("testers/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])
    return True
