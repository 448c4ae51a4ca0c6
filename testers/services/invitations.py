"""Invitations: finding one by its link, parsing a CSV, the e-mail; and keyword-only functions running the
actions of `testers.actions.invitations`, which hold every rule."""
from __future__ import annotations

from atelier.errors import ActionRefused
from atelier.notifications import notify
from testers.actions import invitations as actions
from testers.actions.invitations import INVITATION_VALID_FOR, normalise_email, problem_with  # noqa: F401
from testers.models import Invitation, Membership

from . import DomainError


class InvitationUnusable(DomainError):
    def __init__(self, invitation: Invitation | None):
        self.invitation = invitation
        super().__init__(actions.unusable_reason(invitation))


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


def accept_invitation(*, token: str, user) -> Membership:
    """Join `user` to the invitation's program, once, and only if the invitation was sent to their address."""
    invitation = find_invitation(token)
    if invitation is None:
        raise InvitationUnusable(None)
    action = actions.AcceptInvitation(user, invitation)
    try:
        action.run()
    except ActionRefused as refused:
        if refused.kind == "state" or invitation.is_expired:
            raise InvitationUnusable(find_invitation(token)) from refused
        raise
    return action.membership


def invite_artist(*, program, email: str, name: str = "", cohort: str = "", by) -> Invitation:
    """Invite one person by e-mail; the e-mail goes out once the invitation is saved."""
    return actions.CreateInvitation(by, program=program, email=email, name=name, cohort=cohort).run()


def resend_invitation(*, invitation: Invitation, by) -> Invitation:
    """Send a pending (or expired) invitation again with a fresh link; the old link stops working."""
    return actions.ResendInvitation(by, invitation).run()


def revoke_invitation(*, invitation: Invitation, by) -> Invitation:
    return actions.RevokeInvitation(by, invitation).run()


MAX_CSV_ROWS = 1000
#: At most this many bad lines are listed; a file with more is mostly wrong, and the page stays readable.
MAX_LISTED_ERRORS = 50


#: A bad line is shown as read, cut to this length.
SHOWN_LINE = 200


class CsvRejected(DomainError):
    """A CSV with bad rows: nothing was imported. `errors` is a list of (line number, message); `lines` maps a
    line number to its content as read, so the page can show the line beside its problem."""

    def __init__(self, errors: list[tuple[int, str]], lines: dict[int, str] | None = None):
        self.errors = errors
        self.lines = lines or {}
        super().__init__(f"{len(errors)} problem(s) in the file; nothing was imported. Fix them and upload it again.")

    @property
    def rows(self) -> list[tuple[int, str, str]]:
        """(line number, content as read, message), for the page."""
        return [(number, self.lines.get(number, ""), message) for number, message in self.errors]


def _shown(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text if len(text) <= SHOWN_LINE else text[:SHOWN_LINE - 1] + "…"


def decode_csv(data: bytes) -> str:
    """The file's text. UTF-8 (with or without a BOM) first; else Windows-1252, what Excel on Windows saves as
    "CSV"; else refused, naming the first line that is neither."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as error:
            at = error.start
            number = data.count(b"\n", 0, at) + 1
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            line = data[start:end if end != -1 else len(data)].decode("utf-8", errors="replace").rstrip("\r")
            raise CsvRejected([(number, "This line is neither UTF-8 nor Windows text. Save the file as “CSV UTF-8” "
                                        "and upload it again.")], {number: _shown(line)}) from None


def parse_invitation_csv(program, data: bytes) -> list[dict]:
    """Read `name,email[,cohort]` rows (a header line is optional); raise CsvRejected listing every bad line.

    The cheap checks come first and need no query: text encoding, NUL characters, the number of rows, then each
    row's shape. Only a file that passes them all is checked against the program, in two queries for all rows."""
    import csv
    import io

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    text = decode_csv(data)
    if "\x00" in text:
        # PostgreSQL cannot store a NUL character; such a file is usually not a CSV at all (a spreadsheet, UTF-16).
        physical = text.splitlines()
        bad = [number for number, line in enumerate(physical, start=1) if "\x00" in line]
        bad = bad[:MAX_LISTED_ERRORS]
        raise CsvRejected([(number, "This line contains a NUL character: save the file as “CSV UTF-8” and "
                                    "upload it again.") for number in bad],
                          {number: _shown(physical[number - 1].replace("\x00", "")) for number in bad})
    reader = csv.reader(io.StringIO(text))
    try:
        lines = list(reader)
    except csv.Error as error:
        physical = text.splitlines()
        shown = _shown(physical[reader.line_num - 1]) if 0 < reader.line_num <= len(physical) else ""
        raise CsvRejected([(reader.line_num, f"This line cannot be read as CSV ({error}).")], {reader.line_num: shown})
    filled = [(number, [cell.strip() for cell in cells]) for number, cells in enumerate(lines, start=1)
              if any(cell.strip() for cell in cells)]  # blank lines are harmless
    if filled and filled[0][0] == 1 and len(filled[0][1]) >= 2 and filled[0][1][1].lower() in ("email", "e-mail"):
        filled = filled[1:]  # the header
    if len(filled) > MAX_CSV_ROWS:
        raise CsvRejected([(filled[MAX_CSV_ROWS][0], f"The file has more than {MAX_CSV_ROWS} rows; split it.")])
    rows, errors, seen = [], [], {}
    for number, cells in filled:
        if len(cells) < 2 or len(cells) > 3:
            errors.append((number, f"Expected 2 or 3 columns (name, e-mail, optional cohort), found {len(cells)}."))
            continue
        name, email = cells[0], normalise_email(cells[1])
        cohort = cells[2] if len(cells) == 3 else ""
        try:
            validate_email(email)
        except ValidationError:
            errors.append((number, f"“{cells[1][:254]}” is not a valid e-mail address."))
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
        rows.append({"line": number, "name": name, "email": email, "cohort": cohort})
    if not errors and rows:
        problems = actions.problems_with_many(program, seen)
        errors = [(row["line"], problems[row["email"]]) for row in rows if row["email"] in problems]
    if errors:
        errors = errors[:MAX_LISTED_ERRORS]
        raise CsvRejected(errors, {number: _shown(",".join(lines[number - 1])) for number, _ in errors})
    if not rows:
        raise CsvRejected([(1, "The file has no rows to import.")])
    return rows


def import_invitations(*, program, data: bytes, by) -> list[Invitation]:
    """All or nothing: a file with any bad row imports nothing and reports every bad row by line number."""
    return actions.ImportInvitations(by, program=program, rows=parse_invitation_csv(program, data)).run()


def invitation_link(invitation: Invitation) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse("testers:invitation", args=[invitation.token])


def queue_invitation_email(invitation: Invitation) -> bool:
    """Queue the invitation e-mail (the one mail path) if the invitation is still pending. Returns whether a mail
    was queued."""
    if invitation.status != Invitation.Status.PENDING:
        return False
    context = {"invitation": invitation, "link": invitation_link(invitation), "program": invitation.program}
    return notify(invitation.email, f"You're invited to {invitation.program.name}", "testers/email/invitation.txt",
                  context)
