"""EXPECTED: for every URL name of our apps, which roles may use it (GET, and POST when the view takes POST).

This table says what the PRODUCT SHOULD do (DESIGN.md's roles table, docs/*.md, issue 9), not what the code
does today. A URL name that Django's resolver finds without a row here fails the test, and so does a row whose
name no longer resolves: a new URL must be classified before it ships.

How a row reads
---------------
- ``get`` / ``post``: the roles that may use the URL with that method (None: the view does not take it).
  An allowed role gets a non-error answer: 2xx, or a redirect that is not to sign-in nor to TOTP set-up.
- Everyone else is refused, and how is derived, not written per row:
  anonymous → redirect to sign in (unless the row is ``public``); the staff member without TOTP (a manager of A)
  → redirect to ``mfa_activate_totp`` when the row is ``staff_data`` or A's manager may use it; any other
  signed-in role → 404.
- ``soft``: roles refused on POST *with an explanation* (a 200 page, a redirect with a message, a 403 or a
  404 are all fine, never a 5xx) — typically paused/removed artists, and people posting into someone else's
  portal form. What matters for them is asserted on the database: nothing changed.
- Every refused POST (404, sign-in, TOTP or soft) must leave the database as it was (every row of every model
  of our apps, audit log and users aside).
- ``data``: the POST body. Empty unless a row needs a *valid* body for the refusal to mean something (feedback,
  time, share requests, appeals, replies, terms acceptance, showcase consent, and the staff forms whose view
  validates the form before it asks about permission: terms summary, feedback reply, membership status,
  invitation, ledger adjustment): with an empty body a form error would hide a missing permission check.
- ``kwargs``: how the URL's arguments are filled from the world, per role (``b`` is the role's bundle: their
  own objects for A's owner, paused and removed artists, A's owner's for everyone else).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

from django.utils import timezone

from . import roles as R
from .roles import (
    A_ARTISTS, ADMIN, ALL_STAFF, ARTISTS, EVERYONE, FINANCE, MANAGER, MANAGER_FINANCE, MANAGER_REVIEWER,
    NOT_ACTIVE, SIGNED_IN, STAFF_OF_A,
)

# Outcomes
OK = "ok"  # 2xx, or a redirect not to sign-in / TOTP
NOT_FOUND = "404"
LOGIN = "login"  # redirect to the sign-in page
TOTP = "totp"  # redirect to mfa_activate_totp
SOFT = "refused-unchanged"  # any answer < 500 but sign-in/TOTP, and nothing changed
NOT_FOUND_OR_TOTP = "404|totp"  # the staff member without TOTP, where even with TOTP they could not act


@dataclass(frozen=True)
class Row:
    kwargs: Callable = None  # (world, bundle, role) -> URL kwargs
    get: frozenset | None = frozenset()
    post: frozenset | None = None
    staff_data: bool = False  # shows or changes staff-only data: staff without TOTP are sent to set it up
    public: bool = False  # anonymous visitors may use it (GET, and POST if listed)
    soft: frozenset = frozenset()  # roles refused on POST with an explanation (see module docstring)
    data: Callable = None  # (world, bundle, role) -> POST body; None: empty
    query: Callable = None  # (world) -> GET query string dict
    fixed: dict = None  # {method: status}: everyone gets exactly this (e.g. the Stripe webhook)
    why: str = ""


def expected(row: Row, role: str, method: str) -> str | int:
    if row.fixed and method in row.fixed:
        return row.fixed[method]
    allowed = row.get if method == "GET" else row.post
    if role in allowed:
        return OK
    if method == "POST" and role in row.soft:
        return SOFT
    if role == R.ANON:
        return LOGIN
    if role == R.A_NO_TOTP:
        # They are A's manager: wherever that role may act, or the row shows staff data, they are sent to set up
        # TOTP first. Elsewhere both answers refuse without showing anything: a 404, or TOTP first (a view that
        # reads the object as staff before it asks about the action).
        return TOTP if (row.staff_data or R.A_MANAGER in allowed) else NOT_FOUND_OR_TOTP
    return NOT_FOUND


# --- URL kwargs, as data -----------------------------------------------------------------------------

def _none(w, b, role):
    return {}


def _slug(w, b, role):
    return {"slug": w.program_a.slug}


def _pk(attr):
    return lambda w, b, role: {"pk": getattr(b, attr).pk}


def _staff_pk(attr):
    """A staff URL of program A on one of A's owner's objects."""
    return lambda w, b, role: {"slug": w.program_a.slug, "pk": getattr(w.own, attr).pk}


def _feedback_image(w, b, role):
    return {"pk": b.feedback.pk, "attachment_id": b.attachment.pk}


def _work_pk(attr):
    return lambda w, b, role: {"work_pk": b.work(getattr(b, attr)).pk}


def _work_file(w, b, role):
    return {"token": b.work(b.sr_approved).token, "variant": "thumbnail"}


def _showcase_file(w, b, role):
    return {"slug": w.program_a.slug, "token": w.extra["showcased_work"].token}


def _terms_number(w, b, role):
    return {"slug": w.program_a.slug, "number": w.draft_terms_a.number}


def _clause(w, b, role):
    return {"slug": w.program_a.slug, "number": w.draft_terms_a.number, "clause_id": w.extra["draft_clause"].pk}


def _invitation(w, b, role):
    return {"slug": w.program_a.slug, "pk": w.invitation.pk}


def _team_role(w, b, role):
    """A's reviewer's staff role (a manager may change or revoke it)."""
    from testers.models import StaffRole  # the world's rows are read when a row is used, after the app loads

    return {"slug": w.program_a.slug, "pk": StaffRole.objects.get(program=w.program_a, user=w.users[R.A_REVIEWER]).pk}


def _rate_card(w, b, role):
    return {"slug": w.program_a.slug, "pk": w.rate_card.pk}


def _member(w, b, role):
    return {"slug": w.program_a.slug, "membership_id": w.own.membership.pk}


def _run(w, b, role):
    return {"slug": w.program_a.slug, "run_id": w.payout_run.pk}


def _payout(w, b, role):
    return {"slug": w.program_a.slug, "run_id": w.payout_run.pk, "payout_id": w.payout.pk}


# --- POST bodies --------------------------------------------------------------------------------------

def _yesterday():
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def _feedback_body(w, b, role):
    return {"membership": w.a_membership_for(role).pk, "kind": "general", "title": "Access test feedback",
            "body": "Posted by the access test."}


def _time_body(w, b, role):
    return {"membership": w.a_membership_for(role).pk, "date": _yesterday(), "hours": 1, "extra_minutes": 0,
            "description": "Posted by the access test."}


def _reply_body(w, b, role):
    return {"message": "A reply from the access test."}


def _terms_v1(w, b, role):
    return {"slug": w.program_a.slug, "number": w.terms_a.number}


def _accept_body(w, b, role):
    return {"version": w.terms_a.pk, "agree": "yes"}


def _share_body(w, b, role):
    from tests.factories import image_upload

    return {"title": "Access test request", "caption": "caption", "platforms": ["instagram"],
            "files": [image_upload("access.png")]}


def _appeal_body(w, b, role):
    return {"message": "Please look again (access test)."}


def _consent_body(w, b, role):
    return {"consent": "yes"}


def _summary_body(w, b, role):
    return {"summary": "Changed by the access test."}


def _staff_reply_body(w, b, role):
    return {"action": "reply", "message": "A staff reply from the access test."}


def _status_body(w, b, role):
    return {"status": "paused", "note": "access test"}


def _invite_body(w, b, role):
    return {"email": "new-invitee@access.test", "name": "New Invitee"}


def _adjust_body(w, b, role):
    import uuid

    return {"amount": "5.00", "reason": "Access test adjustment", "token": str(uuid.uuid4())}


def _published_terms(w, b, role):
    return {"slug": w.program_a.slug, "number": w.terms_a.number}


def _notification(w, b, role):
    return {"pk": w.extra["notification"].pk}


def _api_token(w, b, role):
    return {"pk": w.extra["api_token"].pk}


def _api_token_body(w, b, role):
    return {"membership": w.a_membership_for(role).pk, "name": "Access test token", "scopes": ["feedback:read"],
            "expires_in": "30"}


def _settings_token(w, b, role):
    from atelier.notifications.tokens import settings_token  # test data: a token of A's owner

    return {"token": settings_token(w.users[R.A_OWNER], "contributions")}


def _period(w):
    today = timezone.localdate()
    return {"start": (today - datetime.timedelta(days=90)).isoformat(), "end": today.isoformat()}


# Who reads an artist's own records (feedback, time, profile, ledger): the artist (paused and removed too),
# the program's managers and finance (DESIGN.md), site admins.
OWN_RECORD_READERS = R.OWNERS | {R.A_MANAGER, R.A_FINANCE, R.A_RUN_CREATOR, ADMIN}
# Who reads a share request and its private files: the artist, the program's managers and reviewers.
SHARE_READERS = R.OWNERS | MANAGER_REVIEWER
# Pages about one's own memberships (earnings, statements): every artist of A, removed included (own records).
OWN_A_MEMBERSHIP = A_ARTISTS
# Artists of A still in the program (not removed): program pages (terms, review report, new request form).
A_MEMBERS_IN = frozenset({R.A_OWNER, R.A_MEMBER, R.A_PAUSED})
ACTIVE_A = frozenset({R.A_OWNER, R.A_MEMBER})
STAFF_INDEX = (ALL_STAFF - {R.A_NO_TOTP}) | {ADMIN}


EXPECTED: dict[str, Row] = {
    # --- portal/urls.py -------------------------------------------------------------------------------
    "home": Row(_none, get=EVERYONE, public=True, why="landing page for visitors, portal home for everyone else"),
    "staff_index": Row(_none, get=STAFF_INDEX, staff_data=True,
                       why="staff and site admins; artists 404 on every /staff/ URL (issue 9, point 8)"),

    "program_audit_log": Row(_slug, get=MANAGER, staff_data=True, why="audit.view: the program's managers"),

    # --- testers: the artist portal -----------------------------------------------------------------------
    "testers:invitation": Row(
        lambda w, b, role: {"token": w.invitation.token}, get=EVERYONE, post=frozenset({R.ANON}),
        soft=SIGNED_IN, public=True,
        why="the link is public; redeeming it signed in as anyone but the invitee is refused (issue 9, point 7)"),
    "testers:feedback_list": Row(_none, get=SIGNED_IN, why="one's own feedback (empty for staff)"),
    "testers:feedback_create": Row(
        _none, get=SIGNED_IN, post=ACTIVE_A, soft=SIGNED_IN - ACTIVE_A, data=_feedback_body,
        why="active artists send feedback into their own membership; anyone else gets an explanation, no row"),
    "testers:feedback_detail": Row(
        _pk("feedback"), get=OWN_RECORD_READERS, post=frozenset({R.A_OWNER, R.A_MANAGER, ADMIN}),
        soft=NOT_ACTIVE, staff_data=True, data=_reply_body,
        why="feedback.view / feedback.comment; paused/removed may read but not reply (issue 9)"),
    "testers:feedback_image": Row(_feedback_image, get=OWN_RECORD_READERS, staff_data=True),
    "testers:feedback_thumbnail": Row(_feedback_image, get=OWN_RECORD_READERS, staff_data=True),
    "testers:timelog_list": Row(
        _none, get=SIGNED_IN, post=ACTIVE_A, soft=SIGNED_IN - ACTIVE_A, data=_time_body,
        why="active artists log time into their own membership only"),
    "testers:timelog_detail": Row(_pk("timelog"), get=OWN_RECORD_READERS, staff_data=True),
    "testers:timelog_withdraw": Row(
        _pk("timelog"), get=None, post=R.OWNERS, soft=frozenset({ADMIN}),
        why="the artist withdraws their own pending log, paused/removed too (issue 9: withdraw own pending items)"),
    "testers:terms": Row(
        _slug, get=A_MEMBERS_IN, post=ACTIVE_A, soft=frozenset({R.A_PAUSED}), data=_accept_body,
        why="the artist's terms page; accepting needs an active membership (terms.accept)"),
    "testers:terms_history": Row(_slug, get=A_MEMBERS_IN,
                                 why="every published version and the artist's own acceptances (terms.view)"),
    "testers:terms_version": Row(_terms_v1, get=A_MEMBERS_IN, why="an older published version, for its artists"),
    "testers:terms_acceptance_pdf": Row(
        _terms_v1, get=A_MEMBERS_IN, why="the PDF record of one's own acceptance; a version not accepted is a 404"),
    "testers:what_can_i_share": Row(_none, get=SIGNED_IN),
    "testers:profile": Row(_none, get=ARTISTS, post=ARTISTS,
                           why="one's own artist profile; people without one get a 404"),
    "testers:profile_detail": Row(
        _pk("profile"), get=OWN_RECORD_READERS, staff_data=True,
        why="profile.view: the artist, managers and finance of their programs (shows the legal name)"),

    # --- testers: staff pages of program A ----------------------------------------------------------------
    "testers:staff_program": Row(_slug, get=STAFF_OF_A, staff_data=True),
    "testers:staff_artists": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "testers:staff_settings": Row(_slug, get=MANAGER, post=MANAGER, staff_data=True,
                                  why="program.manage: the program's managers (and site admins) change its settings"),
    "testers:staff_team": Row(_slug, get=MANAGER, post=MANAGER, staff_data=True,
                              why="staff_role.manage: the team page is the managers' (and site admins')"),
    "testers:staff_role_change": Row(_team_role, get=None, post=MANAGER, staff_data=True),
    "testers:staff_role_revoke": Row(_team_role, get=None, post=MANAGER, staff_data=True),
    "testers:staff_artist_search": Row(_slug, get=STAFF_OF_A, staff_data=True,
                                       query=lambda w: {"q": "a"},
                                       why="program.view_staff: the artist autocomplete (e-mails only for "
                                           "membership.view)"),
    "testers:staff_artist": Row(
        lambda w, b, role: {"slug": w.program_a.slug, "pk": w.own.membership.pk}, get=MANAGER_FINANCE,
        post=MANAGER, staff_data=True, data=_status_body, why="manager and finance read; the manager changes status"),
    "testers:staff_invitations": Row(_slug, get=MANAGER, post=MANAGER, staff_data=True, data=_invite_body),
    "testers:staff_invitations_import": Row(_slug, get=MANAGER, post=MANAGER, staff_data=True),
    "testers:staff_invitations_bulk": Row(_slug, get=None, post=MANAGER, staff_data=True,
                                          why="invitation.manage: confirm, then resend or revoke each"),
    "testers:staff_invitation_resend": Row(_invitation, get=None, post=MANAGER, staff_data=True),
    "testers:staff_invitation_revoke": Row(_invitation, get=None, post=MANAGER, staff_data=True),
    "testers:staff_terms": Row(_slug, get=STAFF_OF_A, staff_data=True),
    "testers:staff_terms_draft": Row(_slug, get=None, post=MANAGER, staff_data=True),
    "testers:staff_terms_version": Row(_terms_number, get=STAFF_OF_A, post=MANAGER, staff_data=True,
                                       data=_summary_body),
    "testers:staff_clause_add": Row(_terms_number, get=MANAGER, post=MANAGER, staff_data=True),
    "testers:staff_clause_edit": Row(_clause, get=MANAGER, post=MANAGER, staff_data=True),
    "testers:staff_terms_publish": Row(_terms_number, get=None, post=MANAGER, staff_data=True),
    "testers:staff_terms_acceptance": Row(_published_terms, get=MANAGER, staff_data=True,
                                          why="terms.manage: who accepted the published version, who has not"),
    "testers:staff_terms_remind": Row(_published_terms, get=None, post=MANAGER, staff_data=True,
                                      why="terms.manage (a version already in effect: refused with a message)"),
    "testers:staff_milestones": Row(_slug, get=STAFF_OF_A, post=MANAGER, staff_data=True,
                                    data=lambda w, b, role: {"name": "Open beta"},
                                    why="program.view_staff reads; milestone.manage creates"),
    "testers:staff_milestone_announce": Row(
        lambda w, b, role: {"slug": w.program_a.slug, "pk": w.extra["milestone"].pk}, get=MANAGER, post=MANAGER,
        staff_data=True, why="milestone.manage: a confirmation page, then the announcement"),
    "testers:staff_feedback": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "testers:staff_feedback_detail": Row(_staff_pk("feedback"), get=MANAGER_FINANCE, post=MANAGER, staff_data=True,
                                         data=_staff_reply_body),
    "testers:staff_timelogs": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "testers:staff_timelogs_bulk": Row(_slug, get=None, post=MANAGER, staff_data=True,
                                       why="timelog.approve: confirm, then approve or reject each"),
    "testers:staff_feedback_bulk": Row(_slug, get=None, post=MANAGER, staff_data=True,
                                       why="feedback.triage: confirm, then accept or decline each"),
    "testers:staff_timelog_decide": Row(_staff_pk("timelog"), get=None, post=MANAGER, staff_data=True),

    # --- content_review: the artist's share requests -----------------------------------------------------
    "content_review:my_requests": Row(_none, get=SIGNED_IN),
    "content_review:new_request": Row(
        _slug, get=A_ARTISTS, post=ACTIVE_A, soft=NOT_ACTIVE, data=_share_body,
        why="active artists of A ask to share; paused and removed artists are told why not; others 404"),
    "content_review:request_detail": Row(_pk("sr_submitted"), get=SHARE_READERS, staff_data=True),
    "content_review:request_works": Row(_pk("sr_submitted"), get=SHARE_READERS, staff_data=True),
    "content_review:edit_request": Row(
        _pk("sr_draft"), get=R.OWNERS, post=frozenset({R.A_OWNER}), soft=NOT_ACTIVE | {ADMIN},
        data=_share_body,
        why="share_request.edit (owner, active); paused/removed may not add works to a draft (issue 9)"),
    "content_review:submit_request": Row(_pk("sr_draft"), get=None, post=frozenset({R.A_OWNER}),
                                         soft=NOT_ACTIVE | {ADMIN}),
    "content_review:withdraw_request": Row(
        _pk("sr_submitted"), get=None, post=R.OWNERS, soft=frozenset({ADMIN}),
        why="withdrawing one's own pending request stays open to paused/removed artists"),
    "content_review:appeal_request": Row(
        _pk("sr_refused"), get=R.OWNERS, post=frozenset({R.A_OWNER}), soft=NOT_ACTIVE | {ADMIN},
        data=_appeal_body, why="share_request.appeal (owner, active); paused/removed may not appeal (issue 9)"),
    "content_review:retry_work": Row(
        _work_pk("sr_draft"), get=None, post=frozenset({R.A_OWNER, R.A_MANAGER, R.A_REVIEWER, ADMIN}),
        soft=NOT_ACTIVE, why="re-processing a work: the artist (active) or the program's reviewers/managers"),
    "content_review:showcase_consent": Row(
        _work_pk("sr_approved"), get=None, post=frozenset({R.A_OWNER}),
        soft=NOT_ACTIVE | {R.A_MANAGER, ADMIN}, data=_consent_body,
        why="only the artist consents to show their work or withdraws consent (a manager takes it down with a "
            "reason: remove_from_showcase, issue 15)"),
    "content_review:remove_from_showcase": Row(
        lambda w, b, role: {"work_pk": w.extra["showcased_work"].pk}, get=MANAGER, post=MANAGER, staff_data=True,
        data=lambda w, b, role: {"reason": "Taken down by the access test."},
        why="showcase.remove: the program's managers take a work off the showcase, with a reason (issue 15)"),
    "content_review:work_file": Row(_work_file, get=SHARE_READERS, staff_data=True),

    # --- content_review: staff and public -----------------------------------------------------------------
    "content_review:queue": Row(_slug, get=MANAGER_REVIEWER, staff_data=True),
    "content_review:review": Row(
        lambda w, b, role: {"slug": w.program_a.slug, "pk": w.own.sr_submitted.pk}, get=MANAGER_REVIEWER,
        post=MANAGER_REVIEWER, staff_data=True),
    "content_review:showcase": Row(_slug, get=EVERYONE, public=True),
    "testers:changelog": Row(_slug, get=EVERYONE, public=True,
                             why="A publishes its changelog: shipped items of consenting artists (issue 16)"),
    "content_review:showcase_file": Row(_showcase_file, get=EVERYONE, public=True),
    "content_review:review_report": Row(
        _slug, get=A_MEMBERS_IN | STAFF_OF_A, staff_data=True,
        why="shown to the program's artists and staff; staff without TOTP are sent to set it up (issue 9)"),

    # --- payments: the artist's pages ---------------------------------------------------------------------
    "payments:earnings": Row(_none, get=SIGNED_IN, why="one's own earnings (empty for people without any)"),
    "payments:earnings_program": Row(_slug, get=OWN_A_MEMBERSHIP, why="one's own ledger in A, removed included"),
    "payments:pay_transparency": Row(_slug, get=OWN_A_MEMBERSHIP,
                                     why="one's own hourly rate beside the cohort's median and the floor (issue 16)"),
    "payments:statement_csv": Row(_slug, get=OWN_A_MEMBERSHIP, query=_period),
    "payments:reports_artist_statement": Row(_slug, get=OWN_A_MEMBERSHIP, query=_period),
    "payments:reports_artist_statement_pdf": Row(_slug, get=OWN_A_MEMBERSHIP, query=_period),
    "payments:payout_account": Row(_none, get=ARTISTS, why="artists manage their payout account, paused/removed too"),
    "payments:payout_account_connect": Row(_none, get=None, post=ARTISTS),
    "payments:payout_account_return": Row(_none, get=ARTISTS),
    "payments:payout_account_relink": Row(_none, get=ARTISTS),
    "payments:payout_account_refresh": Row(_none, get=None, post=ARTISTS),
    # --- atelier/notifications/urls.py: one's own notifications and settings ---------------------------------
    "notifications:list": Row(_none, get=SIGNED_IN, why="one's own notifications, whoever one is"),
    "notifications:badge": Row(_none, get=SIGNED_IN, why="the bell (htmx partial)"),
    "notifications:read_all": Row(_none, get=None, post=SIGNED_IN,
                                  why="one's own; with nothing unread, refused with a message"),
    "notifications:open": Row(_notification, get=frozenset({R.A_OWNER}),
                              why="A's owner's notification: only its recipient; everyone else 404"),
    "notifications:read": Row(_notification, get=None, post=frozenset({R.A_OWNER}),
                              why="only its recipient marks it read"),
    "time_zone": Row(_none, get=SIGNED_IN, post=SIGNED_IN, why="one's own time zone, staff and artists"),
    "notifications:preferences": Row(_none, get=SIGNED_IN, post=SIGNED_IN, why="one's own e-mail settings"),
    "notifications:preferences_token": Row(
        _settings_token, get=EVERYONE, post=EVERYONE, public=True,
        why="the signed link of an e-mail is the proof: no sign-in (A's owner's settings, whoever follows it)"),
    "notifications:unsubscribe": Row(
        _settings_token, get=EVERYONE, post=EVERYONE, public=True,
        why="RFC 8058 one-click: the signed link is the proof; GET only shows a button"),
    # --- api: the artist's tokens page (session), and the REST API (tokens only) ---------------------------------
    "api:tokens": Row(_none, get=SIGNED_IN, post=ACTIVE_A, soft=SIGNED_IN - ACTIVE_A, data=_api_token_body,
                      why="one's own tokens (none for staff: tokens belong to artists' memberships); created only "
                          "while active, in one's own program"),
    "api:token_revoke": Row(_api_token, get=None, post=frozenset({R.A_OWNER}),
                            why="A's owner's token: only they revoke it; everyone else 404"),
    # The API answers a session with 401, whoever holds it: only a token signs in there (tests/api/ tests tokens).
    **{name: Row(kwargs, get=EVERYONE, post=EVERYONE if post else None, public=True,
                 fixed={"GET": 401, "POST": 401} if post else {"GET": 401},
                 why="no session authenticates the API, so no page elsewhere can use a browser's cookie (CSRF)")
       for name, kwargs, post in (("api:feedback", _none, True), ("api:feedback_detail", _pk("feedback"), False),
                                  ("api:what_can_i_share", _none, False))},
    "api:schema": Row(_none, get=EVERYONE, public=True, why="the API's description: no one's data"),
    "api:docs": Row(_none, get=EVERYONE, public=True, why="the API reference page (Swagger UI, our own files)"),
    "payments:stripe_webhook": Row(
        _none, get=None, post=frozenset(), public=True, fixed={"POST": 400},
        why="public endpoint; an unsigned body is refused (400) and changes nothing, whoever sends it"),

    # --- payments: staff ledger and rate cards ------------------------------------------------------------
    "payments:ratecard_list": Row(_slug, get=STAFF_OF_A, staff_data=True),
    "payments:ratecard_create": Row(_slug, get=MANAGER, post=MANAGER, staff_data=True),
    "payments:ratecard_edit": Row(_rate_card, get=MANAGER, post=MANAGER, staff_data=True),
    "payments:ratecard_delete": Row(_rate_card, get=None, post=MANAGER, staff_data=True),
    "payments:ledger_overview": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "payments:ledger_unpriced": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "payments:ledger_price_unpriced": Row(_slug, get=None, post=MANAGER_FINANCE, staff_data=True),
    "payments:ledger_member": Row(_member, get=MANAGER_FINANCE, staff_data=True),
    "payments:ledger_adjust": Row(_member, get=MANAGER_FINANCE, post=MANAGER_FINANCE, staff_data=True,
                                  data=_adjust_body),
    "payments:staff_statement_csv": Row(_member, get=MANAGER_FINANCE, staff_data=True, query=_period),

    # --- payments: payout runs and reconciliation ---------------------------------------------------------
    "payments:payout_runs": Row(_slug, get=MANAGER_FINANCE, post=FINANCE, staff_data=True,
                                why="finance creates runs; managers read"),
    "payments:reconciliations": Row(_slug, get=MANAGER_FINANCE, post=FINANCE, staff_data=True),
    "payments:reconciliation": Row(
        lambda w, b, role: {"slug": w.program_a.slug, "report_id": w.reconciliation.pk}, get=MANAGER_FINANCE,
        staff_data=True),
    "payments:payout_run": Row(_run, get=MANAGER_FINANCE, staff_data=True),
    "payments:payout_run_progress": Row(_run, get=MANAGER_FINANCE, staff_data=True),
    "payments:payout_run_csv": Row(_run, get=MANAGER_FINANCE, staff_data=True),
    "payments:payout_run_approve": Row(
        _run, get=frozenset({R.A_FINANCE, ADMIN}), post=frozenset({R.A_FINANCE, ADMIN}), staff_data=True,
        why="the confirmation (count, totals, skipped artists, a fresh TOTP code) for finance other than the run's "
            "creator; the creator gets a 404 (issues 9, 11)"),
    "payments:payout_run_cancel": Row(_run, get=None, post=FINANCE, staff_data=True),
    "payments:payout_retry": Row(_payout, get=None, post=FINANCE, staff_data=True),
    "payments:payout_cancel": Row(_payout, get=None, post=FINANCE, staff_data=True),
    "payments:payout_release": Row(_payout, get=None, post=FINANCE, staff_data=True),
    "payments:reversal_release": Row(
        lambda w, b, role: {"slug": w.program_a.slug, "payout_id": w.payout.pk, "reversal_id": "trr_access"},
        get=None, post=FINANCE, staff_data=True, why="refused with a reason here: nothing of the payout is held"),
    "payments:reconciliation_difference_note": Row(
        lambda w, b, role: {"slug": w.program_a.slug, "difference_id": w.extra["difference"].pk},
        get=None, post=FINANCE, staff_data=True, data=lambda w, b, role: {"outcome": "explain", "note": "Seen"}),

    # --- payments: reports --------------------------------------------------------------------------------
    "payments:reports_overview": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "payments:reports_earnings": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "payments:reports_payouts": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "payments:reports_year_end": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "payments:reports_fair_pay": Row(_slug, get=MANAGER_FINANCE, staff_data=True),
    "payments:reports_export": Row(
        lambda w, b, role: {"slug": w.program_a.slug, "report": "earnings", "fmt": "csv"}, get=MANAGER_FINANCE,
        staff_data=True),
    "payments:reports_staff_statement": Row(
        _member, get=MANAGER_FINANCE, staff_data=True, query=_period,
        why="staff statement; the artist's own lives under /earnings/ (issue 9, point 8)"),
    "payments:reports_dashboard": Row(_slug, get=MANAGER, staff_data=True),
}


# --- what the resolver walk leaves out, and why ---------------------------------------------------------

# (kind, value, why). A pattern whose view is not ours must match one of these, or the test fails too.
SKIPPED = (
    ("namespace", "admin", "Django admin: gated by is_staff + allauth's secure_admin_login (TOTP); tested in "
                           "tests/atelier (admin needs TOTP) and by issue 9 point 5's admin actions"),
    ("name_prefix", "account_", "allauth account views (sign in/up, e-mail, password): public by design"),
    ("name_prefix", "mfa_", "allauth MFA views (TOTP set-up, recovery codes): allauth's own access rules"),
    ("name_prefix", "socialaccount_", "allauth social accounts (not enabled today; skipped if it ever is)"),
    ("name_prefix", "headless_", "allauth headless API (not enabled today; skipped if it ever is)"),
)
OUR_MODULES = ("atelier.", "testers.", "content_review.", "payments.", "portal.", "api.")
