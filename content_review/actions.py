"""The actions of the content_review app. Each change of state is one registered action (see docs/actions.md).

TRANSITIONAL: names still written by services directly are registered here as audit names until their
action exists."""
from atelier.actions import register_audit_name

register_audit_name("content_review.appeal.created", "created appeal")
register_audit_name("content_review.appeal.decided", "decided appeal")
register_audit_name("content_review.deadline.deemed_approved", "deemed approved deadline")
register_audit_name("content_review.deadline.escalated", "escalated deadline")
register_audit_name("content_review.share_request.created", "created share request")
register_audit_name("content_review.share_request.decided", "decided share request")
register_audit_name("content_review.share_request.submitted", "submitted share request")
register_audit_name("content_review.share_request.updated", "updated share request")
register_audit_name("content_review.share_request.withdrawn", "withdrawn share request")
register_audit_name("content_review.showcase.consent_given", "consent given showcase")
register_audit_name("content_review.showcase.consent_withdrawn", "consent withdrawn showcase")
register_audit_name("content_review.work.processing_failed", "processing failed work")
register_audit_name("content_review.work.publishing_failed", "publishing failed work")
register_audit_name("content_review.work.retried", "retried work")
