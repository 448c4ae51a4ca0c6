"""The actions of the testers app. Each change of state is one registered action (see docs/actions.md).

TRANSITIONAL: names still written by services directly are registered here as audit names until their
action exists."""
from atelier.actions import register_audit_name

register_audit_name("testers.feedback.accepted", "accepted feedback")
register_audit_name("testers.feedback.declined", "declined feedback")
register_audit_name("testers.feedback.duplicate", "duplicate feedback")
register_audit_name("testers.feedback.reopened", "reopened feedback")
register_audit_name("testers.feedback.replied", "replied feedback")
register_audit_name("testers.feedback.shipped", "shipped feedback")
register_audit_name("testers.feedback.submitted", "submitted feedback")
register_audit_name("testers.invitation.accepted", "accepted invitation")
register_audit_name("testers.invitation.created", "created invitation")
register_audit_name("testers.invitation.imported", "imported invitation")
register_audit_name("testers.invitation.resent", "resent invitation")
register_audit_name("testers.invitation.revoked", "revoked invitation")
register_audit_name("testers.membership.active", "activated membership")
register_audit_name("testers.membership.paused", "paused membership")
register_audit_name("testers.membership.cohort", "cohort membership")
register_audit_name("testers.membership.reactivated", "reactivated membership")
register_audit_name("testers.membership.removed", "removed membership")
register_audit_name("testers.profile.updated", "updated profile")
register_audit_name("testers.terms.accepted", "accepted terms")
register_audit_name("testers.terms.clause_added", "clause added terms")
register_audit_name("testers.terms.clause_changed", "clause changed terms")
register_audit_name("testers.terms.clause_removed", "clause removed terms")
register_audit_name("testers.terms.drafted", "drafted terms")
register_audit_name("testers.terms.published", "published terms")
register_audit_name("testers.timelog.approved", "approved timelog")
register_audit_name("testers.timelog.created", "created timelog")
register_audit_name("testers.timelog.rejected", "rejected timelog")
register_audit_name("testers.timelog.withdrawn", "withdrawn timelog")
