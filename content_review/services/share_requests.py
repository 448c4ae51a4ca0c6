"""Entry points for share requests: create and edit (with their files), submit, withdraw, and the artist's
showcase consent per work. Each builds and runs one action of content_review/actions, which holds the rules."""
from __future__ import annotations

from atelier.errors import DomainError
from content_review.models import ShareRequest, Work
from content_review.services.uploads import MAX_WORKS, check_uploads, clean_fields


def _actions():
    from content_review import actions  # the actions import these helpers: import them late

    return actions


def upload_action(action_cls, actor, target, *, membership, files=(), title, caption="", platforms=(),
                  platform_other="", planned_post_date=None, clause_ids=(), **params):
    """The create or edit action, with its fields cleaned and every file inspected by its content (outside the
    transaction). Raises DomainError (UploadRejected for files) for bad input; the action refuses the rest."""
    fields, clauses = clean_fields(membership, title=title, caption=caption, platforms=platforms,
                                   platform_other=platform_other, planned_post_date=planned_post_date,
                                   clause_ids=clause_ids)
    files = list(files)
    if len(files) > MAX_WORKS:
        raise DomainError(f"A share request can hold at most {MAX_WORKS} works.")
    return action_cls(actor, target, membership=membership, fields=fields, clauses=clauses,
                      checked=check_uploads(files), **params)


def create_share_request(*, membership, by, **fields) -> ShareRequest:
    """Save a draft share request with its works (title, caption, platforms, platform_other, planned_post_date,
    clause_ids, files). Files are checked first; if any is refused nothing is saved."""
    return upload_action(_actions().CreateShareRequest, by, None, membership=membership, **fields).run()


def update_share_request(share_request: ShareRequest, *, by, remove_work_ids=(), **fields) -> ShareRequest:
    """Edit a draft, or a request whose reviewer asked for changes: fields, new works, removed works."""
    return upload_action(_actions().UpdateShareRequest, by, share_request, membership=share_request.membership,
                         remove_work_ids=list(remove_work_ids), **fields).run()


def submit_share_request(share_request: ShareRequest, *, by) -> ShareRequest:
    return _actions().SubmitShareRequest(by, share_request).run()


def withdraw_share_request(share_request: ShareRequest, *, by) -> ShareRequest:
    return _actions().WithdrawShareRequest(by, share_request).run()


# --- showcase -----------------------------------------------------------------------------------

def set_showcase_consent(work: Work, *, by, consent: bool) -> Work:
    """The artist's consent (per work) to show an approved work, credited, on the program's showcase; the artist
    withdraws it (a manager removes it with a reason: `remove_from_showcase`)."""
    actions = _actions()
    action = actions.GiveShowcaseConsent if consent else actions.WithdrawShowcaseConsent
    return action(by, work).run()


def remove_from_showcase(work: Work, *, by, reason: str) -> Work:
    """A program manager takes a work off the showcase; the artist is told the reason."""
    return _actions().RemoveFromShowcase(by, work, reason=reason).run()
